/**
 * agentSession — the life of one agent: new session → start the agent → wait for its exit (the
 * runtime enforces the timeout) → fail on chain whatever the session still held → revoke the
 * session. The caller holds the concurrency permit for the whole call.
 *
 * Nothing here can fail the daemon: a start failure, a crash or a timeout all end the same way,
 * with the held jobs reported failed with the reason.
 */
import { Clock, Effect, Option, Redacted, Ref, Schedule } from "effect"
import type { SessionId, Triple } from "../domain/ids.js"
import { shortSecret } from "../domain/redact.js"
import { AgentApi } from "../layers/AgentApi.js"
import { type AgentHandle, AgentRuntime, type ExitInfo } from "../layers/AgentRuntime.js"
import { Config } from "../layers/Config.js"
import { Reports } from "../layers/Reports.js"
import { type Session, Sessions } from "../layers/Sessions.js"

/** What the registry says about the method a session runs. */
export interface MethodSpec {
  readonly dockerImage: string
  readonly dockerSha256: Option.Option<string>
  readonly minMemoryGb: number
  readonly minCpuCores: number
  readonly requiresTee: boolean
}

/** How a session ended, for the dispatcher and for observers (tests, metrics). */
export interface SessionOutcome {
  readonly sessionId: SessionId
  readonly triple: Triple
  readonly exit: ExitInfo
  /** Set when the agent could not be started (the runtime refused or failed); the dispatcher backs off. */
  readonly startError?: string | undefined
  /** Jobs the session still held when it ended; they were reported failed. */
  readonly failedJobs: number
  readonly startedAt: number
  readonly endedAt: number
}

/** The environment of spec/runtime.md. */
export const agentEnv = (args: {
  readonly session: Session
  readonly chain: string
  readonly coordinatorId: string
  readonly socketPath: string
  readonly tcpUrl: string
}): Record<string, string> => ({
  CHAIN: args.chain,
  COORDINATOR_ID: args.coordinatorId,
  SESSION_ID: args.session.id,
  SESSION_PRIVATE_KEY: Redacted.value(args.session.privateKey),
  // this coordinator checks `silvana-mac` proofs under the session's call key (domain/callSignature.ts)
  SESSION_CALL_PROOF: "hmac",
  DEVELOPER: args.session.triple.developer,
  AGENT: args.session.triple.agent,
  AGENT_METHOD: args.session.triple.agentMethod,
  COORDINATION_LAYER_ID: "sui",
  COORDINATION_LAYER_TYPE: "sui",
  OPERATION_MODE: "multicall",
  COORDINATOR_SOCKET: args.socketPath,
  COORDINATOR_URL: args.tcpUrl
})

/** Hooks the dispatcher (and tests) use to watch sessions. */
export interface SessionHooks {
  readonly onStarted?: (session: Session, handle: AgentHandle) => Effect.Effect<void>
  readonly onEnded?: (outcome: SessionOutcome) => Effect.Effect<void>
}

/** Runs one agent session to its end; never fails. */
export const agentSession = (triple: Triple, method: MethodSpec, coordinatorId: string, hooks: SessionHooks = {}) =>
  Effect.gen(function* () {
    const config = yield* Config
    const sessions = yield* Sessions
    const runtime = yield* AgentRuntime
    const api = yield* AgentApi
    const reports = yield* Reports
    // Bound: its calls are accepted only from its agent (own socket, container address or uid).
    const session = yield* sessions.create(triple, { bound: true })
    const startedAt = yield* Clock.currentTimeMillis
    const endReason = yield* Ref.make("shutdown")
    const failedCount = yield* Ref.make(0)
    let startError: string | undefined
    // Whatever the session still held is failed on chain with the reason (`shutdown` when the
    // daemon stops it); recording retries while the Journal is briefly unavailable.
    const cleanup = Effect.gen(function* () {
      const reason = yield* Ref.get(endReason)
      const held = yield* sessions.revoke(session.id, reason)
      yield* Effect.forEach(
        held,
        (report) =>
          reports.record(report).pipe(
            Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")), Schedule.upTo("2 minutes"))),
            // The chain's reconciliation still fails the job later (it is Running with no holder).
            Effect.catchAll((e) => Effect.logError("could not record the failure of a held job", { error: e.message })),
            Effect.annotateLogs({ job_id: report.jobId })
          ),
        { discard: true }
      )
      yield* Ref.set(failedCount, held.length)
      if (held.length > 0) yield* Effect.logWarning("jobs held by the ended agent were reported failed", { count: held.length, reason })
    }).pipe(Effect.annotateLogs("session_id", shortSecret(session.id)))
    // Containers reach the host's TCP listener as host.docker.internal; processes use it directly.
    const tcpUrl =
      runtime.kind === "docker" && !method.requiresTee
        ? `http://host.docker.internal:${api.tcp.port}`
        : `http://${api.tcp.host.includes(":") ? `[${api.tcp.host}]` : api.tcp.host}:${api.tcp.port}`

    const exit: ExitInfo = yield* Effect.scoped(
      Effect.gen(function* () {
        const socketPath = yield* api.openSessionSocket(session.id, runtime.agentUser)
        const handle = yield* runtime.start({
          image: method.dockerImage,
          imageSha256: Option.getOrUndefined(method.dockerSha256),
          env: agentEnv({ session, chain: config.suiChain, coordinatorId, socketPath, tcpUrl }),
          memoryGb: method.minMemoryGb,
          cpus: method.minCpuCores,
          requiresTee: method.requiresTee,
          labels: { coordinatorId, sessionId: session.id, ...triple },
          timeoutMs: config.containerTimeoutSecs * 1000,
          socketPath
        })
        yield* sessions.bind(session.id, handle.peer ?? { addresses: [] })
        yield* sessions.bindContainer(session.id, handle.id).pipe(Effect.ignore)
        if (hooks.onStarted) yield* hooks.onStarted(session, handle)
        yield* Effect.logInfo("agent started", { container: handle.name })
        const info = yield* handle.exit
        const logs = yield* handle.logs
        const tail = (logs.stderr || logs.stdout).slice(-2000)
        const level = info.reason === "exited" && info.exitCode === 0 ? Effect.logInfo : Effect.logWarning
        yield* level("agent ended", {
          reason: info.reason,
          exit_code: info.exitCode,
          log_bytes: logs.totalBytes,
          ...(tail.length > 0 && !(info.reason === "exited" && info.exitCode === 0) ? { log_tail: tail } : {})
        })
        return info
      })
    ).pipe(
      // The dispatcher logs start failures, one line per back-off step.
      Effect.catchAll((error) => {
        startError = error.message
        return Effect.as(Effect.logDebug("agent could not start", { error: error.message }), {
          reason: "lost" as const,
          exitCode: null,
          signal: null,
          message: `agent could not start: ${error.message}`
        })
      }),
      Effect.tap((info) => Ref.set(endReason, info.message)),
      Effect.annotateLogs("session_id", shortSecret(session.id)),
      Effect.ensuring(cleanup)
    )

    const outcome: SessionOutcome = {
      sessionId: session.id,
      triple,
      exit,
      startError,
      failedJobs: yield* Ref.get(failedCount),
      startedAt,
      endedAt: yield* Clock.currentTimeMillis
    }
    if (hooks.onEnded) yield* hooks.onEnded(outcome)
    return outcome
  }).pipe(
    Effect.annotateLogs({ developer: triple.developer, agent: triple.agent, agent_method: triple.agentMethod }),
    Effect.withSpan("program.agentSession", {
      attributes: { developer: triple.developer, agent: triple.agent, agent_method: triple.agentMethod }
    })
  )
