/**
 * blocks — closes an app instance's open block when it is due: new sequences since the last
 * block and more than `min_time_between_blocks` since it. The instance is read first, so
 * coordinators do not spend gas on blocks that are not due; two that both find one due both call
 * `try_create_block`, and the loser's call only emits `InsufficientTimeForBlockEvent` (a lost race
 * is normal). Woken by new jobs of the instance (an app's action creates one), with a timer for
 * the moment the open block becomes due.
 */
import { Clock, Effect, Metric, Option } from "effect"
import { AppApi } from "../layers/AppApi.js"
import type { JobTransition } from "../layers/JobStore.js"
import { Config } from "../layers/Config.js"
import { pipelineLoop } from "./pipelineLoop.js"

const attempts = Metric.counter("silvana_pipeline_block_attempts_total", { description: "try_create_block calls this coordinator sent", incremental: true })
const created = Metric.counter("silvana_pipeline_blocks_created_total", { description: "Blocks created by this coordinator's try_create_block", incremental: true })
const lost = Metric.counter("silvana_pipeline_block_races_lost_total", { description: "try_create_block calls that found the block already created", incremental: true })

export interface BlocksOptions {
  readonly everyMs: number
}

/**
 * Whether a job transition may mean a block became closable: a new job of an app's action, which
 * carries the sequences the action took. A job without sequences (an app that uses no sequences)
 * cannot, and reading the instance for each such job cost a full decode of it per new job — with
 * 100,000 pending jobs in the instance, most of a burst's CPU. The timer still runs every pass.
 */
export const wakesBlocks = (t: JobTransition): boolean =>
  t.state === "pending" && t.data.sequences.length > 0 && t.data.appInstanceMethod !== "merge" && t.data.appInstanceMethod !== "settle"

export const blocksProgram = (o: BlocksOptions) =>
  Effect.gen(function* () {
    const app = yield* AppApi
    const closeIfDue = (id: string) =>
      Effect.gen(function* () {
        const inst = yield* app.chain.instance(id)
        // no sequence since the last block (an instance whose actions take no sequences has
        // `sequence` 0: it never has a block to close)
        if (inst.sequence <= inst.previousBlockLastSequence + 1n) return Option.none<number>()
        const dueAt = Number(inst.previousBlockTimestamp + inst.minTimeBetweenBlocks) + 1
        if ((yield* Clock.currentTimeMillis) < dueAt) return Option.some(dueAt)
        yield* Metric.increment(attempts)
        const outcome = yield* Effect.flatten(app.settlement.coordinatorCall(id, { fn: "try_create_block", args: [], clock: true }))
        if (outcome.result !== "done") {
          yield* Effect.logWarning("try_create_block did not execute", { app_instance: id, result: outcome.result, detail: outcome.detail ?? "" })
          return Option.none<number>()
        }
        const after = yield* app.chain.instance(id)
        if (after.blockNumber > inst.blockNumber) {
          yield* Metric.increment(created)
          yield* Effect.logDebug("block created", { app_instance: id, block: String(inst.blockNumber) })
        } else yield* Metric.increment(lost)
        return Option.none<number>()
      })
    return yield* pipelineLoop({
      name: "blocks",
      instances: (yield* Config).appInstances,
      everyMs: o.everyMs,
      minGapMs: 10,
      wakeOn: wakesBlocks,
      step: closeIfDue
    })
  })
