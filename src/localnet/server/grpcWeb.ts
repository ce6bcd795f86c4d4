/**
 * gRPC-web over HTTP/1.1 (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md), the
 * protocol of `new SuiGrpcClient({ baseUrl })` (the SDK's default `GrpcWebFetchTransport`, used by
 * every browser dApp). A full node serves it next to gRPC on the same port; here the same method
 * table and handlers as the grpc-js server answer it, in the binary (`application/grpc-web+proto`)
 * or the text (`application/grpc-web-text`, base64) format the request used. CORS is open, as on
 * the public full nodes, so a page on another origin can call it.
 */
import type * as http from "node:http"
import { admit, sleep, type CallPolicy, type MethodTable, type StreamHandler, type StreamSink, type UnaryHandler, type WebMethod } from "./rpc.js"
import { RpcStatusError, Status, toStatusError } from "./status.js"

const MAX_BODY = 64 * 1024 * 1024
const TEXT = "application/grpc-web-text"
const BINARY = "application/grpc-web+proto"

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "grpc-status, grpc-message, grpc-status-details-bin"
} as const

/** The request listener of the HTTP/1.1 side of the shared port. */
export const grpcWebHandler = (table: MethodTable, policy: CallPolicy): http.RequestListener => (req, res) => {
  if (req.method === "OPTIONS") {
    res.writeHead(204, {
      ...CORS,
      "access-control-allow-methods": "POST, OPTIONS",
      "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "content-type, x-grpc-web, grpc-timeout",
      "access-control-max-age": "86400"
    })
    return void res.end()
  }
  const type = String(req.headers["content-type"] ?? "")
  if (req.method !== "POST" || !type.startsWith("application/grpc-web")) {
    res.writeHead(415, { "content-type": "text/plain" })
    return void res.end("this port serves gRPC (HTTP/2) and gRPC-web (POST application/grpc-web[-text])\n")
  }
  const text = type.startsWith(TEXT)
  void readBody(req).then(
    (body) => serve(table, policy, req, new WebReply(res, text), text ? Buffer.from(body.toString("latin1"), "base64") : body),
    () => res.destroy()
  )
}

const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) req.destroy(new Error("request too large"))
      else chunks.push(c)
    })
    req.once("end", () => resolve(Buffer.concat(chunks)))
    req.once("error", reject)
  })

/** The single request message of a unary or server-streaming call. */
const requestMessage = (method: WebMethod, body: Buffer): object => {
  if (body.length < 5) throw new RpcStatusError(Status.INTERNAL, "grpc-web: request has no message frame")
  if (body[0] !== 0) throw new RpcStatusError(Status.UNIMPLEMENTED, "grpc-web: compressed or trailer frames are not accepted")
  const len = body.readUInt32BE(1)
  if (body.length < 5 + len) throw new RpcStatusError(Status.INTERNAL, "grpc-web: truncated message frame")
  try {
    return method.I.fromBinary(body.subarray(5, 5 + len), { readUnknownField: false })
  } catch (e) {
    throw new RpcStatusError(Status.INTERNAL, `grpc-web: cannot decode the request: ${(e as Error).message}`)
  }
}

const serve = async (table: MethodTable, policy: CallPolicy, req: http.IncomingMessage, reply: WebReply, body: Buffer) => {
  const method = table.get(req.url?.split("?")[0] ?? "")
  if (method === undefined) return reply.finish(new RpcStatusError(Status.UNIMPLEMENTED, `unknown method ${req.url}`))
  if (method.handler === undefined) return reply.finish(method.missing)
  const rejected = admit(policy)
  if (rejected !== undefined) return reply.finish(rejected)
  let request: object
  try {
    request = requestMessage(method, body)
  } catch (e) {
    return reply.finish(toStatusError(e))
  }
  if (method.streaming) return runWebStream(method, method.handler as StreamHandler<object, object>, request, reply, policy)
  policy.inFlight++
  try {
    if (policy.latencyMs > 0) await sleep(policy.latencyMs)
    const response = await (method.handler as UnaryHandler<object, object>)(request, { signal: reply.signal })
    const durable = policy.barrier?.()
    if (durable !== undefined) await durable
    reply.message(method, response)
    reply.finish(undefined)
  } catch (e) {
    reply.finish(toStatusError(e))
  } finally {
    policy.inFlight--
  }
}

const runWebStream = async (method: WebMethod, handler: StreamHandler<object, object>, request: object, reply: WebReply, policy: CallPolicy) => {
  const sink: StreamSink<object> = {
    write: (message) => reply.message(method, message),
    onDrain: (listener) => reply.onDrain(listener),
    end: () => reply.finish(undefined),
    fail: (error) => reply.finish(error),
    get closed() {
      return reply.closed
    },
    signal: reply.signal
  }
  try {
    if (policy.latencyMs > 0) await sleep(policy.latencyMs)
    await handler(request, sink)
  } catch (e) {
    sink.fail(toStatusError(e))
  }
}

/** One grpc-web response: data frames, then a trailer frame with the status. */
class WebReply {
  private readonly abort = new AbortController()
  private done = false
  constructor(
    private readonly res: http.ServerResponse,
    private readonly text: boolean
  ) {
    res.once("close", () => {
      this.done = true
      this.abort.abort()
    })
  }

  get signal(): AbortSignal {
    return this.abort.signal
  }

  get closed(): boolean {
    return this.done
  }

  private frame(flag: number, payload: Uint8Array): boolean {
    if (!this.res.headersSent) this.res.writeHead(200, { ...CORS, "content-type": this.text ? TEXT : BINARY })
    const out = Buffer.allocUnsafe(5 + payload.length)
    out[0] = flag
    out.writeUInt32BE(payload.length, 1)
    out.set(payload, 5)
    return this.res.write(this.text ? out.toString("base64") : out)
  }

  /** Writes one response message; false when the socket buffer is full. */
  message(method: WebMethod, message: object | Uint8Array): boolean {
    if (this.done) return false
    return this.frame(0, message instanceof Uint8Array ? message : method.O.toBinary(message))
  }

  onDrain(listener: () => void): void {
    this.res.once("drain", listener)
  }

  /** Ends the call with OK (`undefined`) or the error's status. */
  finish(error: RpcStatusError | undefined): void {
    if (this.done) return
    this.done = true
    const code = error?.code ?? Status.OK
    const trailer = `grpc-status:${code}\r\ngrpc-message:${percentEncode(error?.details ?? "")}\r\n`
    this.frame(0x80, Buffer.from(trailer, "latin1"))
    this.res.end()
    this.abort.abort()
  }
}

/** grpc-message is percent-encoded: bytes outside printable ASCII, and `%` itself. */
const percentEncode = (s: string): string => {
  let out = ""
  for (const b of Buffer.from(s, "utf8")) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`
  }
  return out
}
