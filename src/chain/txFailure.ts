/**
 * What a full node's refusal of a transaction means for the sender, from its gRPC status and
 * message, following how a Sui full node answers (MystenLabs/sui):
 * - crates/sui-rpc-api/src/error.rs, `impl From<TransactionSubmissionError> for RpcError`: the
 *   `ErrorCategory` of the failure picks the status — Aborted → ABORTED, InvalidTransaction →
 *   INVALID_ARGUMENT, LockConflict → FAILED_PRECONDITION, ValidatorOverloaded →
 *   RESOURCE_EXHAUSTED, Unavailable → UNAVAILABLE, Internal → INTERNAL; timeouts before
 *   finality and overload are UNAVAILABLE;
 * - crates/sui-types/src/error.rs, `SuiErrorKind::categorize` / `ErrorCategory::is_submission_retriable`:
 *   Aborted, ValidatorOverloaded and Unavailable are retriable with the same transaction;
 *   a stale owned version (`UserInputError::ObjectVersionUnavailableForConsumption`) is an
 *   InvalidTransaction (INVALID_ARGUMENT) — retrying the same bytes cannot help, but a new
 *   transaction built on the live versions can; a lock conflict (`ObjectLockConflict`) is
 *   FAILED_PRECONDITION and the locked version stays unusable for the rest of the epoch;
 * - a missing input (`UserInputError::ObjectNotFound`, ErrorCategory::Aborted) is retried by the
 *   node itself until its finality timeout, then answered UNAVAILABLE with the error text.
 */

/** How to go on after a refusal. */
export type RejectionClass =
  /** Submit the same signed bytes again (overload, timeout, node restarting). */
  | "Transient"
  /** An input object (gas coin, owned object) is stale, gone or too poor: rebuild on fresh versions. */
  | "StaleInputs"
  /** An input version is locked by another transaction: rebuild without that object. */
  | "LockedInputs"
  /** The transaction itself is invalid: the same ops would fail again. */
  | "Invalid"

const TRANSIENT = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "UNKNOWN", "RESOURCE_EXHAUSTED", "CANCELLED", "ABORTED"])

/** `UserInputError` texts (crates/sui-types/src/error.rs) that name an input that moved on or vanished. */
const STALE_INPUT = [
  /is not available for consumption, current version/, // ObjectVersionUnavailableForConsumption
  /Could not find the referenced object/, // ObjectNotFound / ObjectSequenceNumberTooHigh
  /Object deleted at reference/, // ObjectDeleted
  /Balance of gas object \d+ is lower than the needed amount/, // GasBalanceTooLow
  /Invalid Object digest for object/ // InvalidObjectDigest
]

/** Whether a refusal's text says an input object is missing (retried by the node, then UNAVAILABLE). */
export const isMissingInput = (message: string): boolean => /Could not find the referenced object/.test(message)

/** Classifies a refusal by its gRPC status name (`INVALID_ARGUMENT`, ...) and message. */
export const classifyRejection = (code: string, message: string): RejectionClass => {
  if (code === "FAILED_PRECONDITION") return "LockedInputs"
  if (TRANSIENT.has(code)) return "Transient"
  if (code === "INVALID_ARGUMENT" && STALE_INPUT.some((re) => re.test(message))) return "StaleInputs"
  return "Invalid"
}
