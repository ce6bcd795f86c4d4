/**
 * The order in which a triple's jobs are started and handed to its agents, as the deployed
 * coordinator orders them: settlement jobs first (they hold up every settled block), then the
 * lowest block (a block proof waits for its slowest part), then the fewest sequences (proofs of
 * single sequences feed the merges above them), then the job sequence. Jobs equal on all four keep
 * their arrival order (the queue's tie-break).
 */
import type { JobData } from "./job.js"

/** The method name of an instance's settlement jobs (`settlement_job` in its `Settlement`). */
export const SETTLE_METHOD = "settle"
/** The method name of the prove jobs the coordinator creates again for rejected leaf proofs. */
export const PROVE_METHOD = "prove"

type Ranked = Pick<JobData, "appInstanceMethod" | "blockNumber" | "sequences" | "jobSequence">

/** A job's rank class: settle jobs, then jobs of a block, then jobs of no block. */
const SETTLE = 0
const IN_BLOCK = 1
const NO_BLOCK = 2

/**
 * A job's rank as four numbers compared in turn, lowest first: its class (a settle job, a job of
 * a block, a job of no block), its block (0 when it has none), its number of sequences (0 for a
 * settle job), then the job sequence. A queue computes it once per job, so a step of its heap
 * compares numbers. Block numbers and job sequences are exact as doubles below 2^53 (chain
 * counters that start at 0). Every part is a small integer for any real job, which V8 keeps
 * unboxed in the queue's slots (an infinity for "no block" made every slot hold three boxed
 * numbers, 48 bytes per queued job).
 */
export const jobRankKey = (j: Ranked): readonly [number, number, number, number] =>
  j.appInstanceMethod === SETTLE_METHOD
    ? [SETTLE, 0, 0, Number(j.jobSequence)]
    : j.blockNumber === undefined
      ? [NO_BLOCK, 0, j.sequences.length, Number(j.jobSequence)]
      : [IN_BLOCK, Number(j.blockNumber), j.sequences.length, Number(j.jobSequence)]

/** Negative when `a` goes before `b`, positive when after, 0 when the rank does not tell. */
export const compareJobRank = (a: Ranked, b: Ranked): number => {
  const ka = jobRankKey(a)
  const kb = jobRankKey(b)
  for (let i = 0; i < 4; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1
  return 0
}
