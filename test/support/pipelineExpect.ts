/**
 * The vitest side of the pipeline fixture (test/support/pipeline.ts, which the bench also runs
 * and so cannot import vitest).
 */
import { expect } from "vitest"
import type { Pipeline } from "./pipeline.js"

/**
 * Checks every instance once all is settled: each closed block proved, and the ledger holding one
 * entry per block, in order, each proof checked against the actions sent. Answers how many merges
 * the blocks needed (a block of n sequences needs n - 1).
 */
export const expectLedgerComplete = async (p: Pipeline): Promise<number> => {
  let merges = 0
  for (const ai of p.instances) {
    const { fields } = await p.report(ai)
    expect(fields.lastProvedBlockNumber).toBe(fields.blockNumber - 1n)
    const { problems, sizes } = p.ledgerCheck(ai)
    expect(problems).toEqual([])
    expect(sizes).toHaveLength(Number(fields.blockNumber - 1n))
    merges += sizes.reduce((n, size) => n + size - 1, 0)
  }
  expect(p.ledger.intact()).toBe(true)
  return merges
}
