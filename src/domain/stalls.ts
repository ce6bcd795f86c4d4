/**
 * Stalled leaves of the proving pipeline: a prove job that failed for good (the jobs module's
 * `max_attempts` reached) stays on chain as `Failed(error)` and nothing runs it again — the
 * deployed coordinator leaves it to the operator (`restart_failed_app_jobs`, which anyone may
 * call). Its sequences then never get a proof and their block is never proved. This finds them
 * from the chain's failed jobs and the blocks' prover states, so the operator is told which block
 * waits on which job and why.
 */
import { type BlockProofState, ProofStatus } from "./mergePlan.js"
import type { PipelineStall } from "./statusView.js"

export type { PipelineStall }

/** A job of the instance in the chain's failed index, as far as a stall needs it. */
export interface FailedJob {
  readonly jobSequence: bigint
  readonly method: string
  readonly blockNumber: bigint | undefined
  readonly sequences: ReadonlyArray<bigint>
  readonly attempts: number
  readonly error: string
}

/** Some live proof of the block (anything but rejected) covers every one of `sequences`. */
const covered = (state: BlockProofState, sequences: ReadonlyArray<bigint>): boolean =>
  state.isFinished ||
  state.proofs.some((p) => p.status !== ProofStatus.Rejected && sequences.every((s) => p.sequences.includes(s)))

/**
 * The failed jobs that hold up an unproved block of `instance`: jobs with a block after
 * `lastProved` and sequences, none of whose sequences' proof exists. `blocks` holds the prover
 * states read (a block not read counts as uncovered: its job failed for good all the same).
 */
export const stalledBlocks = (
  instance: string,
  lastProved: bigint,
  blocks: ReadonlyMap<bigint, BlockProofState>,
  failed: ReadonlyArray<FailedJob>
): ReadonlyArray<PipelineStall> =>
  failed
    .filter((j) => j.blockNumber !== undefined && j.blockNumber > lastProved && j.sequences.length > 0)
    .filter((j) => {
      const state = blocks.get(j.blockNumber!)
      return state === undefined || !covered(state, j.sequences)
    })
    .map((j) => ({
      instance,
      block: Number(j.blockNumber),
      sequences: j.sequences.map(Number),
      job: Number(j.jobSequence),
      method: j.method,
      reason:
        `${j.method} job ${j.jobSequence} (sequences ${j.sequences.join(", ")}) failed for good after ${j.attempts} attempts: ${j.error}; ` +
        "block waits until it is restarted (app_instance::restart_failed_app_jobs)"
    }))
    .sort((a, b) => a.block - b.block || a.job - b.job)
