/**
 * The proving pipeline end to end on the localnet with real processes: demo-app actions over two
 * app instances become sequences, blocks (the blocks program closes the last one), prove jobs,
 * merges planned by the coordinator, block proofs, and settlements on the file ledger by the
 * settle agent — every block proved and settled in order, each sequence counted exactly once in
 * its block's proof, no merge job created twice, with merges planned from events alone (the
 * planner's fallback timer is set past the test).
 */
import { Effect, Metric } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { mergeJobsCreated } from "../../src/programs/merges.js"
import { startPipeline, type Pipeline } from "../support/pipeline.js"
import { waitUntil } from "../support/wait.js"

const ACTIONS = 200
let p: Pipeline

describe("proving pipeline", () => {
  beforeAll(async () => {
    // merges are planned only when events wake the planner (a proof landed, a block closed…): its timer never fires here
    p = await startPipeline({ instances: 2, blockIntervalMs: 300, env: { PIPELINE_MERGES_EVERY_MS: "3600000" } })
  }, 120_000)
  afterAll(async () => {
    await p?.close()
  })

  it(`${ACTIONS} actions over 2 instances: every block proved and settled, each sequence used once, no merge created twice`, async () => {
    const perTx = 10
    for (let i = 0; i < ACTIONS / perTx; i++) {
      await p.add(p.instances[i % 2]!, perTx)
      // actions spread over several blocks
      if (i % 4 === 3) await new Promise((r) => setTimeout(r, 150))
    }
    const settledBlocks = async () => {
      let n = 0n
      for (const ai of p.instances) n += (await p.report(ai)).fields.settlements[0]?.lastSettledBlockNumber ?? 0n
      return n
    }
    await waitUntil("every action proved and settled", async () => (await Promise.all(p.instances.map((ai) => p.settledAll(ai)))).every(Boolean), {
      progress: settledBlocks,
      pollMs: 250
    })
    let expectedMerges = 0
    for (const ai of p.instances) {
      const { fields } = await p.report(ai)
      expect(fields.lastProvedBlockNumber).toBe(fields.blockNumber - 1n)
      // the ledger: one entry per block, in order, each proof checked against the actions sent
      const { problems, sizes } = p.ledgerCheck(ai)
      expect(problems).toEqual([])
      expect(sizes).toHaveLength(Number(fields.blockNumber - 1n))
      // a block of n sequences needs n - 1 merges
      expectedMerges += sizes.reduce((n, size) => n + size - 1, 0)
    }
    expect(p.ledger.intact()).toBe(true)
    // each merge job was created exactly once: as many creations as the blocks needed merges
    expect((await Effect.runPromise(Metric.value(mergeJobsCreated))).count).toBe(expectedMerges)
  }, 600_000)
})
