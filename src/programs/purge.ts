/**
 * purge — drops the sequence states the chain no longer needs, as the deployed coordinator does
 * from its merge analysis (crates/coordinator/src/proof.rs): when an instance's
 * `last_purged_sequence` is behind its `last_settled_sequence`, it calls
 * `app_instance::purge(instance, 32)`, and after a failed call tries again with half as many
 * sequences, down to 1 (a big purge may not fit the computation budget). The instance is read
 * again right before, so a purge another coordinator already made is not repeated.
 */
import { Effect, Metric } from "effect"
import { arg } from "../chain/appCalls.js"
import type { AppApiService } from "../layers/AppApi.js"

/** Sequences one purge asks for first (the deployed `DEFAULT_PURGE_SEQUENCES`). */
export const PURGE_SEQUENCES = 32n

const purges = Metric.counter("silvana_pipeline_purges_total", { description: "purge calls of settled sequence states that executed", incremental: true })
const purgeFailures = Metric.counter("silvana_pipeline_purge_failures_total", { description: "purge calls that did not execute (retried with fewer sequences)", incremental: true })

export const purgeCall = (count: bigint) => ({ fn: "purge", args: [arg.u64(count)], clock: true })

/**
 * Purges settled sequence states of `id` when some are left; answers the sequence purged up to
 * (unchanged when nothing was due or every attempt failed).
 */
export const purgeSettled = (app: AppApiService, id: string) =>
  Effect.gen(function* () {
    const inst = yield* app.chain.instance(id)
    if (inst.lastPurgedSequence >= inst.lastSettledSequence) return inst.lastPurgedSequence
    for (let count = PURGE_SEQUENCES; count >= 1n; count /= 2n) {
      const outcome = yield* Effect.flatten(app.settlement.coordinatorCall(id, purgeCall(count)))
      if (outcome.result === "done") {
        yield* Metric.increment(purges)
        const after = yield* app.chain.instance(id)
        yield* Effect.logDebug("sequence states purged", { app_instance: id, up_to: String(after.lastPurgedSequence) })
        return after.lastPurgedSequence
      }
      yield* Metric.increment(purgeFailures)
      yield* Effect.logWarning(`purge of ${count} sequence(s) did not execute: ${outcome.detail ?? outcome.result}`, { app_instance: id })
    }
    return inst.lastPurgedSequence
  })
