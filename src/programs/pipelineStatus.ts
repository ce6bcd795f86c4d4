/**
 * pipeline status — reads each followed instance after a step of its pipeline (an action's job,
 * a block closed, a proof or a settlement recorded by this coordinator) and hands its fields to
 * PipelineStatus, which turns them into blocks closed / proved / settled and stage latencies for
 * the status page, `status` and /metrics. A timer catches what other coordinators and agents did.
 */
import { Effect, Option, Stream } from "effect"
import { AppApi } from "../layers/AppApi.js"
import { Config } from "../layers/Config.js"
import { PipelineStatus } from "../layers/PipelineStatus.js"
import { pipelineLoop } from "./pipelineLoop.js"

/** Executed calls after which an instance's blocks may have moved. */
const MOVES = new Set(["try_create_block", "submit_proof", "update_block_settlement_tx_included_in_block", "update_block_settlement"])

export interface PipelineStatusOptions {
  readonly everyMs: number
}

export const pipelineStatusProgram = (o: PipelineStatusOptions) =>
  Effect.gen(function* () {
    const app = yield* AppApi
    const status = yield* PipelineStatus
    const observe = (id: string) =>
      Effect.flatMap(app.chain.instance(id), (f) =>
        status.observe(id, {
          sequence: f.sequence,
          blockNumber: f.blockNumber,
          previousBlockLastSequence: f.previousBlockLastSequence,
          lastProvedBlockNumber: f.lastProvedBlockNumber,
          lastSettled: f.settlements.map((s) => s.lastSettledBlockNumber)
        })
      )
    // where each followed instance stands before its first action, so every block closed from
    // now on is counted
    const config = yield* Config
    yield* Effect.forEach(
      config.appInstances,
      (id) => observe(id).pipe(Effect.catchAll((e) => Effect.logDebug("cannot read the instance", { app_instance: id, error: e.message }))),
      { concurrency: 4, discard: true }
    )
    return yield* pipelineLoop({
      name: "status",
      instances: config.appInstances,
      everyMs: o.everyMs,
      minGapMs: 100,
      wakeOn: (t) => t.state === "pending" && t.data.sequences.length > 0,
      wakeOnOutcomes: Stream.filter(app.settlement.outcomes, (x) => x.result === "done" && x.call !== null && MOVES.has(x.call)),
      step: (id) => Effect.as(observe(id), Option.none<number>())
    })
  })
