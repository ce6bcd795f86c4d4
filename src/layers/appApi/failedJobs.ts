/**
 * failedJobs — the operator's way out of a stalled pipeline: brings an app instance's jobs that
 * failed for good back to pending (`app_instance::restart_failed_app_jobs`) or deletes them
 * (`remove_failed_app_jobs`). Nothing on chain runs such a job again by itself, and the deployed
 * coordinator leaves them to its operator; `status` names them (STALLED block …).
 *
 * The instance is read first: only jobs in its failed index are named in the call (a sequence the
 * operator asked for that is not failed is reported back, not sent), and nothing is sent when none
 * is. The call goes through Settlement like the coordinator's own calls (journal first, then a
 * transaction), and the answer waits for it to execute. Anyone may make these calls on chain; the
 * daemon makes them only for its operator (the HTTP API's token).
 */
import { Data, Effect } from "effect"
import { arg } from "../../chain/appCalls.js"
import { AppApi } from "../AppApi.js"

export type FailedJobsAction = "restart" | "remove"

export interface FailedJobsResult {
  readonly action: FailedJobsAction
  readonly appInstance: string
  /** The instance's failed index as read before the call. */
  readonly failedBefore: ReadonlyArray<bigint>
  /** The jobs named in the call (all failed ones, or those asked for that are failed). */
  readonly acted: ReadonlyArray<bigint>
  /** Sequences asked for that are not in the failed index (left alone). */
  readonly notFailed: ReadonlyArray<bigint>
  /** The executed transaction; `null` when there was nothing to send. */
  readonly txDigest: string | null
}

export class FailedJobsError extends Data.TaggedError("FailedJobsError")<{
  /** `Unreadable`: the instance could not be read; `NotExecuted`: the call was sent and did not execute. */
  readonly reason: "Unreadable" | "NotExecuted" | "Unavailable"
  readonly message: string
}> {}

/**
 * Restarts or removes the failed jobs of `appInstance`: every one when `jobs` is undefined, else
 * those of `jobs` that are failed. Succeeds once the transaction has executed.
 */
export const actOnFailedJobs = (action: FailedJobsAction, appInstance: string, jobs?: ReadonlyArray<bigint>) =>
  Effect.gen(function* () {
    const app = yield* AppApi
    const inst = yield* app.chain.instance(appInstance).pipe(
      Effect.mapError((e) => new FailedJobsError({ reason: "Unreadable", message: e.message }))
    )
    const failed = new Set(inst.failedJobs)
    const asked = jobs === undefined ? [...inst.failedJobs] : [...new Set(jobs)]
    const acted = asked.filter((s) => failed.has(s)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const notFailed = asked.filter((s) => !failed.has(s))
    const result = { action, appInstance: inst.id, failedBefore: inst.failedJobs, acted, notFailed }
    if (acted.length === 0) return { ...result, txDigest: null } satisfies FailedJobsResult
    const outcome = yield* Effect.flatten(
      app.settlement.coordinatorCall(inst.id, { fn: `${action}_failed_app_jobs`, args: [arg.optVecU64(acted)], clock: true })
    ).pipe(Effect.mapError((e) => new FailedJobsError({ reason: "Unavailable", message: e.message })))
    if (outcome.result !== "done") {
      return yield* new FailedJobsError({
        reason: "NotExecuted",
        message: `${action}_failed_app_jobs was ${outcome.result}${outcome.detail === null ? "" : `: ${outcome.detail}`}${outcome.txDigest === null ? "" : ` (tx ${outcome.txDigest})`}`
      })
    }
    yield* Effect.logInfo(`operator: ${action} of ${acted.length} failed job(s)`).pipe(
      Effect.annotateLogs({ app_instance: inst.id, jobs: acted.join(","), tx: outcome.txDigest ?? "" })
    )
    return { ...result, txDigest: outcome.txDigest } satisfies FailedJobsResult
  })
