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

const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0)

/** Negative when `a` goes before `b`, positive when after, 0 when the rank does not tell. */
export const compareJobRank = (a: Ranked, b: Ranked): number => {
  const settleA = a.appInstanceMethod === SETTLE_METHOD
  const settleB = b.appInstanceMethod === SETTLE_METHOD
  if (settleA !== settleB) return settleA ? -1 : 1
  if (!settleA) {
    // a job without a block goes after every block's jobs
    if (a.blockNumber !== b.blockNumber) {
      if (a.blockNumber === undefined) return 1
      if (b.blockNumber === undefined) return -1
      const byBlock = cmpBig(a.blockNumber, b.blockNumber)
      if (byBlock !== 0) return byBlock
    }
    const bySize = a.sequences.length - b.sequences.length
    if (bySize !== 0) return bySize
  }
  return cmpBig(a.jobSequence, b.jobSequence)
}

/**
 * The same order as `compareJobRank`, as three numbers compared in turn: (-1, 0) for a settle job,
 * else (its block, or +∞ without one; its number of sequences); then the job sequence. A queue
 * computes it once per job instead of comparing bigints and fields on every step of its heap.
 * Block numbers and job sequences are exact as doubles below 2^53 (chain counters that start at 0).
 */
export const jobRankKey = (j: Ranked): readonly [number, number, number] =>
  j.appInstanceMethod === SETTLE_METHOD
    ? [-1, 0, Number(j.jobSequence)]
    : [j.blockNumber === undefined ? Number.POSITIVE_INFINITY : Number(j.blockNumber), j.sequences.length, Number(j.jobSequence)]
