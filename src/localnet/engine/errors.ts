/** Rejections of transactions before execution (no effects, no gas charged). */
/** Why a transaction was rejected before execution (no effects, no gas charged). */
export type LocalnetTxErrorCode =
  | "InvalidArgument" // undecodable bytes, unsupported transaction kind, malformed input
  | "InvalidSignature" // signature does not verify, or its key does not derive the sender
  | "ObjectNotFound" // an input or gas object does not exist (or was deleted)
  | "StaleVersion" // an owned input is referenced at an older version/digest than the live one
  | "Equivocation" // the owned object version is already locked by another transaction
  | "NotOwner" // an owned input or gas coin is not owned by the sender
  | "GasPriceTooLow" // gas price below the reference gas price
  | "GasBudgetInvalid" // budget below the minimum or above the maximum
  | "InsufficientGas" // payment coins hold less than the budget
  | "Unavailable" // injected fault (used by the server's fault switches)

/** A transaction rejected before execution. The gRPC layer maps `code` to a status code. */
export class LocalnetTxError extends Error {
  readonly _tag = "LocalnetTxError"
  constructor(
    readonly code: LocalnetTxErrorCode,
    message: string
  ) {
    super(message)
    this.name = "LocalnetTxError"
  }
}

