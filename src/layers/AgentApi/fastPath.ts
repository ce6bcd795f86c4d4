/**
 * The synchronous fast path of the job loop: GetJob, CompleteJob and FailJob answered without
 * running an Effect per call, when nothing in the call has to wait.
 *
 * Each RPC means exactly what its Effect in handlers.ts means (same checks in the same order, same
 * answers, same metrics); the store and the sessions are read through their synchronous faces.
 * A call returns either its reply, or the Effect that finishes it when it must wait or is rare:
 * - a malformed request (INVALID_ARGUMENT) and a refused signature (UNAUTHENTICATED) fail that Effect;
 * - a session whose agent is still starting waits for its binding through the Effect path;
 * - a settle job's `chain` is read from its instance;
 * - an accepted report is recorded durably (the Journal in the daemon) before the reply.
 *
 * Used only when no tracer is installed: with OpenTelemetry on, every call runs as an Effect with
 * its span, as before (spans.ts).
 */
import { Effect, Either, identity, Option } from "effect"
import type { JobId, SessionId } from "../../domain/ids.js"
import { SETTLE_METHOD } from "../../domain/jobRank.js"
import { shortSecret } from "../../domain/redact.js"
import type {
  CompleteJobRequest,
  CompleteJobResponse,
  FailJobRequest,
  FailJobResponse,
  GetJobRequest,
  GetJobResponse
} from "../../gen/silvana/coordinator/v1/coordinator.js"
import { type JobStoreService, notHeldMessage, type ReportKind } from "../JobStore.js"
import * as Metrics from "../Metrics.js"
import type { ReportsService } from "../Reports.js"
import type { SessionsService } from "../Sessions.js"
import type { ApiServices } from "./admission.js"
import { bindingRefusal, type Transport } from "./binding.js"
import { type ApiError, StorageUnavailable } from "./errors.js"
import { bindingRefused, chainOf, refuse, reportNotAccepted, reportRecorded, toWireJob, unknownSession } from "./handlers.js"
import * as V from "./validate.js"

/** A reply now, or the Effect that produces it. */
export type Now<A> = A | Effect.Effect<A, ApiError, ApiServices>

export interface FastPath {
  readonly getJob: (req: GetJobRequest) => Now<GetJobResponse>
  readonly completeJob: (req: CompleteJobRequest) => Now<CompleteJobResponse>
  readonly failJob: (req: FailJobRequest) => Now<FailJobResponse>
  /**
   * The session-binding check of `bindingCheck` (handlers.ts), synchronously: the refusal, or
   * `undefined` when the call may go on, or `"waiting"` when the session's agent is still starting.
   */
  readonly bindingNow: (rawSession: string, transport: Transport) => string | undefined | "waiting"
}

export interface FastPathEnv {
  readonly store: JobStoreService
  readonly sessions: SessionsService
  readonly reports: ReportsService
  /** The Effect Clock the handlers read, as a plain function (ms). */
  readonly now: () => number
  readonly chain: string
  /** The AppApi backend is present: a settle job's `chain` comes from its instance. */
  readonly withApp: boolean
  /**
   * Info lines are logged (the runtime's minimum log level): when not, an accepted report skips
   * building its log line, whose annotated Effect cost about as much as the rest of the call.
   */
  readonly logsInfo: boolean
}

