/**
 * AgentRuntime — starts, watches and removes agents (one per session), behind one interface with
 * two implementations (spec/runtime.md):
 *
 * - `docker` (runtime/docker.ts): containers through dockerode. Production.
 * - `process` (runtime/process.ts): local child processes, for machines without Docker.
 *
 * `start` is scoped: closing the caller's scope stops (grace, then kill) and removes the agent.
 * The layer's own scope does the same for anything still running when the daemon stops. Agents
 * carry labels naming the coordinator and session, so that a restarted coordinator can `sweep`
 * the ones a crash left behind and fail the jobs they held.
 */
import { Context, Data, Duration, Effect, type Scope } from "effect"

/** Who an agent belongs to; written as labels on the container (or the process's pid record). */
export interface AgentOwner {
  readonly coordinatorId: string
  readonly sessionId: string
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
}

/** What to run, with which limits, for which session. */
export interface AgentSpec {
  /** `AgentMethod.docker_image`; for the process runtime, a key of its command map. */
  readonly image: string
  /** `AgentMethod.docker_sha256`: the image must have this digest (`sha256:…` or bare hex). */
  readonly imageSha256?: string | undefined
  /** The agent's whole environment (spec/runtime.md's table); nothing else is passed to a container. */
  readonly env: Readonly<Record<string, string>>
  /** Memory limit in GiB (`min_memory_gb`); 0: the runtime's default limit (Docker: 2 GiB), never unlimited. */
  readonly memoryGb: number
  /** CPU limit in cores (`min_cpu_cores`); 0: the runtime's default limit (Docker: 1 core), never unlimited. */
  readonly cpus: number
  /** TEE methods run with host networking, as the deployed coordinator does. */
  readonly requiresTee: boolean
  readonly labels: AgentOwner
  /** Container name; default `silvana-<developer>-<agent>-<method>-<short session id>`. */
  readonly name?: string | undefined
  /** Run limit (`CONTAINER_TIMEOUT_SECS`): then stop, kill and remove, with exit reason `timeout`. */
  readonly timeoutMs: number
  /** Host path of the coordinator's Unix socket; bind-mounted read-only at the same path. */
  readonly socketPath?: string | undefined
  /** Replaces the image's CMD (arguments to its entrypoint); mainly for tests and tools. */
  readonly command?: ReadonlyArray<string> | undefined
}

/** How an agent ended. `message` is the text jobs are failed with on chain. */
export interface ExitInfo {
  readonly reason: "exited" | "timeout" | "stopped" | "signal" | "oom" | "lost"
  readonly exitCode: number | null
  readonly signal: string | null
  readonly message: string
}

/** The bounded tail of an agent's output and how much it printed in all. */
export interface LogTail {
  readonly stdout: string
  readonly stderr: string
  /** Bytes seen on both streams, including what the tail dropped. */
  readonly totalBytes: number
  readonly truncated: boolean
}

/** Where a running agent's calls come from (what its session is bound to). */
export interface AgentPeer {
  /** Its own addresses on its networks (a container on a bridge network). */
  readonly addresses: ReadonlyArray<string>
  /** The uid its local TCP connections belong to (a process, or a container on the host network). */
  readonly uid?: number | undefined
}

/** A running (or finished) agent. */
export interface AgentHandle {
  /** Known once it started. */
  readonly peer?: AgentPeer | undefined
  /** Container id, or `pid:<n>` for a process. */
  readonly id: string
  readonly name: string
  /** Completes once when the agent has ended, with why; never fails. */
  readonly exit: Effect.Effect<ExitInfo>
  /** The current log tail; complete once `exit` has completed. */
  readonly logs: Effect.Effect<LogTail>
  /** Asks the agent to stop (SIGTERM), kills it after `graceMs`, and waits for its exit. */
  readonly stop: (graceMs?: number) => Effect.Effect<ExitInfo>
  /** Stops it if needed and removes every trace (container, pid record). Idempotent. */
  readonly remove: Effect.Effect<void>
}

/** An agent found by label. */
export interface AgentInfo {
  readonly id: string
  readonly name: string
  readonly owner: AgentOwner
  readonly running: boolean
}

export interface EngineHealth {
  readonly kind: AgentRuntimeKind
  readonly version: string
}

export type AgentRuntimeKind = "docker" | "process"

/** The engine (Docker daemon) does not answer. */
export class EngineUnavailable extends Data.TaggedError("EngineUnavailable")<{ readonly message: string }> {}

/** The image is not present and could not be pulled (after retries, or within the pull timeout). */
export class ImagePullFailed extends Data.TaggedError("ImagePullFailed")<{ readonly image: string; readonly message: string }> {}

/** The image's digest is not the one the registry method asks for. */
export class ImageDigestMismatch extends Data.TaggedError("ImageDigestMismatch")<{
  readonly image: string
  readonly expected: string
  readonly actual: ReadonlyArray<string>
}> {
  override get message() {
    return `image ${this.image} digest mismatch: expected sha256:${this.expected}, found ${this.actual.join(", ") || "none"}`
  }
}

/** The process runtime has no command for this image. */
export class UnknownAgentImage extends Data.TaggedError("UnknownAgentImage")<{ readonly image: string; readonly message: string }> {}

/** Creating or starting the agent failed. */
export class AgentStartFailed extends Data.TaggedError("AgentStartFailed")<{ readonly name: string; readonly message: string }> {}

export type AgentStartError = EngineUnavailable | ImagePullFailed | ImageDigestMismatch | UnknownAgentImage | AgentStartFailed

