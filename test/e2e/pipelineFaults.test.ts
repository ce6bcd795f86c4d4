/**
 * The proving pipeline recovering from its agents' faults, on the localnet with real processes
 * (test/support/pipeline.ts; the faults are the pipeline agent's, examples/pipeline-agent/faults.ts):
 * - a prove job that submits a corrupt proof: the merge over it rejects it, and the coordinator
 *   claims the rejected leaf and creates its prove job again, so the block is still proved — also
 *   for an app whose prove method has another name (the job is created under that name);
 * - a corrupt proof that is a whole block's proof (a block of one sequence, so no merge checks it):
 *   the settle agent rejects it (`reject_proof` of the block's range, which the Move allows on a
 *   finished block), the coordinator proves the block again, and the new proof replaces it;
 * - a corrupt proof made by the merge that completes a block: the settle agent rejects the block
 *   proof, which returns the merge's halves, and the coordinator merges them again — one merge job
 *   more than the blocks need, no leaf proved again;
 * - settle jobs that fail part-way: the chain retries the settle job, which resumes from the last
 *   settled block, every block settled once and in order, and no settlement transaction of ours
 *   aborts (`EPreviousBlockNotSettled` among others).
 */
import { readdirSync } from "node:fs"
import { Effect, Metric } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { settlementAborts } from "../../src/chain/metrics.js"
import { mergeJobsCreated } from "../../src/programs/merges.js"
import { reproveJobsCreated } from "../../src/programs/reproves.js"
import { startPipeline, type Pipeline, waitAllSettled } from "../support/pipeline.js"
import { expectLedgerComplete } from "../support/pipelineExpect.js"
import { waitUntil } from "../support/wait.js"

/** The faults the agents claimed (marker files next to the ledger). */
const claimed = (p: Pipeline, kind: "corrupt" | "merge" | "settle") => readdirSync(p.dir).filter((f) => f.startsWith(`ledger.jsonl.fault-${kind}-`)).length

const count = (m: Metric.Metric.Counter<number>) => Effect.runPromise(Metric.value(m)).then((s) => s.count)

const sendAll = async (p: Pipeline, perInstance: number, perTx: number) => {
  for (let i = 0; i < perInstance / perTx; i++) for (const ai of p.instances) await p.add(ai, perTx)
}

