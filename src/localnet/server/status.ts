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

/** Stake the localnet's single validator reports in aggregated validator errors. */
const STAKE = 10_000
/** How aggregated validator errors name the validators (`{ names } with N stake`). */
const VALIDATORS = "{ localnet }"

/**
 * ExecuteTransaction: the status and message a full node answers for each rejection class.
 * - BadRequest: crates/sui-rpc-api/src/error.rs, `impl From<BadRequest> for RpcError`
 *   (INVALID_ARGUMENT, the field violation's description).
 * - InvalidSignature: the orchestrator's `verify_transaction_with_current_aliases` failure
 *   (crates/sui-core/src/transaction_orchestrator.rs) becomes
 *   `TransactionSubmissionError::InvalidUserSignature`, which error.rs `impl
 *   From<TransactionSubmissionError>` answers INVALID_ARGUMENT "Invalid user signature: {err}".
 * - UserInput / Expired: the orchestrator's early validation (`check_transaction_validity`)
 *   rejects non-retriable errors as `TransactionFailed { category, details: e.to_string() }`;
 *   `SuiErrorKind::categorize` (crates/sui-types/src/error.rs) puts `UserInputError` (except
 *   ObjectNotFound) and `TransactionExpired` in `ErrorCategory::InvalidTransaction`, which
 *   error.rs maps to INVALID_ARGUMENT; `details` is `SuiErrorKind`'s Display ("Error checking
 *   transaction input objects: {error}").
 * - LockConflict: validators reject with `ObjectLockConflict` (`ErrorCategory::LockConflict`,
 *   not retriable); the transaction driver answers `RejectedByValidators`
 *   (crates/sui-core/src/transaction_driver/error.rs, its Display and `categorize`), the
 *   orchestrator wraps it as `TransactionFailed`, error.rs maps LockConflict to FAILED_PRECONDITION.
 * - ObjectNotFound: `ErrorCategory::Aborted` is retriable, so the early check lets it through and
 *   the driver retries until its finality timeout; the orchestrator answers
 *   `TimeoutBeforeFinalityWithErrors`, error.rs UNAVAILABLE "Transaction timed out before finality
 *   could be reached. ...". The localnet answers at once instead of after the timeout.
 */
const executeStatus = (code: LocalnetTxErrorCode, message: string): RpcStatusError => {
  switch (code) {
    case "BadRequest":
      return new RpcStatusError(Status.INVALID_ARGUMENT, message)
    case "InvalidSignature":
      return new RpcStatusError(Status.INVALID_ARGUMENT, `Invalid user signature: ${message}`)
    case "UserInput":
      return new RpcStatusError(Status.INVALID_ARGUMENT, `Error checking transaction input objects: ${message}`)
    case "Expired":
      return new RpcStatusError(Status.INVALID_ARGUMENT, message)
    case "LockConflict":
      return new RpcStatusError(
        Status.FAILED_PRECONDITION,
        `Transaction is rejected as invalid by more than 1/3 of validators by stake (non-retriable). Non-retriable errors: [${message} ${VALIDATORS} with ${STAKE} stake].`
      )
    case "ObjectNotFound":
      return new RpcStatusError(
        Status.UNAVAILABLE,
        `Transaction timed out before finality could be reached. Attempts: 1 & timeout: 0ns. Last error: Transaction processing aborted (retriable with another submission). Retriable errors: [${message} ${VALIDATORS} with ${STAKE} stake].`
      )
    case "Unavailable":
      return new RpcStatusError(Status.UNAVAILABLE, message)
  }
}

/**
 * SimulateTransaction: crates/sui-rpc-api/src/grpc/v2/transaction_execution_service/simulate/mod.rs,
 * `simulation_error_to_rpc_error`: a `UserInputError` is INVALID_ARGUMENT with the SuiError's
 * Display, anything else INTERNAL; request-shape errors are field violations (INVALID_ARGUMENT).
 */
const simulateStatus = (code: LocalnetTxErrorCode, message: string): RpcStatusError => {
  switch (code) {
    case "BadRequest":
      return new RpcStatusError(Status.INVALID_ARGUMENT, message)
    case "UserInput":
    case "ObjectNotFound":
      return new RpcStatusError(Status.INVALID_ARGUMENT, `Error checking transaction input objects: ${message}`)
    case "Unavailable":
      return new RpcStatusError(Status.UNAVAILABLE, message)
    default:
      return new RpcStatusError(Status.INTERNAL, message)
  }
}

interface TxErrorLike {
  readonly _tag: "LocalnetTxError"
  readonly code: LocalnetTxErrorCode
  readonly message: string
}

const isTxError = (e: unknown): e is TxErrorLike =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "LocalnetTxError"

/**
 * Maps anything a handler threw to a status error (unknown failures are INTERNAL). Engine
 * rejections are answered as ExecuteTransaction answers them, or as SimulateTransaction does.
 */
export const toStatusError = (e: unknown, call: "execute" | "simulate" = "execute"): RpcStatusError => {
  if (e instanceof RpcStatusError) return e
  if (isTxError(e)) return call === "simulate" ? simulateStatus(e.code, e.message) : executeStatus(e.code, e.message)
  const message = e instanceof Error ? e.message : String(e)
  return new RpcStatusError(Status.INTERNAL, `internal error: ${message}`)
}
