/**
 * Generic glue between protobuf-ts `ServiceType`s (as shipped in `@mysten/sui/grpc`) and a
 * `@grpc/grpc-js` server: method paths, (de)serialisation with the shipped message types, error
 * mapping, injected latency and an in-flight limit (RESOURCE_EXHAUSTED beyond it).
 */
import type * as grpc from "@grpc/grpc-js"
import type { IMessageType } from "@protobuf-ts/runtime"
import type { ServiceType } from "@protobuf-ts/runtime-rpc"
import { RpcStatusError, Status, toStatusError } from "./status.js"

/** Per-call context for handlers. */
export interface CallContext {
  /** Aborted when the client cancels or the server shuts down. */
  readonly signal: AbortSignal
}

/** A server-streaming sink: messages or bytes already encoded with the method's output type. */
export interface StreamSink<O> {
  /** Writes a frame; returns false when the transport buffer is full (wait for `onDrain`). */
  write(message: O | Uint8Array): boolean
  onDrain(listener: () => void): void
  /** Ends the stream with OK. */
  end(): void
  /** Ends the stream with a status error. */
  fail(error: RpcStatusError): void
  readonly closed: boolean
  readonly signal: AbortSignal
}

export type UnaryHandler<I, O> = (request: I, ctx: CallContext) => O | Promise<O>
export type StreamHandler<I, O> = (request: I, sink: StreamSink<O>) => void | Promise<void>

/** Handlers by method name (`GetObject`); methods without one answer UNIMPLEMENTED. */
export type ServiceHandlers = Record<string, UnaryHandler<any, any> | StreamHandler<any, any>>

/** Server-wide call policy shared by all services (the fault switches write into it). */
export interface CallPolicy {
  latencyMs: number
  maxInFlight: number
  inFlight: number
  /**
   * Waited for before an answer is sent: with `--state`, what the answer shows must be durable
   * first (the write-ahead log); `undefined` when nothing is pending.
   */
  barrier?: () => Promise<void> | undefined
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** One method as the gRPC-web listener serves it (the same handler grpc-js runs). */
export interface WebMethod {
  readonly I: IMessageType<object>
  readonly O: IMessageType<object>
  readonly streaming: boolean
  readonly handler: UnaryHandler<object, object> | StreamHandler<object, object> | undefined
  readonly missing: RpcStatusError
}

/** Every registered method by its path (`/sui.rpc.v2.LedgerService/GetObject`). */
export type MethodTable = Map<string, WebMethod>

/** Registers `handlers` for `service` on `server` (and in `table`, for gRPC-web). */
export const addService = (
  server: grpc.Server,
  service: ServiceType,
  handlers: ServiceHandlers,
  policy: CallPolicy,
  table?: MethodTable
): void => {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {}
  const implementation: grpc.UntypedServiceImplementation = {}
  for (const method of service.methods) {
    const I = method.I as IMessageType<object>
    const O = method.O as IMessageType<object>
    const streaming = method.serverStreaming === true
    definition[method.name] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: false,
      responseStream: streaming,
      requestSerialize: (v: object) => toBuffer(I.toBinary(v)),
      requestDeserialize: (b: Buffer) => I.fromBinary(b, { readUnknownField: false }),
      responseSerialize: (v: object | Uint8Array) => toBuffer(v instanceof Uint8Array ? v : O.toBinary(v)),
      responseDeserialize: (b: Buffer) => O.fromBinary(b),
      originalName: method.localName
    }
    const handler = handlers[method.name]
    const missing = new RpcStatusError(Status.UNIMPLEMENTED, `${service.typeName}/${method.name} is not served by this node`)
    table?.set(`/${service.typeName}/${method.name}`, { I, O, streaming, handler, missing })
    if (streaming) {
      implementation[method.name] = ((call: grpc.ServerWritableStream<object, object>) => {
        void runStream(call, handler as StreamHandler<object, object> | undefined, missing, policy)
      }) as grpc.handleServerStreamingCall<object, object>
    } else {
      implementation[method.name] = ((call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) => {
        void runUnary(call, callback, handler as UnaryHandler<object, object> | undefined, missing, policy)
      }) as grpc.handleUnaryCall<object, object>
    }
  }
  server.addService(definition as grpc.ServiceDefinition, implementation)
}

export const admit = (policy: CallPolicy): RpcStatusError | undefined =>
  policy.inFlight >= policy.maxInFlight
    ? new RpcStatusError(Status.RESOURCE_EXHAUSTED, `server overloaded: ${policy.inFlight} calls in flight`)
    : undefined

const runUnary = async (
  call: grpc.ServerUnaryCall<object, object>,
  callback: grpc.sendUnaryData<object>,
  handler: UnaryHandler<object, object> | undefined,
  missing: RpcStatusError,
  policy: CallPolicy
) => {
  if (handler === undefined) return callback(missing)
  const rejected = admit(policy)
  if (rejected !== undefined) return callback(rejected)
  policy.inFlight++
  const abort = new AbortController()
  const cancel = () => abort.abort()
  call.once("cancelled", cancel)
  try {
    if (policy.latencyMs > 0) await sleep(policy.latencyMs)
    const response = await handler(call.request, { signal: abort.signal })
    const durable = policy.barrier?.()
    if (durable !== undefined) await durable
    // answered: the stream's close that follows is not a cancellation of this handler
    call.removeListener("cancelled", cancel)
    callback(null, response)
  } catch (e) {
    call.removeListener("cancelled", cancel)
    callback(toStatusError(e))
  } finally {
    policy.inFlight--
  }
}

const runStream = async (
  call: grpc.ServerWritableStream<object, object>,
  handler: StreamHandler<object, object> | undefined,
  missing: RpcStatusError,
  policy: CallPolicy
) => {
  if (handler === undefined) return failCall(call, missing)
  const rejected = admit(policy)
  if (rejected !== undefined) return failCall(call, rejected)
  const abort = new AbortController()
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    abort.abort()
  }
  call.once("cancelled", close)
  call.once("close", close)
  call.on("error", close)
  const sink: StreamSink<object> = {
    write: (message) => (closed ? false : call.write(message)),
    onDrain: (listener) => {
      call.once("drain", listener)
    },
    end: () => {
      if (closed) return
      close()
      call.end()
    },
    fail: (error) => {
      if (closed) return
      close()
      failCall(call, error)
    },
    get closed() {
      return closed
    },
    signal: abort.signal
  }
  try {
    if (policy.latencyMs > 0) await sleep(policy.latencyMs)
    await handler(call.request, sink)
  } catch (e) {
    sink.fail(toStatusError(e))
  }
}

/** Ends a server stream with a status (after the frames already queued). */
const failCall = (call: grpc.ServerWritableStream<object, object>, error: RpcStatusError) => {
  call.emit("error", { code: error.code, details: error.details, metadata: error.metadata })
}
