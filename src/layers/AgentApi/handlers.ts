/**
 * The core job-loop RPCs of the agent API as Effects over the services. Transport concerns
 * (listeners, deadlines, status codes) live in the AgentApi layer; here is what each RPC means.
 *
 * Ownership is checked on every call: a session only ever sees, completes, fails or terminates the
 * jobs it received itself, and only for its own triple — stricter than the deployed coordinator.
 */
import { Clock, Effect, Metric, Option } from "effect"
import type { SessionId } from "../../domain/ids.js"
import type { StoredJob } from "../../domain/job.js"
import type {
  AgentMessageRequest,
  AgentMessageResponse,
  CompleteJobRequest,
  CompleteJobResponse,
  FailJobRequest,
  FailJobResponse,
  GetJobRequest,
  GetJobResponse,
  Job,
  TerminateJobRequest,
  TerminateJobResponse
} from "../../gen/silvana/coordinator/v1/coordinator.js"
import { LogLevel } from "../../gen/silvana/coordinator/v1/coordinator.js"
import { SETTLE_METHOD } from "../../domain/jobRank.js"
import { AppApi } from "../AppApi.js"
import { JobStore, notHeldMessage, type ReportKind, type ReportOutcome } from "../JobStore.js"
import * as Metrics from "../Metrics.js"
import { Reports } from "../Reports.js"
import { bindingOf, type Session, Sessions } from "../Sessions.js"
import { bindingRefusal, type Transport } from "./binding.js"
import { type RateLimiter } from "./rateLimit.js"

const unlimited: RateLimiter = { take: () => ({ allowed: true, firstDrop: false }), forget: () => undefined, size: () => 0 }
import { StatusFeed } from "../StatusFeed.js"
import { annotateSpan, apiSpan } from "./spans.js"
import { type InvalidArgument, StorageUnavailable } from "./errors.js"
import * as V from "./validate.js"
import { shortSecret } from "../../domain/redact.js"

export const refuse = (message: string) => ({ success: false, message })

/**
 * The reply to a CompleteJob / FailJob / TerminateJob the store did not accept: a refusal, or the
 * idempotent success of a repeated report. An accepted one is recorded first, then `reportRecorded`.
 */
export const reportNotAccepted = (outcome: Exclude<ReportOutcome, { readonly _tag: "Accepted" }>, jobId: string, kind: ReportKind) =>
  outcome._tag === "Duplicate" ? { success: true, message: `job ${jobId} was already reported (${kind})` } : refuse(outcome.message)

/** The reply to a report that is durable and on its way to the chain. */
export const reportRecorded = (jobId: string, kind: ReportKind) => ({ success: true, message: `job ${jobId} ${kind} recorded` })


/** The wire form of a job; `app_instance` carries the object id with its `0x`. */
export const toWireJob = (job: StoredJob, chain: string): Job => ({
  jobSequence: job.jobSequence,
  description: job.description,
  developer: job.developer,
  agent: job.agent,
  agentMethod: job.agentMethod,
  app: job.app,
  appInstance: `0x${job.appInstance}`,
  appInstanceMethod: job.appInstanceMethod,
  blockNumber: job.blockNumber,
  // The stored arrays themselves: the encoder only reads them (three copies a call were garbage).
  sequences: job.sequences as Array<bigint>,
  sequences1: job.sequences1 as Array<bigint>,
  sequences2: job.sequences2 as Array<bigint>,
  // A view of the stored bytes (a slab shared with other jobs), not a copy: the encoder only reads it.
  data: Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength),
  jobId: job.jobId ?? "",
  attempts: job.attempts,
  createdAt: job.createdAt,
  updatedAt: job.updatedAt,
  chain
})

const liveSession = (id: SessionId) => Effect.flatMap(Sessions, (s) => s.get(id))

/** Logged when a call is refused by its session's binding. */
export const bindingRefused = (sessionId: string) =>
  Effect.logDebug("call refused: not from the session's agent", { session_id: shortSecret(sessionId) })

/**
 * Why this call may not use the session it names (AgentApi/binding.ts), or `undefined`. Malformed
 * and unknown ids pass here: the handler answers them as it always did.
 */
export const bindingCheck = (rawSession: string, transport: Transport) =>
  Effect.gen(function* () {
    const decoded = V.sessionIdOption(rawSession)
    if (Option.isNone(decoded)) return undefined
    const sessionId = decoded.value
    const session = yield* liveSession(sessionId)
    if (Option.isNone(session)) return transport._tag === "SessionSocket" && transport.sessionId !== sessionId ? bindingRefusal(sessionId, undefined, transport) : undefined
    const refusal = bindingRefusal(sessionId, yield* bindingOf(session.value), transport)
    if (refusal !== undefined) yield* bindingRefused(sessionId)
    return refusal
  })

