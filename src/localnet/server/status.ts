/**
 * gRPC status errors as a Sui full node answers them, and the one place where engine errors
 * (`LocalnetTxError`) become status codes.
 */
import { Metadata, status as Status } from "@grpc/grpc-js"
import type { LocalnetTxErrorCode } from "../chain.js"

export { Status }

/** A status error carried through handlers; grpc-js reads `code` and `details`. */
export class RpcStatusError extends Error {
  readonly details: string
  readonly metadata = new Metadata()
  constructor(
    readonly code: Status,
    details: string
  ) {
    super(details)
    this.name = "RpcStatusError"
    this.details = details
  }
}

export const notFound = (what: string) => new RpcStatusError(Status.NOT_FOUND, what)
export const invalidArgument = (why: string) => new RpcStatusError(Status.INVALID_ARGUMENT, why)
export const unimplemented = (what: string) => new RpcStatusError(Status.UNIMPLEMENTED, what)
export const unavailable = (why: string) => new RpcStatusError(Status.UNAVAILABLE, why)

/** History below the pruning point: a point lookup answers NOT_FOUND, like a full node. */
export const prunedCheckpoint = (seq: bigint, lowest: bigint) =>
  new RpcStatusError(
    Status.NOT_FOUND,
    `checkpoint ${seq} has been pruned; lowest available checkpoint is ${lowest}`
  )

/** A range that starts below the pruning point: OUT_OF_RANGE, so a replay gap is distinguishable. */
export const prunedRange = (start: bigint, lowest: bigint) =>
  new RpcStatusError(
    Status.OUT_OF_RANGE,
    `requested range starts at checkpoint ${start}, which has been pruned; lowest available checkpoint is ${lowest}`
  )

const txErrorStatus: Record<LocalnetTxErrorCode, Status> = {
  InvalidArgument: Status.INVALID_ARGUMENT,
  InvalidSignature: Status.INVALID_ARGUMENT,
  ObjectNotFound: Status.INVALID_ARGUMENT,
  StaleVersion: Status.ABORTED,
  Equivocation: Status.ABORTED,
  NotOwner: Status.INVALID_ARGUMENT,
  GasPriceTooLow: Status.INVALID_ARGUMENT,
  GasBudgetInvalid: Status.INVALID_ARGUMENT,
  InsufficientGas: Status.INVALID_ARGUMENT,
  Unavailable: Status.UNAVAILABLE
}

interface TxErrorLike {
  readonly _tag: "LocalnetTxError"
  readonly code: LocalnetTxErrorCode
  readonly message: string
}

const isTxError = (e: unknown): e is TxErrorLike =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "LocalnetTxError"

/** Maps anything a handler threw to a status error (unknown failures are INTERNAL). */
export const toStatusError = (e: unknown): RpcStatusError => {
  if (e instanceof RpcStatusError) return e
  if (isTxError(e)) return new RpcStatusError(txErrorStatus[e.code] ?? Status.INTERNAL, e.message)
  const message = e instanceof Error ? e.message : String(e)
  return new RpcStatusError(Status.INTERNAL, `internal error: ${message}`)
}
