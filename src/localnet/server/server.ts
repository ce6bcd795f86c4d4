/**
 * The localnet's gRPC server: every `sui.rpc.v2` service of `@mysten/sui/grpc` on a grpc-js server,
 * wired to one `LocalChain`. The TCP port serves gRPC (HTTP/2) and gRPC-web (HTTP/1.1) like a full
 * node; the optional Unix socket serves gRPC.
 */
import * as fs from "node:fs"
import type * as net from "node:net"
import * as grpc from "@grpc/grpc-js"
import { GrpcTypes } from "@mysten/sui/grpc"
import type { LocalChain } from "../chain.js"
import type { FaultSwitches, ServerContext } from "./context.js"
import { executionHandlers } from "./execution.js"
import { Fanout } from "./fanout.js"
import { ledgerHandlers } from "./ledger.js"
import { movePackageHandlers } from "./movePackage.js"
import { grpcWebHandler } from "./grpcWeb.js"
import { listenShared, type SharedListener } from "./listener.js"
import { addService, type CallPolicy, type MethodTable } from "./rpc.js"
import { stateHandlers } from "./state.js"
import { RpcStatusError } from "./status.js"
import { subscriptionHandlers } from "./subscriptions.js"
import { transactionHandlers } from "./transactions.js"
import { nameServiceHandlers, signatureVerificationHandlers } from "./verification.js"

export interface GrpcServerOptions {
  readonly host: string
  readonly port: number
  readonly socketPath?: string
  readonly maxInFlight?: number
}

export interface RunningGrpcServer {
  readonly context: ServerContext
  /** The bound TCP port (useful when 0 was asked). */
  readonly port: number
  shutdown(): Promise<void>
}

const bind = (server: grpc.Server, address: string): Promise<number> =>
  new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)))
  )

/** Starts the server; `onExecuted` runs after every successful ExecuteTransaction. */
export const startGrpcServer = async (
  chain: LocalChain,
  options: GrpcServerOptions,
  hooks: { readonly onExecuted: () => void; readonly faults: FaultSwitches; readonly policy?: Partial<CallPolicy> }
): Promise<RunningGrpcServer> => {
  const policy: CallPolicy = { latencyMs: 0, maxInFlight: options.maxInFlight ?? 20_000, inFlight: 0, ...hooks.policy }
  const context: ServerContext = {
    chain,
    fanout: new Fanout(),
    policy,
    faults: hooks.faults,
    onExecuted: hooks.onExecuted
  }
  const server = new grpc.Server({
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    "grpc.max_send_message_length": 64 * 1024 * 1024
  })
  const txs = transactionHandlers(context)
  const table: MethodTable = new Map()
  addService(server, GrpcTypes.LedgerService, { ...ledgerHandlers(context), ...txs.ledger }, policy, table)
  addService(server, GrpcTypes.StateService, stateHandlers(context), policy, table)
  addService(server, GrpcTypes.TransactionExecutionService, executionHandlers(context), policy, table)
  addService(server, GrpcTypes.SubscriptionService, { ...subscriptionHandlers(context), ...txs.subscription }, policy, table)
  addService(server, GrpcTypes.MovePackageService, movePackageHandlers(context), policy, table)
  addService(server, GrpcTypes.SignatureVerificationService, signatureVerificationHandlers(), policy, table)
  // SuiNS: UNIMPLEMENTED, as a full node on a chain other than mainnet/testnet answers
  addService(server, GrpcTypes.NameService, nameServiceHandlers(), policy, table)

  const unsubscribe = chain.onCheckpoint((cp) => context.fanout.publish(cp))
  let listener: SharedListener | undefined
  try {
    listener = await listenShared(server, grpcWebHandler(table, policy), options.host, options.port)
    if (options.socketPath !== undefined) {
      removeStaleSocket(options.socketPath)
      await bind(server, `unix:${options.socketPath}`)
    }
    disableNagle(server)
  } catch (e) {
    unsubscribe()
    listener?.close()
    server.forceShutdown()
    throw e
  }
  const shared = listener

  return {
    context,
    port: shared.port,
    shutdown: async () => {
      unsubscribe()
      context.fanout.dropAll(new RpcStatusError(grpc.status.UNAVAILABLE, "server shutting down"))
      shared.close()
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown()
          resolve()
        }, 2000)
        server.tryShutdown(() => {
          clearTimeout(force)
          resolve()
        })
      })
      if (options.socketPath !== undefined) removeStaleSocket(options.socketPath)
    }
  }
}

/**
 * grpc-js leaves Nagle's algorithm on for accepted TCP connections; with small unary answers that
 * adds delayed-ACK stalls (~40 ms) under concurrency. Its http2 servers are internal, so reach
 * them through the private map (absent in another grpc-js version: then nothing changes).
 */
const disableNagle = (server: grpc.Server) => {
  const servers = (server as unknown as { http2Servers?: Map<net.Server, unknown> }).http2Servers
  if (!(servers instanceof Map)) return
  for (const s of servers.keys()) {
    s.on("connection", (socket: net.Socket) => {
      if (typeof socket.setNoDelay === "function") socket.setNoDelay(true)
    })
  }
}

const removeStaleSocket = (path: string) => {
  try {
    if (fs.statSync(path).isSocket()) fs.unlinkSync(path)
  } catch {
    // absent: nothing to remove
  }
}
