/**
 * The agent service as the AgentApi layer serves it on every listener, built from the runtime the
 * layer runs in: admission, the call-signature check, the per-session log limiter, the fast path
 * (when no tracer is installed) and, per transport, the service table (routes.ts). The layer adds
 * the listeners; `bench/apiHandlers.ts` calls the same table in-process.
 */
import { Context, Effect, FiberRef, FiberRefs, LogLevel, Option, Redacted } from "effect"
import type { SessionId } from "../../domain/ids.js"
import type { CoordinatorServiceImplementation } from "../../gen/silvana/coordinator/v1/coordinator.js"
import { AppApi } from "../AppApi.js"
import { JobStore } from "../JobStore.js"
import { Reports } from "../Reports.js"
import { Sessions } from "../Sessions.js"
import { type Admission, type ApiServices, makeAdmission } from "./admission.js"
import type { Transport } from "./binding.js"
import { makeCallAuth, type SessionAuth } from "./callAuth.js"
import { makeFastPath } from "./fastPath.js"
import { makeRateLimiter, type RateLimitOptions } from "./rateLimit.js"
import { coordinatorRequestBytes, type RequestBytes } from "./requestBytes.js"
import { type CallContext, coordinatorImplementation } from "./routes.js"
import { tracingInstalled } from "./spans.js"

export interface AgentServiceOptions {
  readonly chain: string
  /** Calls in flight beyond this answer RESOURCE_EXHAUSTED. */
  readonly maxInFlight: number
  /** AgentMessage lines per session: burst and sustained rate (default 200, 50/s). */
  readonly logRateLimit?: RateLimitOptions | undefined
  /** `strict`: every call must be signed with the session's key (default `bound`: checked when signed). */
  readonly sessionAuth?: SessionAuth | undefined
  /** How far a signed call's timestamp may be from this clock (default 30 s). */
  readonly signatureWindowMs?: number | undefined
}

export interface AgentService {
  readonly admission: Admission
  /** The definition the servers serve: it keeps each request's bytes for the signature check. */
  readonly requests: RequestBytes
  /** The service table of one listener; `transport` tells which listener a call came in on. */
  readonly implementation: (transport: (ctx: CallContext) => Transport) => CoordinatorServiceImplementation
}

export const makeAgentService = (options: AgentServiceOptions): Effect.Effect<AgentService, never, ApiServices> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<ApiServices>()
    const admission = makeAdmission(runtime, options.maxInFlight)
    // one limiter for every listener: a session's log budget is its own wherever it calls from
    const logLimiter = makeRateLimiter(options.logRateLimit)
    const sessions = Context.get(runtime.context, Sessions)
    const callAuth = makeCallAuth({
      mode: options.sessionAuth ?? "bound",
      ...(options.signatureWindowMs === undefined ? {} : { windowMs: options.signatureWindowMs }),
      macKeyOf: (id) => {
        const session = sessions.unsafeGet(id as SessionId)
        return session === undefined ? undefined : Redacted.value(session.callKey)
      }
    })
    const requests = coordinatorRequestBytes()
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    const withApp = Option.isSome(Context.getOption(runtime.context, AppApi))
    // With a tracer installed every call runs as an Effect with its span (spans.ts).
    const fast = (yield* tracingInstalled)
      ? undefined
      : makeFastPath({
          store: Context.get(runtime.context, JobStore),
          sessions,
          reports: Context.get(runtime.context, Reports),
          now,
          chain: options.chain,
          withApp,
          logsInfo: LogLevel.greaterThanEqual(LogLevel.Info, FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentMinimumLogLevel))
        })
    return {
      admission,
      requests,
      implementation: (transport) =>
        coordinatorImplementation({ admission, chain: options.chain, logLimiter, withApp, callAuth, requests, fast, now }, transport)
    }
  })
