/**
 * settlement — keeps exactly one settle job alive for each settlement chain of a followed
 * instance: when the instance's `Settlement` for a chain records no `settlement_job`, create one
 * (`create_app_job("settle", …, settlement_chain)`, periodic like the deployed coordinator's). The
 * chain refuses a second one while one is recorded, so two coordinators cannot create two. The
 * dispatcher hands settle jobs out first (domain/jobRank.ts); GetJob tells the agent the chain.
 */
import { Clock, Effect, Metric, Option } from "effect"
import { arg } from "../chain/appCalls.js"
import { SETTLE_METHOD } from "../domain/jobRank.js"
import { AppApi } from "../layers/AppApi.js"
import { Config } from "../layers/Config.js"
import { pipelineLoop } from "./pipelineLoop.js"

const createdSettle = Metric.counter("silvana_pipeline_settle_jobs_created_total", { description: "Settle jobs this coordinator created", incremental: true })
const refusedSettle = Metric.counter("silvana_pipeline_settle_jobs_refused_total", { description: "Settle job creations the chain refused (one exists)", incremental: true })

/** The Move minimum of a periodic job's interval; a settle job runs again this long after it completes. */
export const SETTLE_INTERVAL_MS = 60_000n

export interface SettlementProgramOptions {
  readonly everyMs: number
}

export const settleJobCall = (chain: string, now: bigint) => ({
  fn: "create_app_job",
  args: [
    arg.string(SETTLE_METHOD), arg.optString(`settlement of proved blocks on ${chain}`), arg.optU64(undefined),
    arg.optVecU64(undefined), arg.optVecU64(undefined), arg.optVecU64(undefined), arg.bytes(new Uint8Array()),
    arg.optU64(SETTLE_INTERVAL_MS), arg.optU64(now), arg.optString(chain)
  ],
  clock: true
})

export const settlementProgram = (o: SettlementProgramOptions) =>
  Effect.gen(function* () {
    const app = yield* AppApi
    const keepAlive = (id: string) =>
      Effect.gen(function* () {
        const inst = yield* app.chain.instance(id)
        // An instance without the app's settle method has no settlement pipeline.
        if (!inst.methods.has(SETTLE_METHOD)) return
        for (const s of inst.settlements) {
          if (s.settlementJob !== null) continue
          const now = BigInt(yield* Clock.currentTimeMillis)
          const r = yield* Effect.flatten(app.settlement.coordinatorCall(id, settleJobCall(s.chain, now)))
          if (r.result === "done") {
            yield* Metric.increment(createdSettle)
            yield* Effect.logInfo("settle job created", { app_instance: id, chain: s.chain, detail: r.detail ?? "" })
          } else yield* Metric.increment(refusedSettle)
        }
      })
    return yield* pipelineLoop({
      name: "settlement",
      instances: (yield* Config).appInstances,
      everyMs: o.everyMs,
      minGapMs: 50,
      wakeOn: (t) => t.data.appInstanceMethod === SETTLE_METHOD && (t.state === "removed" || t.state === "terminated"),
      step: (id) => Effect.as(keepAlive(id), Option.none<number>())
    })
  })
