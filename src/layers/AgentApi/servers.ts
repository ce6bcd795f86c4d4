/**
 * The gRPC servers behind the agent API. nice-grpc binds one address per server, so each listener
 * — the shared socket, TCP, and every session's own socket — is a twin server carrying the same
 * services (CoordinatorService, Health, reflection v1 and v1alpha), told apart by its `Transport`.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Duration, Effect, type Scope } from "effect"
import { createServer, type Server, type ServiceDefinition } from "nice-grpc"
import { HealthDefinition, HealthServiceImpl, type HealthState } from "nice-grpc-server-health"
import { ServerReflection, ServerReflectionService } from "nice-grpc-server-reflection"
import type { SessionId } from "../../domain/ids.js"
import type { CoordinatorServiceImplementation } from "../../gen/silvana/coordinator/v1/coordinator.js"
import type { HostPort } from "../Config.js"
import type { Transport } from "./binding.js"
import type { CallContext } from "./routes.js"
import { AgentApiStartError, socketStep } from "./sockets.js"

export const SERVICE_NAME = "silvana.coordinator.v1.CoordinatorService"

/** The reflection v1alpha service: same messages as v1 under the older name, for older tools. */
const reflectionV1Alpha = Object.fromEntries(
  Object.entries(ServerReflectionService).map(([k, m]) => [
    k,
    { ...m, path: m.path.replace("grpc.reflection.v1.", "grpc.reflection.v1alpha.") }
  ])
) as unknown as typeof ServerReflectionService

export interface ServerOptions {
  /** The services' descriptor set (`gen/descriptor.binpb`), served by reflection. */
  readonly descriptorSet: Uint8Array
  readonly maxMessageBytes: number
  /** A connection with no call for this long is closed (default 5 min). */
  readonly idleTimeoutMs?: number | undefined
  /** The CoordinatorService definition to serve: requestBytes.ts's, which keeps each request's bytes. */
  readonly definition: ServiceDefinition
}

/** Builds the servers of one agent API: each carries the same services for its own transport. */
export const serverFactory = (
  options: ServerOptions,
  health: HealthState,
  implementation: (transport: (ctx: CallContext) => Transport) => CoordinatorServiceImplementation
) => {
  const reflection = ServerReflection(options.descriptorSet, [SERVICE_NAME, "grpc.health.v1.Health"])
  return (transport: (ctx: CallContext) => Transport): Server => {
    const server = createServer({
      "grpc.max_receive_message_length": options.maxMessageBytes,
      "grpc.max_send_message_length": options.maxMessageBytes,
      "grpc.max_connection_idle_ms": options.idleTimeoutMs ?? 300_000,
      "grpc.keepalive_time_ms": 60_000,
      "grpc.keepalive_timeout_ms": 20_000,
      // channelz's per-call and per-stream bookkeeping is for a channelz service this daemon does not serve
      "grpc.enable_channelz": 0
    })
    // the raw definition keeps each request's bytes for the signature check; its handlers are the typed ones
    server.add(options.definition, implementation(transport) as never)
    server.add(HealthDefinition, HealthServiceImpl(health))
    server.add(ServerReflectionService, reflection)
    server.add(reflectionV1Alpha, reflection)
    return server
  }
}

/** Listens on `address`; the port bound (0 for a socket). */
export const listen = (server: Server, address: string, what: string) =>
  Effect.tryPromise({
    try: () => server.listen(address),
    catch: (e) => new AgentApiStartError({ message: `${what}: cannot listen on ${address}: ${(e as Error).message}` })
  })

/** Graceful shutdown, bounded; a server that does not finish in time is forced. */
export const shutdownServer = (server: Server) =>
  Effect.promise(() => server.shutdown()).pipe(
    Effect.timeout(Duration.seconds(2)),
    Effect.catchAll(() => Effect.sync(() => server.forceShutdown()))
  )

/**
 * A session's own socket (0600, owned by `owner` when given) in `sessionDir`, served for the life
 * of the scope and removed when it closes.
 */
export const sessionSocket = (
  makeServer: (transport: (ctx: CallContext) => Transport) => Server,
  sessionDir: string,
  sessionId: SessionId,
  owner?: { readonly uid: number; readonly gid: number }
): Effect.Effect<string, AgentApiStartError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const file = path.join(sessionDir, `${sessionId.slice(2, 18)}.sock`)
      const server = makeServer(() => ({ _tag: "SessionSocket", sessionId }))
      yield* socketStep("session socket", async () => {
        // traversable, not listable: an agent reaches its own socket by name only
        await fs.mkdir(sessionDir, { recursive: true, mode: 0o711 })
        await fs.chmod(sessionDir, 0o711)
        await fs.unlink(file).catch(() => undefined)
      })
      yield* listen(server, `unix://${file}`, "session socket")
      yield* socketStep("session socket", async () => {
        await fs.chmod(file, 0o600)
        if (owner !== undefined) await fs.chown(file, owner.uid, owner.gid)
      }).pipe(Effect.tapError(() => Effect.sync(() => server.forceShutdown())))
      return { file, server }
    }),
    ({ file, server }) =>
      Effect.promise(async () => {
        server.forceShutdown()
        await fs.unlink(file).catch(() => undefined)
      })
  ).pipe(Effect.map(({ file }) => file))

export interface SharedListeners {
  readonly socketPath: string
  readonly socketGroup?: number | undefined
  readonly tcp: HostPort
}

/**
 * Listens on the shared socket (0660, given to `socketGroup`) then on TCP; returns the TCP port
 * bound. On a failure both servers are forced down and the socket file removed.
 */
export const listenShared = (servers: readonly [socket: Server, tcp: Server], options: SharedListeners) =>
  Effect.gen(function* () {
    yield* listen(servers[0], `unix://${options.socketPath}`, "GRPC_SOCKET_PATH")
    yield* socketStep("GRPC_SOCKET_PATH: chmod failed", async () => {
      await fs.chmod(options.socketPath, 0o660)
      if (options.socketGroup !== undefined) await fs.chown(options.socketPath, process.getuid?.() ?? -1, options.socketGroup)
    })
    const host = options.tcp.host.includes(":") ? `[${options.tcp.host}]` : options.tcp.host
    return yield* listen(servers[1], `${host}:${options.tcp.port}`, "GRPC_TCP_ADDRESS")
  }).pipe(
    Effect.tapError(() =>
      Effect.promise(async () => {
        for (const server of servers) server.forceShutdown()
        await fs.unlink(options.socketPath).catch(() => undefined)
      })
    )
  )