export const unknownSession = (id: string) => refuse(`unknown session ${shortSecret(id)}`)

/**
 * A settle job's `chain` is the settlement chain whose `settlement_job` it is (as the deployed
 * coordinator answers); other jobs carry the coordinator's chain. Read from the instance only for
 * settle jobs; when it cannot be read, the coordinator's chain.
 */
export const chainOf = (job: StoredJob, chain: string) =>
  Effect.gen(function* () {
    if (job.appInstanceMethod !== SETTLE_METHOD) return chain
    const app = yield* Effect.serviceOption(AppApi)
    if (Option.isNone(app)) return chain
    const inst = yield* Effect.option(app.value.chain.instance(job.appInstance))
    if (Option.isNone(inst)) return chain
    return inst.value.settlements.find((s) => s.settlementJob === job.jobSequence)?.chain ?? chain
  })

export const getJob = (req: GetJobRequest, chain: string) =>
  Effect.gen(function* () {
    const sessionId = yield* V.sessionId(req.sessionId)
    const developer = yield* V.name("developer", req.developer)
    const agent = yield* V.name("agent", req.agent)
    const agentMethod = yield* V.name("agent_method", req.agentMethod)
    yield* annotateSpan(() => ({ session_id: shortSecret(sessionId), developer, agent, agent_method: agentMethod }))
    const session = yield* liveSession(sessionId)
    if (Option.isNone(session)) return unknownSession(sessionId) satisfies GetJobResponse
    const t = session.value.triple
    if (t.developer !== developer || t.agent !== agent || t.agentMethod !== agentMethod) {
      return refuse(
        `session ${shortSecret(sessionId)} serves ${t.developer}/${t.agent}/${t.agentMethod}, not ${developer}/${agent}/${agentMethod}`
      ) satisfies GetJobResponse
    }
    yield* (yield* Sessions).polled(sessionId)
    const store = yield* JobStore
    // the session's own id: the store keeps it with the job, not the request's copy of the string
    const next = yield* store.takeNext(session.value.id, t)
    if (Option.isSome(next)) {
      const job = next.value
      yield* annotateSpan(() => ({
        job_id: job.jobId ?? "",
        app_instance: job.appInstance,
        job_sequence: job.jobSequence.toString()
      }))
      // From the job's creation on chain (its `created_at`, the creating transaction's clock, ms)
      // to an agent taking it: per triple (queue wait) and overall (dispatch latency).
      const waited = Math.max(0, (yield* Clock.currentTimeMillis) - Number(job.createdAt))
      yield* Metrics.jobWaited(t, waited)
      yield* Metrics.jobDispatched(waited)
    }
    if (Option.isNone(next)) return { success: true, message: "no job available", job: undefined } satisfies GetJobResponse
    const job = next.value
    return { success: true, message: `job ${job.jobId}`, job: toWireJob(job, yield* chainOf(job, chain)) } satisfies GetJobResponse
  }).pipe(apiSpan("AgentApi.GetJob"))

/** Complete, fail and terminate share one path: ownership, state rules, durable record, reply. */
const settleReport = (rawSession: string, rawJob: string, kind: ReportKind, error?: string) =>
  Effect.gen(function* () {
    const sessionId = yield* V.sessionId(rawSession)
    const decodedJob = yield* V.jobId(rawJob)
    yield* annotateSpan(() => ({ session_id: shortSecret(sessionId), job_id: rawJob, report: kind }))
    const session = yield* liveSession(sessionId)
    if (Option.isNone(session)) return unknownSession(sessionId)
    // An id of a shape this coordinator never issues names no job: the same answer as an unknown one.
    if (Option.isNone(decodedJob)) return refuse(notHeldMessage(rawJob, sessionId))
    const jobId = decodedJob.value
    const store = yield* JobStore
    const reports = yield* Reports
    // Accepted and recorded (or reverted) as one step: a call cancelled in between would leave the
    // job settled in the store with nothing on its way to the chain.
    const outcome = yield* store.report(sessionId, jobId, kind, error).pipe(
      Effect.tap((o) =>
        o._tag === "Accepted"
          ? reports.record(o.report).pipe(
              Effect.tapError(() => store.revertReport(jobId)),
              Effect.mapError((e) => new StorageUnavailable({ message: `${e.message}; retry the call` }))
            )
          : Effect.void
      ),
      Effect.uninterruptible
    )
    if (outcome._tag !== "Accepted") return reportNotAccepted(outcome, jobId, kind)
    yield* Metrics.jobReported(kind)
    yield* annotateSpan(() => ({ app_instance: outcome.report.appInstance, job_sequence: outcome.report.jobSequence.toString() }))
    yield* Effect.logInfo(`job ${kind} reported`).pipe(Effect.annotateLogs({ job_id: jobId, app_instance: outcome.report.appInstance }))
    return reportRecorded(jobId, kind)
  }).pipe(Effect.annotateLogs({ session_id: shortSecret(rawSession), job_id: rawJob }))

