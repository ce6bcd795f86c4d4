/**
 * The one path every job-scoped RPC goes through: a well-formed session and job id, a live
 * session, and the job held by that very session (handed out by GetJob and not yet completed,
 * failed or terminated). Refusals come back as a `Refusal` the handler turns into `success=false`
 * or into a gRPC status, as the contract says for that RPC.
 */
import { Effect, Option } from "effect"
import type { JobId, SessionId } from "../../domain/ids.js"
import type { StoredJob } from "../../domain/job.js"
import { AppApi, type AppApiService } from "../AppApi.js"
import { JobStore } from "../JobStore.js"
import { type Session, Sessions } from "../Sessions.js"
import { NotFound, NotImplemented, PermissionDenied } from "./errors.js"
import { annotateSpan } from "./spans.js"
import * as V from "./validate.js"
import { shortSecret } from "../../domain/redact.js"

export interface Scoped {
  readonly session: Session
  readonly job: StoredJob
  readonly app: AppApiService
}

/** Why a job-scoped call is refused; `status` says which gRPC status a status-style RPC answers with. */
export interface Refusal {
  readonly _tag: "Refusal"
  readonly message: string
  readonly status: "NotFound" | "PermissionDenied"
}

const refusal = (message: string, status: Refusal["status"]): Refusal => ({ _tag: "Refusal", message, status })

/** Checks the call; succeeds with the session, the held job and the backend, or a refusal. */
export const jobScope = (rpc: string, rawSession: string, rawJob: string) =>
  Effect.gen(function* () {
    const sessionId: SessionId = yield* V.sessionId(rawSession)
    const jobId: Option.Option<JobId> = yield* V.jobId(rawJob)
    const app = yield* Effect.serviceOption(AppApi)
    if (Option.isNone(app)) return yield* Effect.fail(new NotImplemented({ rpc }))
    yield* annotateSpan(() => ({ session_id: sessionId, job_id: rawJob }))
    const session = yield* Effect.flatMap(Sessions, (s) => s.get(sessionId))
    if (Option.isNone(session)) return refusal(`unknown session ${shortSecret(sessionId)}`, "PermissionDenied")
    // An id of a shape this coordinator never issues is as unknown as a well-formed one it does not hold.
    const job = Option.isNone(jobId) ? Option.none() : yield* Effect.flatMap(JobStore, (s) => s.get(jobId.value))
    if (Option.isNone(job)) return refusal(`unknown job ${rawJob}`, "NotFound")
    if (job.value.heldBy !== sessionId) return refusal(`job ${rawJob} is not held by session ${sessionId}`, "PermissionDenied")
    if (job.value.state !== "held") return refusal(`job ${rawJob} is already ${job.value.state}`, "PermissionDenied")
    return { session: session.value, job: job.value, app: app.value } satisfies Scoped
  })

export const isRefusal = (x: Scoped | Refusal): x is Refusal => "_tag" in x && x._tag === "Refusal"

/** For the RPCs that answer refusals with a gRPC status. */
export const scopeOrStatus = (rpc: string, rawSession: string, rawJob: string) =>
  Effect.flatMap(jobScope(rpc, rawSession, rawJob), (s) =>
    isRefusal(s)
      ? Effect.fail(s.status === "NotFound" ? new NotFound({ message: s.message }) : new PermissionDenied({ message: s.message }))
      : Effect.succeed(s)
  )
