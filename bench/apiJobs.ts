/**
 * The job loop benchmarks' services (bench:api's coordinator server and bench/apiHandlers.ts): the
 * sessions, an in-memory report sink and job store, the triple their agents serve, and `count`
 * started jobs of it in the store, as a daemon holds them once they are started on chain.
 */
import { Effect, Layer } from "effect"
import { type AppInstanceId, Triple } from "../src/domain/ids.js"
import { JobStore } from "../src/layers/JobStore.js"
import { Reports } from "../src/layers/Reports.js"
import { Sessions } from "../src/layers/Sessions.js"

/** What the agent API needs; the benchmarks provide their log level around it. */
export const apiStores = Layer.mergeAll(Sessions.layer, Reports.layerMemory).pipe(Layer.provideMerge(JobStore.layerMemory()))

export const benchTriple = Triple.make({ developer: "bench", agent: "noop", agentMethod: "run" })

export const addStartedJobs = (count: number) =>
  Effect.gen(function* () {
    const store = yield* JobStore
    const appInstance = "ab".repeat(32) as AppInstanceId
    for (let i = 0; i < count; i++) {
      yield* store.addStarted({
        appInstance,
        jobSequence: BigInt(i),
        ...benchTriple,
        app: "bench",
        appInstanceMethod: "run",
        sequences: [],
        sequences1: [],
        sequences2: [],
        data: new TextEncoder().encode("[1,2,3]"),
        attempts: 1,
        createdAt: 0n,
        updatedAt: 0n
      })
    }
  })
