/**
 * One TCP port for gRPC and gRPC-web, as a full node has: each connection's first bytes decide.
 * An HTTP/2 connection starts with the client preface (`PRI * HTTP/2.0…`) and goes to grpc-js
 * (through its connection injector); anything else is HTTP/1.1 and goes to the gRPC-web handler.
 */
import * as http from "node:http"
import * as net from "node:net"
import * as grpc from "@grpc/grpc-js"

export interface SharedListener {
  readonly port: number
  /** Stops accepting and closes the HTTP/1.1 connections (grpc-js closes its own sessions). */
  close(): void
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1")

/** True/false once the bytes decide, undefined while they are a strict prefix of the preface. */
const isHttp2 = (head: Buffer): boolean | undefined => {
  const n = Math.min(head.length, PREFACE.length)
  if (!head.subarray(0, n).equals(PREFACE.subarray(0, n))) return false
  return n === PREFACE.length ? true : undefined
}

export const listenShared = (
  grpcServer: grpc.Server,
  web: http.RequestListener,
  host: string,
  port: number
): Promise<SharedListener> => {
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure())
  const httpServer = http.createServer({ keepAlive: true }, web)
  const route = (socket: net.Socket) => {
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const h2 = isHttp2(head)
      if (h2 === undefined) return
      socket.off("data", onData)
      socket.pause()
      socket.unshift(head)
      // Back to the never-flowing state, so the next owner's "data" listener starts the flow and
      // gets the bytes read here first (the peek that HTTP multiplexers such as httpolyglot use).
      ;(socket as unknown as { _readableState: { flowing: boolean | null } })._readableState.flowing = null
      if (h2) injector.injectConnection(socket)
      else httpServer.emit("connection", socket)
    }
    socket.setNoDelay(true)
    socket.on("data", onData)
  }
  const tcp = net.createServer(route)
  // a client that resets before its first bytes must not take the server down
  tcp.on("connection", (socket: net.Socket) => socket.on("error", () => undefined))
  return new Promise((resolve, reject) => {
    tcp.once("error", reject)
    tcp.listen({ host, port }, () => {
      tcp.off("error", reject)
      resolve({
        port: (tcp.address() as net.AddressInfo).port,
        close: () => {
          tcp.close()
          injector.drain(1_000)
          httpServer.closeAllConnections()
        }
      })
    })
  })
}