export const makeFastPath = (env: FastPathEnv): FastPath => {
  const { store, sessions, reports } = env

  const getJob = (req: GetJobRequest): Now<GetJobResponse> => {
    const sessionId = V.sessionId(req.sessionId)
    if (Either.isLeft(sessionId)) return Effect.fail(sessionId.left)
    // field by field, in the order handlers.ts checks them (no array of the three per call)
    const developer = V.name("developer", req.developer)
    if (Either.isLeft(developer)) return Effect.fail(developer.left)
    const agent = V.name("agent", req.agent)
    if (Either.isLeft(agent)) return Effect.fail(agent.left)
    const agentMethod = V.name("agent_method", req.agentMethod)
    if (Either.isLeft(agentMethod)) return Effect.fail(agentMethod.left)
    const session = sessions.unsafeGet(sessionId.right)
    if (session === undefined) return unknownSession(sessionId.right)
    // The session's own id from here on: the store keeps it with the job it hands out, and the
    // request's copy of the string would be one more to keep per job.
    const id = session.id
    const t = session.triple
    if (t.developer !== req.developer || t.agent !== req.agent || t.agentMethod !== req.agentMethod) {
      return refuse(`session ${shortSecret(id)} serves ${t.developer}/${t.agent}/${t.agentMethod}, not ${req.developer}/${req.agent}/${req.agentMethod}`)
    }
    sessions.unsafePolled(id)
    const next = store.unsafe.takeNext(id, t)
    if (Option.isNone(next)) return { success: true, message: "no job available", job: undefined }
    const job = next.value
    // From the job's creation on chain to an agent taking it (as handlers.ts).
    const waited = Math.max(0, env.now() - Number(job.createdAt))
    Metrics.unsafeJobWaited(t, waited)
    Metrics.unsafeJobDispatched(waited)
    const reply = (chain: string): GetJobResponse => ({ success: true, message: `job ${job.jobId}`, job: toWireJob(job, chain) })
    return env.withApp && job.appInstanceMethod === SETTLE_METHOD ? Effect.map(chainOf(job, env.chain), reply) : reply(env.chain)
  }

  /** Durable before the reply; reverted in the store when it cannot be (as `settleReport`). */
  const recorded = (jobId: JobId, kind: ReportKind, outcome: Parameters<ReportsService["record"]>[0], rawSession: string) =>
    reports.record(outcome).pipe(
      Effect.tapError(() => Effect.sync(() => store.unsafe.revertReport(jobId))),
      Effect.mapError((e) => new StorageUnavailable({ message: `${e.message}; retry the call` })),
      Effect.uninterruptible,
      env.logsInfo
        ? Effect.zipRight(
            Effect.logInfo(`job ${kind} reported`).pipe(
              Effect.annotateLogs({ session_id: shortSecret(rawSession), job_id: jobId, app_instance: outcome.appInstance })
            )
          )
        : identity,
      Effect.map(() => {
        Metrics.unsafeJobReported(kind)
        return reportRecorded(jobId, kind)
      })
    )

  const report = (rawSession: string, rawJob: string, kind: ReportKind, error?: string): Now<CompleteJobResponse> => {
    const sessionId = V.sessionId(rawSession)
    if (Either.isLeft(sessionId)) return Effect.fail(sessionId.left)
    const decodedJob = V.jobId(rawJob)
    if (Either.isLeft(decodedJob)) return Effect.fail(decodedJob.left)
    const session = sessions.unsafeGet(sessionId.right)
    if (session === undefined) return unknownSession(sessionId.right)
    const id = session.id
    if (Option.isNone(decodedJob.right)) return refuse(notHeldMessage(rawJob, id))
    const jobId = decodedJob.right.value
    // The store's transition and the durable write that follows it start in the same tick.
    const outcome = store.unsafe.report(id, jobId, kind, error)
    return outcome._tag === "Accepted" ? recorded(jobId, kind, outcome.report, rawSession) : reportNotAccepted(outcome, jobId, kind)
  }

  const failJob = (req: FailJobRequest): Now<FailJobResponse> => {
    const message = V.text("error_message", req.errorMessage, V.limits.errorMessage)
    return Either.isLeft(message) ? Effect.fail(message.left) : report(req.sessionId, req.jobId, "fail", message.right)
  }

  const bindingNow = (rawSession: string, transport: Transport): string | undefined | "waiting" => {
    const decoded = V.sessionIdOption(rawSession)
    if (Option.isNone(decoded)) return undefined
    const id: SessionId = decoded.value
    const session = sessions.unsafeGet(id)
    if (session === undefined) return transport._tag === "SessionSocket" && transport.sessionId !== id ? bindingRefusal(id, undefined, transport) : undefined
    const binding = sessions.unsafeBinding(session)
    return binding === "waiting" ? binding : bindingRefusal(id, binding, transport)
  }

  return {
    getJob,
    completeJob: (req) => report(req.sessionId, req.jobId, "complete"),
    failJob,
    bindingNow
  }
}

export { bindingRefused }
