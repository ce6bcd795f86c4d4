/**
 * Reconciliation's pending-job load on a localnet: a periodic pass reads from the node only the
 * pending jobs the store does not hold (a batch at a time), and a refresh pass (after a replay gap
 * or a rewind) re-reads those it holds too.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { ChainState } from "../../src/layers/ChainState.js"
import { JobStore } from "../../src/layers/JobStore.js"
import { createJobs } from "../../src/localnet/client.js"
import { loadPending } from "../../src/programs/reconcile.js"
import { jobDataOf } from "../../src/chain/jobData.js"
import { appHex, METHOD, scopedNet, suiLayer } from "../chain/fixture.js"

describe("reconcile: pending jobs from chain state", () => {
  it.scopedLive("loads only the pending jobs the store lacks, in batches; a refresh re-reads the ones it holds", () =>
    Effect.gen(function* () {
      const n = yield* scopedNet()
      const ai = appHex(n.manifest.appInstanceId)
      const { jobSequences } = yield* Effect.promise(() => createJobs(n.manifest, { count: 7, method: METHOD, perTransaction: 7 }))
      const layer = Layer.merge(Layer.provide(ChainState.layer, suiLayer(n)), JobStore.layerMemory())
      const out = yield* Effect.gen(function* () {
        const chain = yield* ChainState
        const store = yield* JobStore
        // The store already holds the first job, with data the chain does not have.
        const [first] = yield* chain.jobs(ai, [jobSequences[0]!])
        yield* store.addPending({ ...jobDataOf(first!), attempts: 9 })
        const loaded = yield* loadPending(ai, false, 3)
        const kept = yield* store.getBySequence(ai, jobSequences[0]!)
        const reloaded = yield* loadPending(ai, true, 3)
        const refreshed = yield* store.getBySequence(ai, jobSequences[0]!)
        const all = yield* Effect.forEach(jobSequences, (s) => store.getBySequence(ai, s))
        return { loaded, kept, reloaded, refreshed, all }
      }).pipe(Effect.provide(layer))
      expect(out.loaded).toBe(6)
      // not read again: the event stream keeps a job the store holds current
      expect(Option.map(out.kept, (j) => j.attempts)).toEqual(Option.some(9))
      expect(out.reloaded).toBe(0)
      expect(Option.map(out.refreshed, (j) => j.attempts)).toEqual(Option.some(0))
      expect(out.all.map((j) => Option.map(j, (x) => [x.jobSequence, x.state, x.agentMethod]))).toEqual(
        jobSequences.map((s) => Option.some([s, "pending", METHOD]))
      )
    })
  )
})
