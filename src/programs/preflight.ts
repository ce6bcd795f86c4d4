/**
 * preflight — what `start` checks before it boots anything (the embedded localnet takes seconds):
 * the agent API's socket is not served by a live process, and the HTTP and agent API TCP addresses
 * can be bound. Each problem is one line naming the variable to change. The real listeners still
 * report their own errors should something take an address in between.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import { Data, Effect, Option } from "effect"
import type { CoordinatorConfig, HostPort } from "../layers/Config.js"

export class AddressUnavailable extends Data.TaggedError("AddressUnavailable")<{ readonly message: string }> {}

const socketIsLive = (p: string) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(p)
    s.once("connect", () => {
      s.destroy()
      resolve(true)
    })
    s.once("error", () => resolve(false))
  })

const checkSocket = (p: string) =>
  Effect.tryPromise({
    try: async () => {
      const st = fs.lstatSync(p, { throwIfNoEntry: false })
      if (st === undefined) return undefined
      if (!st.isSocket()) return `GRPC_SOCKET_PATH: ${p} exists and is not a socket; remove it or choose another path`
      return (await socketIsLive(p))
        ? `GRPC_SOCKET_PATH: another process (a coordinator already running?) is serving on ${p}; stop it or choose another path`
        : undefined
    },
    catch: (e) => `GRPC_SOCKET_PATH: cannot check ${p}: ${(e as Error).message}`
  }).pipe(Effect.merge)

const REASONS: Record<string, string> = {
  EADDRINUSE: "is in use by another process",
  EADDRNOTAVAIL: "is not an address of this host",
  EACCES: "needs privileges this process does not have"
}

/** `undefined` when `address` can be bound, else what is wrong. */
const checkBind = (variable: string, address: HostPort) =>
  Effect.async<string | undefined>((resume) => {
    const server = net.createServer()
    server.once("error", (e: NodeJS.ErrnoException) =>
      resume(
        Effect.succeed(
          `${variable}: ${address.host}:${address.port} ${REASONS[e.code ?? ""] ?? `cannot be bound (${e.code ?? e.message})`}; free it or set ${variable} to another host:port`
        )
      )
    )
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => server.close(() => resume(Effect.succeed(undefined))))
  })

/** Fails with the first problem found, as one line. */
export const preflight = (c: CoordinatorConfig) =>
  Effect.gen(function* () {
    const problems = [
      yield* checkSocket(c.grpcSocketPath),
      c.httpAddress.port === 0 ? undefined : yield* checkBind("HTTP_ADDRESS", c.httpAddress),
      Option.isSome(c.grpcTcpAddress) && c.grpcTcpAddress.value.port !== 0 ? yield* checkBind("GRPC_TCP_ADDRESS", c.grpcTcpAddress.value) : undefined
    ].filter((p): p is string => p !== undefined)
    if (problems.length > 0) return yield* new AddressUnavailable({ message: problems.join("; ") })
  })