export const completeJob = (req: CompleteJobRequest): Effect.Effect<CompleteJobResponse, InvalidArgument | StorageUnavailable, JobStore | Sessions | Reports> =>
  settleReport(req.sessionId, req.jobId, "complete").pipe(apiSpan("AgentApi.CompleteJob"))

export const failJob = (req: FailJobRequest): Effect.Effect<FailJobResponse, InvalidArgument | StorageUnavailable, JobStore | Sessions | Reports> =>
  Effect.flatMap(V.text("error_message", req.errorMessage, V.limits.errorMessage), (msg) =>
    settleReport(req.sessionId, req.jobId, "fail", msg)
  ).pipe(apiSpan("AgentApi.FailJob"))

export const terminateJob = (req: TerminateJobRequest): Effect.Effect<TerminateJobResponse, InvalidArgument | StorageUnavailable, JobStore | Sessions | Reports> =>
  settleReport(req.sessionId, req.jobId, "terminate").pipe(apiSpan("AgentApi.TerminateJob"))

const logAt = (level: LogLevel, message: string) => {
  switch (level) {
    case LogLevel.LOG_LEVEL_DEBUG:
      return Effect.logDebug(message)
    case LogLevel.LOG_LEVEL_WARN:
      return Effect.logWarning(message)
    case LogLevel.LOG_LEVEL_ERROR:
      return Effect.logError(message)
    case LogLevel.LOG_LEVEL_FATAL:
      return Effect.logFatal(message)
    default:
      return Effect.logInfo(message)
  }
}

const levelName = (level: LogLevel): string =>
  level > LogLevel.LOG_LEVEL_UNSPECIFIED && LogLevel[level] !== undefined ? LogLevel[level].replace("LOG_LEVEL_", "").toLowerCase() : "info"

/** An agent's log line, logged with its session (and job) context. Works before any job. */
export const agentMessage = (req: AgentMessageRequest, limiter: RateLimiter = unlimited) =>
  Effect.gen(function* () {
    const sessionId = yield* V.sessionId(req.sessionId)
    const message = yield* V.text("message", req.message, V.limits.logMessage)
    const session: Option.Option<Session> = yield* liveSession(sessionId)
    if (Option.isNone(session)) return unknownSession(sessionId) satisfies AgentMessageResponse
    const { allowed, firstDrop } = limiter.take(sessionId, yield* Clock.currentTimeMillis)
    if (!allowed) {
      yield* Metric.increment(Metrics.agentMessagesDropped)
      if (firstDrop) {
        yield* Effect.logWarning("agent logs too fast: its messages are dropped until it slows down").pipe(
          Effect.annotateLogs({ session_id: shortSecret(sessionId), developer: session.value.triple.developer, agent: session.value.triple.agent })
        )
      }
      return { success: true, message: "dropped: over the per-session log rate limit" } satisfies AgentMessageResponse
    }
    let jobAnnotation: Record<string, string> = {}
    if (req.jobId !== undefined && req.jobId !== "") {
      const jobId = yield* V.jobId(req.jobId)
      const store = yield* JobStore
      const job = Option.isNone(jobId) ? Option.none() : yield* store.get(jobId.value)
      if (Option.isNone(job) || job.value.heldBy !== sessionId) {
        return refuse(notHeldMessage(req.jobId, sessionId)) satisfies AgentMessageResponse
      }
      jobAnnotation = { job_id: req.jobId, app_instance: job.value.appInstance }
    }
    const t = session.value.triple
    const feed = yield* Effect.serviceOption(StatusFeed)
    if (Option.isSome(feed)) yield* feed.value.agentMessage(sessionId, levelName(req.level), message)
    yield* logAt(req.level, message).pipe(
      Effect.annotateLogs({
        source: "agent",
        session_id: shortSecret(sessionId),
        developer: t.developer,
        agent: t.agent,
        agent_method: t.agentMethod,
        ...jobAnnotation
      })
    )
    return { success: true, message: "logged" } satisfies AgentMessageResponse
  }).pipe(apiSpan("AgentApi.AgentMessage"))