describe("proving pipeline faults", () => {
  describe("a rejected proof", () => {
    let p: Pipeline
    // sequences 5 and 14 of each instance are proved wrong once; each shares its block with others (10 actions a transaction)
    const corrupt = [5, 14]
    beforeAll(async () => {
      p = await startPipeline({ instances: 2, blockIntervalMs: 300, faults: { corruptSequences: corrupt } })
    }, 120_000)
    afterAll(async () => {
      await p?.close()
    })

    it("is proved again: the coordinator creates its prove job again and every block is proved and settled", async () => {
      await sendAll(p, 20, 10)
      await waitAllSettled(p)
      await expectLedgerComplete(p)
      // each corrupt proof was submitted (its fault claimed) and proved again exactly once
      expect(claimed(p, "corrupt")).toBe(corrupt.length * p.instances.length)
      // at least once each (a stale merge over a corrupt leaf can hand it back and reject it again)
      expect(await count(reproveJobsCreated)).toBeGreaterThanOrEqual(corrupt.length * p.instances.length)
      expect(await count(settlementAborts)).toBe(0)
    }, 600_000)
  })

  describe("a rejected proof of an app whose prove method is not `prove`", () => {
    let p: Pipeline
    // the instance's actions create `prove_sum` jobs (served by the agent's prove); sequence 3 is proved wrong once
    beforeAll(async () => {
      p = await startPipeline({ instances: 1, blockIntervalMs: 300, proveMethod: "prove_sum", faults: { corruptSequences: [3] } })
    }, 120_000)
    afterAll(async () => {
      await p?.close()
    })

    it("is proved again under the app's method, and every block is proved and settled", async () => {
      const before = await count(reproveJobsCreated)
      const { fields } = await p.report(p.instances[0]!)
      expect([...fields.methods.keys()].sort()).toEqual(["merge", "prove_sum", "settle"])
      await sendAll(p, 8, 4)
      await waitAllSettled(p)
      await expectLedgerComplete(p)
      expect(claimed(p, "corrupt")).toBe(1)
      expect((await count(reproveJobsCreated)) - before).toBeGreaterThanOrEqual(1)
      expect(await count(settlementAborts)).toBe(0)
    }, 600_000)
  })

  describe("a corrupt block proof (a block of one sequence)", () => {
    let p: Pipeline
    // sequence 1 is a block alone: its prove job's corrupt proof is the block proof, with no merge to catch it
    beforeAll(async () => {
      p = await startPipeline({ instances: 1, blockIntervalMs: 300, faults: { corruptSequences: [1] } })
    }, 120_000)
    afterAll(async () => {
      await p?.close()
    })

    it("is rejected by the settle agent and proved again, and the block settles with the new proof, in order", async () => {
      const before = await count(reproveJobsCreated)
      const ai = p.instances[0]!
      const open = (await p.report(ai)).fields.blockNumber
      await p.add(ai, 1)
      await waitUntil("the one-sequence block closed", async () => (await p.report(ai)).fields.blockNumber > open, { pollMs: 100 })
      await sendAll(p, 6, 3)
      await waitAllSettled(p)
      await expectLedgerComplete(p)
      expect(claimed(p, "corrupt")).toBe(1)
      // once: the settle agent does not reject it again while it is being proved again
      expect((await count(reproveJobsCreated)) - before).toBe(1)
      expect(await count(settlementAborts)).toBe(0)
    }, 600_000)
  })

  describe("a corrupt merged block proof", () => {
    let p: Pipeline
    // the first merge that completes a block submits a proof that is not one
    beforeAll(async () => {
      p = await startPipeline({ instances: 1, blockIntervalMs: 300, faults: { corruptBlockMerges: 1 } })
    }, 120_000)
    afterAll(async () => {
      await p?.close()
    })

    it("is rejected by the settle agent, its halves are merged again, and every block settles in order", async () => {
      const [merges, reproves] = [await count(mergeJobsCreated), await count(reproveJobsCreated)]
      await sendAll(p, 12, 4)
      await waitAllSettled(p)
      const needed = await expectLedgerComplete(p)
      expect(claimed(p, "merge")).toBe(1)
      // the blocks' merges, and the rejected one once more; its halves stood, so no leaf was proved again
      expect((await count(mergeJobsCreated)) - merges).toBe(needed + 1)
      expect((await count(reproveJobsCreated)) - reproves).toBe(0)
      expect(await count(settlementAborts)).toBe(0)
    }, 600_000)
  })

  describe("a failing settle agent", () => {
    let p: Pipeline
    const failures = 2
    beforeAll(async () => {
      p = await startPipeline({ instances: 1, blockIntervalMs: 300, faults: { settleFailures: failures } })
    }, 120_000)
    afterAll(async () => {
      await p?.close()
    })

    // The chain gives a failed settle job its next attempt 60 s later (the deployed retry interval).
    it("blocks settlement only until its retry, which resumes in order", async () => {
      // actions in several blocks, so the failing jobs leave blocks to settle
      for (let i = 0; i < 4; i++) {
        await sendAll(p, 5, 5)
        await waitUntil("the block closed", async () => (await p.report(p.instances[0]!)).fields.blockNumber > BigInt(i + 1), { pollMs: 100 })
      }
      await waitAllSettled(p)
      await expectLedgerComplete(p)
      expect(claimed(p, "settle")).toBe(failures)
      expect(await count(settlementAborts)).toBe(0)
    }, 600_000)
  })
})
