/**
 * AgentApi — the gRPC server agents call: `silvana.coordinator.v1.CoordinatorService` plus
 * `grpc.health.v1.Health` and server reflection (v1 and v1alpha), on a Unix socket and on TCP.
 *
 * The socket is created with mode 0660 after removing a stale file (never a live one). The TCP
 * listener binds to the Docker bridge gateway — the address containers reach as
 * `host.docker.internal` — or to loopback, never to all interfaces unless configured.
 * Closing the layer's scope drains: new calls get UNAVAILABLE, calls in flight finish (bounded),
 * then the listeners close and the socket file is removed.
 */
import { readFileSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Context, Duration, Effect, Layer, Option, type Scope } from "effect"
import { HealthState } from "nice-grpc-server-health"
import type { SessionId } from "../domain/ids.js"
import { keepTickShape } from "../tickShape.js"
import type { SessionAuth } from "./AgentApi/callAuth.js"
import { makeHandshakeGuard } from "./AgentApi/handshakeGuard.js"
import type { RateLimitOptions } from "./AgentApi/rateLimit.js"
import { makeAgentService } from "./AgentApi/service.js"
import { listenShared, SERVICE_NAME, serverFactory, sessionSocket, shutdownServer } from "./AgentApi/servers.js"
import { AgentApiStartError, prepareSocketPath, resolveGroup } from "./AgentApi/sockets.js"
import { Config, type HostPort } from "./Config.js"
import { defaultTcpHost } from "./runtime/dockerImage.js"

export interface AgentApiOptions {
  readonly socketPath: string
  /** Group the socket is given to (mode 0660), so that only its members can connect. */
  readonly socketGroup?: number | undefined
  /** `port: 0` picks a free port. */
  readonly tcp: HostPort
  readonly maxMessageBytes: number
  readonly chain: string
  /** Calls in flight beyond this answer RESOURCE_EXHAUSTED. */
  readonly maxInFlight: number
  /** How long shutdown waits for calls in flight. */
  readonly drainTimeout: Duration.DurationInput
  /** A connection with no call for this long is closed (default 5 min). */
  readonly idleTimeoutMs?: number
  /** A connection that has not sent the HTTP/2 preface and SETTINGS header by then is closed (default 10 s). */
  readonly handshakeTimeoutMs?: number
  /** AgentMessage lines per session: burst and sustained rate (default 200, 50/s). */
  readonly logRateLimit?: RateLimitOptions
  /** `strict`: every call must be signed with the session's key (default `bound`: checked when signed). */
  readonly sessionAuth?: SessionAuth
  /** How far a signed call's timestamp may be from this clock (default 30 s). */
  readonly signatureWindowMs?: number
}

export interface AgentApiService {
  readonly socketPath: string
  readonly tcp: HostPort
  /** `unix:///abs/path` — the form nice-grpc clients need. */
  readonly socketUrl: string
  readonly inFlight: () => number
  /** Stops taking new calls (UNAVAILABLE) and waits for the ones in flight. */
  readonly drain: Effect.Effect<void>
  /**
   * A socket of the session's own (0600, owned by `uid` when given) for the life of the scope:
   * only that session may be used on it. Mount it into the agent's container, or hand its path to
   * the agent's process, as `COORDINATOR_SOCKET`.
   */
  readonly openSessionSocket: (sessionId: SessionId, owner?: { readonly uid: number; readonly gid: number }) => Effect.Effect<string, AgentApiStartError, Scope.Scope>
}

export { AgentApiStartError, defaultTcpHost, resolveGroup, SERVICE_NAME }

const descriptorSet = (): Uint8Array => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  // src/gen or dist/gen, one level up from src/layers, dist/layers and the bundled daemon's dist/chunks.
  return readFileSync(path.join(here, "..", "gen", "descriptor.binpb"))
}

export class AgentApi extends Context.Tag("silvana/AgentApi")<AgentApi, AgentApiService>() {
  /** Options from Config. */
  static readonly layer = Layer.unwrapEffect(
    Effect.gen(function* () {
      const c = yield* Config
      const tcp = Option.isSome(c.grpcTcpAddress) ? c.grpcTcpAddress.value : { host: yield* defaultTcpHost, port: 50051 }
      const socketGroup = Option.isSome(c.grpcSocketGroup) ? yield* resolveGroup(c.grpcSocketGroup.value) : undefined
      return { c, tcp, socketGroup }
    }).pipe(Effect.map(({ c, tcp, socketGroup }) =>
      AgentApi.layerWith({
        socketPath: path.resolve(c.grpcSocketPath),
        socketGroup,
        tcp,
        maxMessageBytes: c.grpcMaxMessageBytes,
        chain: c.suiChain,
        sessionAuth: c.sessionAuth,
        maxInFlight: 4096,
        drainTimeout: Duration.seconds(10)
      })
    ))
  )

  static readonly layerWith = (options: AgentApiOptions) =>
    Layer.scoped(
      AgentApi,
      Effect.gen(function* () {
        // every call goes through process.nextTick many times: keep it on V8's fast path (tickShape.ts)
        yield* Effect.sync(keepTickShape)
        const service = yield* makeAgentService(options)
        const admission = service.admission
        const health = HealthState()
        const makeServer = serverFactory(
          { descriptorSet: descriptorSet(), maxMessageBytes: options.maxMessageBytes, idleTimeoutMs: options.idleTimeoutMs, definition: service.requests.definition },
          health,
          service.implementation
        )
        let tcpPort = options.tcp.port
        const servers = [
          makeServer(() => ({ _tag: "SharedSocket" })),
          makeServer((ctx) => ({ _tag: "Tcp", peer: ctx.peer, serverPort: tcpPort }))
        ] as const

        const setHealth = (status: "healthy" | "unhealthy") => {
          health.setStatus(status, "")
          health.setStatus(status, SERVICE_NAME)
        }
        const drain = Effect.gen(function* () {
          if (!admission.startDraining()) return
          setHealth("unhealthy")
          yield* Effect.logInfo("agent API draining", { inFlight: admission.inFlight() })
          yield* Effect.sleep(Duration.millis(20)).pipe(
            Effect.repeat({ until: () => admission.inFlight() === 0 }),
            Effect.timeout(options.drainTimeout),
            Effect.ignore
          )
        })
        const close = Effect.gen(function* () {
          yield* drain
          yield* Effect.forEach(servers, shutdownServer, { concurrency: "unbounded", discard: true })
          yield* Effect.promise(() => fs.unlink(options.socketPath).catch(() => undefined))
          yield* Effect.logInfo("agent API closed")
        })

        yield* prepareSocketPath(options.socketPath)
        const guard = yield* makeHandshakeGuard(options.handshakeTimeoutMs ?? 10_000)
        yield* guard.watch(options.socketPath)
        tcpPort = yield* Effect.acquireRelease(listenShared(servers, options), () => close)
        yield* guard.watch(tcpPort)
        setHealth("healthy")
        yield* Effect.logInfo("agent API listening", { socket: options.socketPath, tcp: `${options.tcp.host}:${tcpPort}` })
        const sessionDir = `${options.socketPath}.sessions`
        return AgentApi.of({
          socketPath: options.socketPath,
          tcp: { host: options.tcp.host, port: tcpPort },
          socketUrl: `unix://${options.socketPath}`,
          inFlight: admission.inFlight,
          drain,
          openSessionSocket: (sessionId, owner) => Effect.tap(sessionSocket(makeServer, sessionDir, sessionId, owner), (file) => guard.watch(file))
        })
      })
    )
}