/** One interface for both runtimes. */
export interface AgentRuntimeService {
  readonly kind: AgentRuntimeKind
  /** The uid/gid agents run as, when known before they start (their session socket is given to it). */
  readonly agentUser?: { readonly uid: number; readonly gid: number } | undefined
  /** Starts an agent; closing the scope stops and removes it. */
  readonly start: (spec: AgentSpec) => Effect.Effect<AgentHandle, AgentStartError, Scope.Scope>
  /** Agents labelled with this coordinator id (running or not). */
  readonly list: (coordinatorId: string) => Effect.Effect<ReadonlyArray<AgentInfo>, EngineUnavailable>
  /**
   * Stops and removes this coordinator's agents whose session is not live (a crash left them
   * behind); returns them, so that the caller can fail the jobs their sessions held.
   */
  readonly sweep: (
    coordinatorId: string,
    liveSessionIds: Iterable<string>
  ) => Effect.Effect<ReadonlyArray<AgentInfo>, EngineUnavailable>
  readonly health: Effect.Effect<EngineHealth, EngineUnavailable>
}

/** Label keys on containers. */
export const LABELS = {
  managed: "silvana.managed",
  coordinatorId: "silvana.coordinator_id",
  sessionId: "silvana.session_id",
  developer: "silvana.developer",
  agent: "silvana.agent",
  agentMethod: "silvana.agent_method"
} as const

export const ownerLabels = (o: AgentOwner): Record<string, string> => ({
  [LABELS.managed]: "true",
  [LABELS.coordinatorId]: o.coordinatorId,
  [LABELS.sessionId]: o.sessionId,
  [LABELS.developer]: o.developer,
  [LABELS.agent]: o.agent,
  [LABELS.agentMethod]: o.agentMethod
})

export const ownerFromLabels = (labels: Readonly<Record<string, string>> | undefined): AgentOwner | undefined => {
  const l = labels ?? {}
  const coordinatorId = l[LABELS.coordinatorId]
  const sessionId = l[LABELS.sessionId]
  if (coordinatorId === undefined || sessionId === undefined) return undefined
  return {
    coordinatorId,
    sessionId,
    developer: l[LABELS.developer] ?? "",
    agent: l[LABELS.agent] ?? "",
    agentMethod: l[LABELS.agentMethod] ?? ""
  }
}

const sanitizePart = (s: string, max: number) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^[-_.]+|[-_.]+$/g, "")
    .slice(0, max) || "x"

/**
 * `silvana-<developer>-<agent>-<method>-<short id>` made valid for Docker (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`)
 * and bounded in length; the short id is the first 12 hex digits of the session address.
 */
export const agentName = (o: AgentOwner): string => {
  const shortId = o.sessionId.replace(/^0x/i, "").slice(0, 12).toLowerCase().replace(/[^a-z0-9]/g, "") || "0"
  return `silvana-${sanitizePart(o.developer, 40)}-${sanitizePart(o.agent, 40)}-${sanitizePart(o.agentMethod, 40)}-${shortId}`
}

/** The exit message jobs are failed with. */
export const exitMessage = (info: Omit<ExitInfo, "message">): string => {
  switch (info.reason) {
    case "timeout":
      return "timeout"
    case "oom":
      return `container terminated: out of memory (exit code ${info.exitCode ?? "unknown"})`
    case "signal":
      return `container terminated: signal ${info.signal ?? "unknown"}`
    case "stopped":
      return `container stopped by the coordinator (exit code ${info.exitCode ?? "unknown"})`
    case "lost":
      return "container lost: the engine stopped reporting on it"
    case "exited":
      return `container terminated: exit code ${info.exitCode ?? "unknown"}`
  }
}

export const makeExit = (info: Omit<ExitInfo, "message">, message?: string): ExitInfo => ({
  ...info,
  message: message ?? exitMessage(info)
})

/** Tuning shared by both runtimes. */
export interface RuntimeOptions {
  /** Grace between SIGTERM and SIGKILL when stopping (default 10 s). */
  readonly stopGraceMs: number
  /** Bytes of each stream's tail kept (default 64 KiB). */
  readonly logTailBytes: number
}

export const defaultRuntimeOptions: RuntimeOptions = { stopGraceMs: 10_000, logTailBytes: 64 * 1024 }

/**
 * The agent runtime service. Its layer, choosing docker or process from Config, is
 * `agentRuntimeLayer` in runtime/index.ts (the implementations import this module, not the reverse).
 */
export class AgentRuntime extends Context.Tag("silvana/AgentRuntime")<AgentRuntime, AgentRuntimeService>() {}

/**
 * The run limit shared by both runtimes: after `timeoutMs`, unless the agent ended first, mark it
 * timed out and stop it (grace, then kill). The timer lives in the agent's scope; the fiber is
 * returned so that removal can end it sooner.
 */
export const forkRunLimit = (
  name: string,
  timeoutMs: number,
  markTimedOut: () => void,
  stop: Effect.Effect<unknown>,
  ended: Effect.Effect<unknown>
) =>
  Effect.forkScoped(
    Effect.sleep(Duration.millis(timeoutMs)).pipe(
      Effect.zipRight(
        Effect.suspend(() => {
          markTimedOut()
          return Effect.logWarning(`agent ${name} timed out after ${timeoutMs} ms; stopping it`)
        })
      ),
      Effect.zipRight(stop),
      Effect.raceFirst(ended)
    )
  )
