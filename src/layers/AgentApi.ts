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
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Cause, Context, Data, Duration, Effect, Exit, Fiber, Layer, Option, Runtime, type Scope } from "effect"
import type { SessionId } from "../domain/ids.js"
import type { Transport } from "./AgentApi/binding.js"
import { makeRateLimiter, type RateLimitOptions } from "./AgentApi/rateLimit.js"
import { type CallContext, createServer, ServerError, Status } from "nice-grpc"
import { makeCallAuth, type SessionAuth } from "./AgentApi/callAuth.js"
import { makeHandshakeGuard } from "./AgentApi/handshakeGuard.js"
import { coordinatorRequestBytes } from "./AgentApi/requestBytes.js"
import { rpcHandlers, type RpcEnv } from "./AgentApi/rpcTable.js"
import { HealthDefinition, HealthServiceImpl, HealthState } from "nice-grpc-server-health"
import { ServerReflection, ServerReflectionService } from "nice-grpc-server-reflection"
import { API_ERROR_TAGS, type ApiError, internalError, NotImplemented, Overloaded, ShuttingDown, toServerError } from "./AgentApi/errors.js"
import * as H from "./AgentApi/handlers.js"
import {
  CoordinatorServiceDefinition,
  type CoordinatorServiceImplementation
} from "../gen/silvana/coordinator/v1/coordinator.js"
import { AppApi } from "./AppApi.js"
import { Config, type HostPort } from "./Config.js"
import { defaultTcpHost } from "./runtime/dockerImage.js"
import { JobStore } from "./JobStore.js"
import * as Metrics from "./Metrics.js"
import { Reports } from "./Reports.js"
import { Sessions } from "./Sessions.js"

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

export class AgentApiStartError extends Data.TaggedError("AgentApiStartError")<{ readonly message: string }> {}

export { defaultTcpHost }

export const SERVICE_NAME = "silvana.coordinator.v1.CoordinatorService"

/** The RPCs this coordinator implements; every other RPC of the contract answers UNIMPLEMENTED. */
const CORE_RPCS = new Set(["getJob", "completeJob", "failJob", "terminateJob", "agentMessage"])
/** The job-scoped RPCs; implemented when the AppApi backend is part of the runtime. */
const APP_RPCS = new Set([
  "setKV", "getKV", "deleteKV", "addMetadata", "getMetadata", "createAppJob",
  "submitProof", "getProof", "getBlockProof", "rejectProof", "readDataAvailability",
  "getSequenceStates", "submitState", "getSettlementProof", "submitSettlementProof",
  "tryCreateBlock", "getBlock", "updateBlockStateDataAvailability", "updateBlockProofDataAvailability",
  "updateBlockSettlementTxHash", "updateBlockSettlementTxIncludedInBlock", "getBlockSettlement", "updateBlockSettlement",
  "getAppInstance", "retrieveSecret", "proofEvent"
])

const descriptorSet = (): Uint8Array => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  // src/gen or dist/gen, one level up from src/layers, dist/layers and the bundled daemon's dist/chunks.
  return readFileSync(path.join(here, "..", "gen", "descriptor.binpb"))
}

/** The reflection v1alpha service: same messages as v1 under the older name, for older tools. */
const reflectionV1Alpha = Object.fromEntries(
  Object.entries(ServerReflectionService).map(([k, m]) => [
    k,
    { ...m, path: m.path.replace("grpc.reflection.v1.", "grpc.reflection.v1alpha.") }
  ])
) as unknown as typeof ServerReflectionService

const socketIsLive = (p: string) =>
  new Promise<boolean>((resolve) => {
    const s = net.createConnection(p)
    s.once("connect", () => {
      s.destroy()
      resolve(true)
    })
    s.once("error", () => resolve(false))
  })

