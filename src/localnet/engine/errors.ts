/**
 * Rejections of transactions before execution (no effects, no gas charged), classified the way a
 * Sui node classifies them, with the message texts of the Sui errors they stand for.
 *
 * The class decides the gRPC status (see server/status.ts); the message is the `Display` text of
 * the Sui error (`crates/sui-types/src/error.rs`), which the node forwards to clients and which
 * clients match on ("is not available for consumption", "already locked by a different
 * transaction", ...).
 */

/** Why a transaction was rejected, as the Sui error family it belongs to. */
export type LocalnetTxErrorCode =
  /** A request field is missing or malformed (sui-rpc-api `FieldViolation`). */
  | "BadRequest"
  /** Signature verification failed (`SuiErrorKind::InvalidSignature`, `SignerSignatureAbsent`, ...). */
  | "InvalidSignature"
  /** A `UserInputError` other than a missing object: `ErrorCategory::InvalidTransaction`. */
  | "UserInput"
  /** `UserInputError::ObjectNotFound`: `ErrorCategory::Aborted`, retried by the node until its finality timeout. */
  | "ObjectNotFound"
  /** `SuiErrorKind::TransactionExpired`: `ErrorCategory::InvalidTransaction`. */
  | "Expired"
  /** `SuiErrorKind::ObjectLockConflict`: `ErrorCategory::LockConflict`. */
  | "LockConflict"
  /** The node cannot take transactions now (injected fault). */
  | "Unavailable"

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

/** `SequenceNumber`'s `Display` (`{:#x}`, crates/sui-types/src/base_types.rs). */
export const seqHex = (v: bigint): string => `0x${v.toString(16)}`

/** `(ObjectID, SequenceNumber, ObjectDigest)` printed with `{:?}` (tuple of the three `Debug`s). */
export const objRefDebug = (id: string, version: bigint, digest: string): string => `(${id}, SequenceNumber(${version}), o#${digest})`

/**
 * `UserInputError` texts (crates/sui-types/src/error.rs, `enum UserInputError`, its
 * `#[error(...)]` attributes), one builder per variant the localnet produces.
 */
export const userInput = {
  /** `ObjectVersionUnavailableForConsumption`: an owned input or gas coin at an older version. */
  versionUnavailable: (id: string, version: bigint, digest: string, current: bigint) =>
    new LocalnetTxError(
      "UserInput",
      `Object ID ${id} Version ${seqHex(version)} Digest ${digest} is not available for consumption, current version: ${seqHex(current)}`
    ),
  /** `ObjectNotFound { object_id, version }` (version printed with `{:?}`: `Some(0x5)` / `None`). */
  objectNotFound: (id: string, version?: bigint) =>
    new LocalnetTxError(
      "ObjectNotFound",
      `Could not find the referenced object ${id} at version ${version === undefined ? "None" : `Some(${seqHex(version)})`}`
    ),
  /** `ObjectSequenceNumberTooHigh`: a version above the live one. */
  versionTooHigh: (id: string, asked: bigint, latest: bigint) =>
    new LocalnetTxError(
      "UserInput",
      `Could not find the referenced object ${id} as the asked version ${seqHex(asked)} is higher than the latest ${seqHex(latest)}`
    ),
  /** `InvalidObjectDigest`. */
  invalidDigest: (id: string, expected: string) =>
    new LocalnetTxError("UserInput", `Invalid Object digest for object ${id}. Expected digest : ${expected}`),
  /** `IncorrectUserSignature`: an owned input of someone else (the text of `check_object_owned`). */
  notOwner: (id: string, owner: string, sender: string) =>
    new LocalnetTxError(
      "UserInput",
      `Transaction was not signed by the correct sender: Object ${id} is owned by account address ${owner}, but given owner/signer address is ${sender}`
    ),
  mutableUsedTwice: (id: string) =>
    new LocalnetTxError("UserInput", `Mutable object ${id} cannot appear more than one in one transaction`),
  notShared: () => new LocalnetTxError("UserInput", "Object used as shared is not shared"),
  notOwned: () => new LocalnetTxError("UserInput", "Object used as owned is not owned"),
  sharedStartMismatch: () => new LocalnetTxError("UserInput", "Wrong initial version given for shared object"),
  missingGasPayment: () => new LocalnetTxError("UserInput", "Transaction gas payment missing"),
  gasNotOwned: (owner: string) => new LocalnetTxError("UserInput", `Gas object is not an owned object with owner: ${owner}`),
  invalidGasObject: (id: string) => new LocalnetTxError("UserInput", `Object ${id} is not a gas object`),
  gasBudgetTooHigh: (budget: bigint, max: bigint) =>
    new LocalnetTxError("UserInput", `Gas budget: ${budget} is higher than max: ${max}`),
  gasBudgetTooLow: (budget: bigint, min: bigint) =>
    new LocalnetTxError("UserInput", `Gas budget: ${budget} is lower than min: ${min}`),
  gasBalanceTooLow: (balance: bigint, needed: bigint) =>
    new LocalnetTxError("UserInput", `Balance of gas object ${balance} is lower than the needed amount: ${needed}`),
  gasPriceUnderRgp: (price: bigint, rgp: bigint) =>
    new LocalnetTxError("UserInput", `Gas price ${price} under reference gas price (RGP) ${rgp}`),
  unsupported: (what: string) => new LocalnetTxError("UserInput", `Feature is not supported: ${what}`),
  invalidExpiration: (why: string) => new LocalnetTxError("UserInput", `Invalid transaction expiration: ${why}`),
  chainIdMismatch: (provided: string, expected: string) =>
    new LocalnetTxError("UserInput", `Transaction chain ID ${provided} does not match network chain ID ${expected}.`)
}

/** `SuiErrorKind::TransactionExpired` ("Transaction Expired"). */
export const transactionExpired = () => new LocalnetTxError("Expired", "Transaction Expired")

/** `SuiErrorKind::ObjectLockConflict` ("Object {obj_ref:?} already locked by a different transaction: {digest:?}"). */
export const lockConflict = (id: string, version: bigint, digest: string, pendingTx: string) =>
  new LocalnetTxError(
    "LockConflict",
    `Object ${objRefDebug(id, version, digest)} already locked by a different transaction: TransactionDigest(${pendingTx})`
  )

/** Signature failures: `SuiErrorKind::InvalidSignature` / `SignerSignatureAbsent`. */
export const signature = {
  invalid: (why: string) => new LocalnetTxError("InvalidSignature", `Signature is not valid: ${why}`),
  absent: (expected: string, actual: ReadonlyArray<string>) =>
    new LocalnetTxError("InvalidSignature", `Required Signature from ${expected} is absent ${JSON.stringify(actual)}`)
}
