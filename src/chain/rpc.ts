/**
 * gRPC calls as Effects: unary calls that are cancelled with their fiber, and one tagged error
 * carrying the gRPC status name so callers can classify failures. Server streams are read by
 * `boundedSubscription` (subscription.ts) and `collect` (follow.ts).
 */
import type { RpcOptions } from "@protobuf-ts/runtime-rpc"
import { Data, Effect } from "effect"

/** A failed call to the full node. `code` is the gRPC status name (`UNAVAILABLE`, `NOT_FOUND`, ...). */
export class ChainRpcError extends Data.TaggedError("ChainRpcError")<{
  readonly method: string
  readonly code: string
  readonly message: string
}> {}

/** The gRPC status name of anything a protobuf-ts call threw. */
export const grpcCode = (e: unknown): string => {
  const code = (e as { code?: unknown } | null)?.code
  if (typeof code === "string") return code
  if (typeof code === "number") return String(code)
  return "UNKNOWN"
}

export const toRpcError = (method: string) => (e: unknown) =>
  e instanceof ChainRpcError
    ? e
    : new ChainRpcError({ method, code: grpcCode(e), message: e instanceof Error ? e.message : String(e) })

/** Options protobuf-ts accepts on every call. */
export type CallOpts = RpcOptions

/** A unary call, aborted if the fiber is interrupted. */
export const unary = <A>(method: string, f: (opts: CallOpts) => PromiseLike<{ readonly response: A }>, timeoutMs?: number) =>
  Effect.tryPromise({
    try: async (signal) => {
      const opts: CallOpts = timeoutMs === undefined ? { abort: signal } : { abort: signal, timeout: timeoutMs }
      return (await f(opts)).response
    },
    catch: toRpcError(method)
  })

