/** Blocks held up by a prove job that failed for good: which ones, and the reason given. */
import { describe, expect, it } from "vitest"
import { type BlockProofState, ProofStatus } from "../../src/domain/mergePlan.js"
import { type FailedJob, stalledBlocks } from "../../src/domain/stalls.js"

const block = (n: bigint, proofs: BlockProofState["proofs"], isFinished = false): BlockProofState => ({
  blockNumber: n, startSequence: 1n, endSequence: 4n, isFinished, proofs
})
const proof = (sequences: ReadonlyArray<bigint>, status: ProofStatus) => ({ sequences, status, timestamp: 0n })
const failed = (jobSequence: bigint, blockNumber: bigint | undefined, sequences: ReadonlyArray<bigint>, method = "prove"): FailedJob => ({
  jobSequence, method, blockNumber, sequences, attempts: 3, error: "out of memory"
})

describe("stalled blocks", () => {
  it("a failed prove job whose sequences have no proof stalls its block, with the job, its attempts and its error", () => {
    const states = new Map([[1n, block(1n, [proof([1n], ProofStatus.Calculated), proof([2n], ProofStatus.Calculated)])]])
    const s = stalledBlocks("0xa", 0n, states, [failed(7n, 1n, [3n])])
    expect(s).toEqual([{ instance: "0xa", block: 1, sequences: [3], job: 7, method: "prove", reason: expect.stringContaining("failed for good after 3 attempts: out of memory") }])
    expect(s[0]!.reason).toContain("restart_failed_app_jobs")
  })

  it("a block not read (past the look-ahead) counts as stalled; a rejected proof does not cover its sequences", () => {
    const states = new Map([[1n, block(1n, [proof([3n], ProofStatus.Rejected)])]])
    expect(stalledBlocks("0xa", 0n, states, [failed(7n, 1n, [3n]), failed(9n, 5n, [20n])]).map((x) => x.block)).toEqual([1, 5])
  })

  it("no stall when a live proof covers the sequences (proved by another job), the block is finished or proved, or the job has no block or sequences", () => {
    const covering = new Map([[1n, block(1n, [proof([1n, 2n, 3n], ProofStatus.Used)])]])
    expect(stalledBlocks("0xa", 0n, covering, [failed(7n, 1n, [3n])])).toEqual([])
    const finished = new Map([[1n, block(1n, [], true)]])
    expect(stalledBlocks("0xa", 0n, finished, [failed(7n, 1n, [3n])])).toEqual([])
    expect(stalledBlocks("0xa", 1n, new Map(), [failed(7n, 1n, [3n])])).toEqual([])
    expect(stalledBlocks("0xa", 0n, new Map(), [failed(7n, undefined, [3n]), failed(8n, 2n, [])])).toEqual([])
  })

  it("sorted by block, then job", () => {
    const s = stalledBlocks("0xa", 0n, new Map(), [failed(9n, 2n, [5n]), failed(8n, 1n, [2n]), failed(7n, 2n, [6n])])
    expect(s.map((x) => [x.block, x.job])).toEqual([[1, 8], [2, 7], [2, 9]])
  })
})
