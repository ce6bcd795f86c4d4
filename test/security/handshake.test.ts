/**
 * The agent API's connection deadlines, with raw sockets against the real listeners: a connection
 * that sends nothing, or only part of the HTTP/2 preface, is closed once the handshake deadline
 * passes (TCP, the shared Unix socket and a session's own socket); a connection that finished its
 * handshake is not, and is closed only after the idle timeout; real clients keep working.
 */
import * as http2 from "node:http2"
import * as net from "node:net"
import { Effect, Metric } from "effect"
import { createChannel, createClient } from "nice-grpc"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { AgentApi } from "../../src/layers/AgentApi.js"
import * as Metrics from "../../src/layers/Metrics.js"
import { Sessions } from "../../src/layers/Sessions.js"
import { startApi, tripleA } from "../api/fixture.js"

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

/** A raw connection that writes `bytes` and then nothing; resolves once it is open. */
const rawSocket = (connect: () => net.Socket, bytes = "") =>
  new Promise<{ socket: net.Socket; closed: Promise<void> }>((resolve, reject) => {
    const socket = connect()
    const closed = new Promise<void>((r) => socket.once("close", () => r()))
    socket.on("error", () => undefined)
    // read what the server sends (its SETTINGS), so that its closing the connection is seen
    socket.resume()
    socket.once("connect", () => {
      if (bytes !== "") socket.write(bytes)
      resolve({ socket, closed })
    })
    socket.once("error", reject)
  })

/** gRPC health Check over a raw HTTP/2 session: the status it answers. */
const healthCheck = (session: http2.ClientHttp2Session) =>
  new Promise<string>((resolve, reject) => {
    const req = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc", te: "trailers" })
    req.on("trailers", (t) => resolve(String(t["grpc-status"])))
    req.on("error", reject)
    req.resume()
    req.end(Buffer.alloc(5))
  })

const openSession = (authority: string, options: http2.SecureClientSessionOptions = {}) =>
  new Promise<{ session: http2.ClientHttp2Session; closed: Promise<void> }>((resolve, reject) => {
    const session = http2.connect(authority, options)
    const closed = new Promise<void>((r) => session.once("close", () => r()))
    session.on("error", () => undefined)
    session.once("remoteSettings", () => resolve({ session, closed }))
    session.once("error", reject)
  })

describe("HTTP/2 handshake deadline", () => {
  let api: Awaited<ReturnType<typeof startApi>>
  beforeAll(async () => {
    api = await startApi({ handshakeTimeoutMs: 1_000 })
  })
  afterAll(async () => {
    await api?.close()
  })
  const timeouts = () => api.run(Metric.value(Metrics.handshakeTimeouts)).then((s) => s.count)

  it("closes silent and half-preface connections on TCP and the shared socket; a handshaken one stays", async () => {
    const before = await timeouts()
    const tcp = () => net.connect(api.api.tcp.port, "127.0.0.1")
    // a real HTTP/2 connection, handshaken before the silent ones arrive
    const good = await openSession(`http://127.0.0.1:${api.api.tcp.port}`)
    const silent = await Promise.all([
      rawSocket(tcp),
      rawSocket(tcp, PREFACE.slice(0, 16)),
      rawSocket(tcp, PREFACE),
      rawSocket(() => net.connect(api.options.socketPath)),
      rawSocket(() => net.connect(api.options.socketPath), "PRI * HTTP")
    ])
    await Promise.all(silent.map((s) => s.closed))
    expect(silent.every((s) => s.socket.destroyed)).toBe(true)
    expect((await timeouts()) - before).toBeGreaterThanOrEqual(5)
    // the handshaken connection outlived the deadline and still serves calls
    expect(good.session.closed || good.session.destroyed).toBe(false)
    expect(await healthCheck(good.session)).toBe("0")
    good.session.close()
  }, 60_000)

  it("a session's own socket is guarded too", async () => {
    const session = await api.run(Effect.flatMap(Sessions, (s) => s.create(tripleA, { bound: true })))
    const before = await timeouts()
    await api.run(
      Effect.scoped(
        Effect.gen(function* () {
          const file = yield* Effect.flatMap(AgentApi, (a) => a.openSessionSocket(session.id))
          const silent = yield* Effect.promise(() => rawSocket(() => net.connect(file)))
          yield* Effect.promise(() => silent.closed)
        })
      )
    )
    expect((await timeouts()) - before).toBeGreaterThanOrEqual(1)
  }, 60_000)

  it("real clients are unaffected: a nice-grpc client works before and after the deadline", async () => {
    const channel = createChannel(api.tcpUrl)
    const client = createClient(CoordinatorServiceDefinition, channel)
    try {
      const s = await api.newSession(tripleA)
      expect((await client.agentMessage({ sessionId: s.id, level: 2, message: "one" })).success).toBe(true)
      // let the deadline pass on a silent socket opened after the client's connection
      const silent = await rawSocket(() => net.connect(api.api.tcp.port, "127.0.0.1"))
      await silent.closed
      expect((await client.agentMessage({ sessionId: s.id, level: 2, message: "two" })).success).toBe(true)
    } finally {
      channel.close()
    }
  }, 60_000)
})

describe("idle timeout", () => {
  it("a handshaken connection that makes no call is closed after the idle timeout; clients reconnect", async () => {
    const api = await startApi({ idleTimeoutMs: 1_500, handshakeTimeoutMs: 60_000 })
    const channel = createChannel(api.tcpUrl)
    try {
      const idle = await openSession(`http://127.0.0.1:${api.api.tcp.port}`)
      expect(await healthCheck(idle.session)).toBe("0")
      await idle.closed
      expect(idle.session.destroyed).toBe(true)
      const s = await api.newSession(tripleA)
      const client = createClient(CoordinatorServiceDefinition, channel)
      expect((await client.agentMessage({ sessionId: s.id, level: 2, message: "after idle" })).success).toBe(true)
    } finally {
      channel.close()
      await api.close()
    }
  }, 60_000)
})
