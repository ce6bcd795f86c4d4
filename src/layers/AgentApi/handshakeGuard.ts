/**
 * A deadline for connections to the agent API that never finish the HTTP/2 handshake (a socket
 * that sends nothing, or half a preface, would otherwise hold a file descriptor until the idle
 * timeout). grpc-js owns its listening sockets, so the guard watches Node's `net.server.socket`
 * diagnostics channel — every connection a server in this process accepts — keeps those of the
 * agent API's listeners, and destroys one that has not sent the client preface and the header of
 * its SETTINGS frame by the deadline. Once past the handshake, `grpc.max_connection_idle_ms`
 * closes a connection that stays idle.
 */
import * as dc from "node:diagnostics_channel"
import type * as net from "node:net"
import { Effect, type Scope } from "effect"
import * as Metrics from "../Metrics.js"

/** The HTTP/2 client connection preface (24 bytes) and the 9-byte header of the SETTINGS frame that must follow it. */
export const HANDSHAKE_BYTES = 24 + 9

const CHANNEL = "net.server.socket"

export interface HandshakeGuard {
  /** Guards the connections of the listener on `address` (its TCP port or Unix socket path) for the life of the scope. */
  readonly watch: (address: number | string) => Effect.Effect<void, never, Scope.Scope>
  /** Connections closed so far for not finishing their handshake in time. */
  readonly closed: () => number
}

/** The port or socket path of the server that accepted `socket`. */
const listenerOf = (socket: net.Socket): number | string | undefined => {
  const address = (socket as { server?: net.Server }).server?.address()
  return typeof address === "string" ? address : (address ?? undefined)?.port
}

export const makeHandshakeGuard = (timeoutMs: number): Effect.Effect<HandshakeGuard, never, Scope.Scope> =>
  Effect.gen(function* () {
    const watched = new Set<number | string>()
    let closed = 0
    const onSocket = (message: unknown) => {
      const socket = (message as { socket?: net.Socket }).socket
      if (socket === undefined || watched.size === 0) return
      const listener = listenerOf(socket)
      if (listener === undefined || !watched.has(listener)) return
      const timer = setTimeout(() => {
        if (socket.destroyed || socket.bytesRead >= HANDSHAKE_BYTES) return
        closed += 1
        Metrics.handshakeTimeouts.unsafeUpdate(1, [])
        socket.destroy()
      }, timeoutMs)
      timer.unref()
      socket.once("close", () => clearTimeout(timer))
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => dc.subscribe(CHANNEL, onSocket)),
      () => Effect.sync(() => dc.unsubscribe(CHANNEL, onSocket))
    )
    return {
      watch: (address) =>
        Effect.asVoid(Effect.acquireRelease(Effect.sync(() => watched.add(address)), () => Effect.sync(() => watched.delete(address)))),
      closed: () => closed
    }
  })