/** Removes a stale socket file; refuses to touch a live socket or a file that is not a socket. */
const prepareSocketPath = (p: string) =>
  Effect.tryPromise({
    try: async () => {
      await fs.mkdir(path.dirname(p), { recursive: true })
      const st = await fs.lstat(p).catch(() => undefined)
      if (st === undefined) return
      if (!st.isSocket()) throw new Error(`${p} exists and is not a socket; refusing to replace it`)
      if (await socketIsLive(p)) throw new Error(`another process is serving on ${p}`)
      await fs.unlink(p)
    },
    catch: (e) => new AgentApiStartError({ message: `GRPC_SOCKET_PATH: ${(e as Error).message}` })
  })

/** `GRPC_SOCKET_GROUP`: a gid, or a group name looked up in /etc/group. */
export const resolveGroup = (group: string) =>
  Effect.try({
    try: () => {
      if (/^\d+$/.test(group)) return Number(group)
      const line = readFileSync("/etc/group", "utf8").split("\n").find((l) => l.split(":")[0] === group)
      const gid = line === undefined ? NaN : Number(line.split(":")[2])
      if (!Number.isSafeInteger(gid)) throw new Error(`no group named ${group}`)
      return gid
    },
    catch: (e) => new AgentApiStartError({ message: `GRPC_SOCKET_GROUP: ${(e as Error).message}` })
  })

const headerText = (ctx: CallContext, name: string): string | undefined => {
  const value = ctx.metadata.get(name)
  return typeof value === "string" ? value : undefined
}

