/**
 * A full node that never answers, for the health checks' tests: a real TCP server that accepts
 * connections and never says a word (a node, or a daemon too busy to read the answer), and a
 * SuiClient service on it.
 */
import * as net from "node:net"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Effect, Option } from "effect"
import { closeGrpcClient, makeGrpcClient, type SuiClientService } from "../../src/layers/SuiClient.js"

/** A server that takes connections and never says a word. */
export const silentServer = Effect.acquireRelease(
  Effect.async<{ server: net.Server; sockets: Set<net.Socket>; port: number }>((resume) => {
    const sockets = new Set<net.Socket>()
    const server = net.createServer((s) => {
      sockets.add(s)
      s.on("error", () => {})
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, sockets, port: (server.address() as net.AddressInfo).port })))
  }),
  ({ server, sockets }) =>
    Effect.async<void>((resume) => {
      for (const s of sockets) s.destroy()
      server.close(() => resume(Effect.void))
    })
)

export const silentNode = Effect.gen(function* () {
  const { port } = yield* silentServer
  const url = `http://127.0.0.1:${port}`
  const client = yield* Effect.acquireRelease(Effect.sync(() => makeGrpcClient(url)), (c) => Effect.sync(() => closeGrpcClient(c)))
  const keypair = Ed25519Keypair.generate()
  return { client, keypair, address: keypair.toSuiAddress(), packageId: `0x${"0".repeat(63)}1`, registryId: Option.none(), url } satisfies SuiClientService
})
