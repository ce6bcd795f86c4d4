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
import { startPipeline, type Pipeline, waitAllSettled } from "../support/pipeline.js"
import { expectLedgerComplete } from "../support/pipelineExpect.js"

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
    await waitAllSettled(p)
    const expectedMerges = await expectLedgerComplete(p)
    // each merge job was created exactly once: as many creations as the blocks needed merges
    expect((await Effect.runPromise(Metric.value(mergeJobsCreated))).count).toBe(expectedMerges)
  }, 600_000)
})