const isApiError = (e: unknown): e is ApiError =>
  typeof e === "object" &&
  e !== null &&
  "_tag" in e &&
  (API_ERROR_TAGS as ReadonlyArray<string>).includes((e as { _tag: string })._tag)

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
        const runtime = yield* Effect.runtime<JobStore | Sessions | Reports>()
        const run = Runtime.runPromiseExit(runtime)
        const runSync = Runtime.runSyncExit(runtime)
        let inFlight = 0
        let draining = false

        /** Admission (drain, overload), then the handler's Effect, then the one error mapping. */
        const serve = async <A>(effect: Effect.Effect<A, ApiError, JobStore | Sessions | Reports>, signal: AbortSignal) => {
          if (draining) throw toServerError(new ShuttingDown({ message: "the coordinator is shutting down" }))
          if (inFlight >= options.maxInFlight) {
            throw toServerError(new Overloaded({ message: "too many calls in flight; retry with backoff" }))
          }
          inFlight += 1
          let exit: Exit.Exit<A, ApiError>
          try {
            // Most calls never wait (GetJob is a store transition): run them synchronously, and only
            // await the fiber of those that do (a durable write), interrupting it if the call is cancelled.
            exit = runSync(effect)
            if (Exit.isFailure(exit)) {
              const defect = Cause.dieOption(exit.cause)
              if (Option.isSome(defect) && Runtime.isAsyncFiberException(defect.value)) {
                const fiber = defect.value.fiber as Fiber.RuntimeFiber<A, ApiError>
                const cancel = () => fiber.unsafeInterruptAsFork(fiber.id())
                signal.addEventListener("abort", cancel, { once: true })
                try {
                  exit = await Effect.runPromise(Fiber.await(fiber))
                } finally {
                  signal.removeEventListener("abort", cancel)
                }
              }
            }
          } finally {
            inFlight -= 1
          }
          if (Exit.isSuccess(exit)) return exit.value
          const failure = Cause.failureOption(exit.cause)
          if (Option.isSome(failure) && isApiError(failure.value)) throw toServerError(failure.value)
          if (Cause.isInterruptedOnly(exit.cause)) throw new ServerError(Status.CANCELLED, "call cancelled")
          await run(Effect.logError("agent API handler defect", exit.cause))
          throw internalError()
        }

        const refuseIfDraining = async () => {
          if (draining) throw toServerError(new ShuttingDown({ message: "the coordinator is shutting down" }))
        }
        // Every RPC first checks the call's signature (callAuth.ts), then that it came from where its
        // session is bound (binding.ts), then runs its handler.
        type Ctx = CallContext
        const logLimiter = makeRateLimiter(options.logRateLimit)
        const handlers = rpcHandlers(options.chain, logLimiter)
        const guarded = (key: string, transport: (ctx: Ctx) => Transport) => {
          const handler = handlers[key as keyof CoordinatorServiceImplementation] as (req: { readonly sessionId: string }) => Effect.Effect<unknown, ApiError, RpcEnv>
          const path = requests.pathOf(key)
          return (req: { readonly sessionId: string }, ctx: Ctx) =>
            serve(
              callAuth.check({ path, sessionId: req.sessionId, request: requests.bytesOf(req), header: (name) => headerText(ctx, name) }).pipe(
                Effect.zipRight(H.bindingCheck(req.sessionId, transport(ctx))),
                Effect.flatMap((refusal) => (refusal === undefined ? handler(req) : Effect.succeed({ success: false, message: refusal })))
              ),
              ctx.signal
            )
        }
        const withApp = Option.isSome(Context.getOption(runtime.context, AppApi))
        const implemented = (key: string) => CORE_RPCS.has(key) || (withApp && APP_RPCS.has(key))
        let tcpPort = options.tcp.port
        const callAuth = makeCallAuth({ mode: options.sessionAuth ?? "bound", ...(options.signatureWindowMs === undefined ? {} : { windowMs: options.signatureWindowMs }) })
        const requests = coordinatorRequestBytes()
        const implFor = (transport: (ctx: Ctx) => Transport) =>
          Object.fromEntries(
            Object.entries(CoordinatorServiceDefinition.methods).map(([key, method]) => [
              key,
              Metrics.timedRpc(method.name, implemented(key)
                ? (guarded(key, transport) as (req: unknown, ctx: unknown) => Promise<unknown>)
                : async () => {
                    await refuseIfDraining()
                    throw toServerError(new NotImplemented({ rpc: method.name }))
                  })
            ])
          )

        const health = HealthState()
        const reflection = ServerReflection(descriptorSet(), [SERVICE_NAME, "grpc.health.v1.Health"])
        // nice-grpc binds one address per server: the socket and TCP listeners are twin servers.
        const makeServer = (transport: (ctx: Ctx) => Transport) => {
          const server = createServer({
            "grpc.max_receive_message_length": options.maxMessageBytes,
            "grpc.max_send_message_length": options.maxMessageBytes,
            "grpc.max_connection_idle_ms": options.idleTimeoutMs ?? 300_000,
            "grpc.keepalive_time_ms": 60_000,
            "grpc.keepalive_timeout_ms": 20_000
          })
          // the raw definition keeps each request's bytes; its handlers are the typed ones above
          server.add(requests.definition, implFor(transport) as never)
          server.add(HealthDefinition, HealthServiceImpl(health))
          server.add(ServerReflectionService, reflection)
          server.add(reflectionV1Alpha, reflection)
          return server
        }
        const servers = [
          makeServer(() => ({ _tag: "SharedSocket" })),
          makeServer((ctx) => ({ _tag: "Tcp", peer: ctx.peer, serverPort: tcpPort }))
        ] as const
        const sessionDir = `${options.socketPath}.sessions`
        const openSessionSocket = (sessionId: SessionId, owner?: { readonly uid: number; readonly gid: number }) =>
          Effect.acquireRelease(
            Effect.gen(function* () {
              const file = path.join(sessionDir, `${sessionId.replace(/^0x/, "").slice(0, 16)}.sock`)
              const server = makeServer(() => ({ _tag: "SessionSocket", sessionId }))
              yield* Effect.tryPromise({
                try: async () => {
                  // traversable, not listable: an agent reaches its own socket by name only
                  await fs.mkdir(sessionDir, { recursive: true, mode: 0o711 })
                  await fs.chmod(sessionDir, 0o711)
                  await fs.unlink(file).catch(() => undefined)
                },
                catch: (e) => new AgentApiStartError({ message: `session socket: ${(e as Error).message}` })
              })
              yield* listen(server, `unix://${file}`, "session socket")
              yield* Effect.tryPromise({
                try: async () => {
                  await fs.chmod(file, 0o600)
                  if (owner !== undefined) await fs.chown(file, owner.uid, owner.gid)
                },
                catch: (e) => new AgentApiStartError({ message: `session socket: ${(e as Error).message}` })
              }).pipe(Effect.tapError(() => Effect.sync(() => server.forceShutdown())))
              return { file, server }
            }),
            ({ file, server }) =>
              Effect.promise(async () => {
                server.forceShutdown()
                await fs.unlink(file).catch(() => undefined)
              })
          ).pipe(Effect.tap(({ file }) => guard.watch(file)), Effect.map(({ file }) => file))

        yield* prepareSocketPath(options.socketPath)
        const guard = yield* makeHandshakeGuard(options.handshakeTimeoutMs ?? 10_000)
        yield* guard.watch(options.socketPath)
        const listen = (server: (typeof servers)[number], address: string, what: string) =>
          Effect.tryPromise({
            try: () => server.listen(address),
            catch: (e) => new AgentApiStartError({ message: `${what}: cannot listen on ${address}: ${(e as Error).message}` })
          })

        const drain = Effect.gen(function* () {
          if (draining) return
          draining = true
          health.setStatus("unhealthy", "")
          health.setStatus("unhealthy", SERVICE_NAME)
          yield* Effect.logInfo("agent API draining", { inFlight })
          yield* Effect.sleep(Duration.millis(20)).pipe(
            Effect.repeat({ until: () => inFlight === 0 }),
            Effect.timeout(options.drainTimeout),
            Effect.ignore
          )
        })

        const port = yield* Effect.acquireRelease(
          Effect.gen(function* () {
            yield* listen(servers[0], `unix://${options.socketPath}`, "GRPC_SOCKET_PATH")
            yield* Effect.tryPromise({
              try: async () => {
                await fs.chmod(options.socketPath, 0o660)
                if (options.socketGroup !== undefined) await fs.chown(options.socketPath, process.getuid?.() ?? -1, options.socketGroup)
              },
              catch: (e) => new AgentApiStartError({ message: `GRPC_SOCKET_PATH: chmod failed: ${(e as Error).message}` })
            })
            const host = options.tcp.host.includes(":") ? `[${options.tcp.host}]` : options.tcp.host
            tcpPort = yield* listen(servers[1], `${host}:${options.tcp.port}`, "GRPC_TCP_ADDRESS")
            return tcpPort
          }).pipe(
            Effect.tapError(() =>
              Effect.promise(async () => {
                for (const server of servers) server.forceShutdown()
                await fs.unlink(options.socketPath).catch(() => undefined)
              })
            )
          ),
          () =>
            Effect.gen(function* () {
              yield* drain
              yield* Effect.forEach(
                servers,
                (server) =>
                  Effect.promise(() => server.shutdown()).pipe(
                    Effect.timeout(Duration.seconds(2)),
                    Effect.catchAll(() => Effect.sync(() => server.forceShutdown()))
                  ),
                { concurrency: "unbounded", discard: true }
              )
              yield* Effect.promise(() => fs.unlink(options.socketPath).catch(() => undefined))
              yield* Effect.logInfo("agent API closed")
            })
        )
        yield* guard.watch(port)
        health.setStatus("healthy", "")
        health.setStatus("healthy", SERVICE_NAME)
        yield* Effect.logInfo("agent API listening", { socket: options.socketPath, tcp: `${options.tcp.host}:${port}` })
        return AgentApi.of({
          socketPath: options.socketPath,
          tcp: { host: options.tcp.host, port },
          socketUrl: `unix://${options.socketPath}`,
          inFlight: () => inFlight,
          drain,
          openSessionSocket
        })
      })
    )
}
