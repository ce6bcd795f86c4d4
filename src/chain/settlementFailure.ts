/**
 * What a failed settlement submission means, as a pure function of what the full node said: the
 * one place that maps node status codes and execution errors to settlement's next step.
 *
 * The codes and texts are those a Sui full node answers (MystenLabs/sui):
 * - crates/sui-rpc-api/src/error.rs, `impl From<TransactionSubmissionError> for RpcError`: the
 *   `ErrorCategory` picks the status — Aborted → ABORTED, InvalidTransaction → INVALID_ARGUMENT,
 *   LockConflict → FAILED_PRECONDITION, ValidatorOverloaded → RESOURCE_EXHAUSTED,
 *   Unavailable → UNAVAILABLE, Internal → INTERNAL; timeouts before finality and overload are
 *   UNAVAILABLE;
 * - crates/sui-types/src/error.rs, `SuiErrorKind::categorize` and
 *   `ErrorCategory::is_submission_retriable`: Aborted, ValidatorOverloaded and Unavailable are
 *   retriable with the same transaction. A stale owned version
 *   (`UserInputError::ObjectVersionUnavailableForConsumption`) is InvalidTransaction, answered
 *   INVALID_ARGUMENT by the orchestrator's early validation
 *   (crates/sui-core/src/transaction_orchestrator.rs) — the same bytes cannot succeed, a
 *   transaction rebuilt on the live versions can. A lock conflict (`ObjectLockConflict`) is
 *   FAILED_PRECONDITION; the locked version stays unusable for the rest of the epoch. A missing
 *   input (`UserInputError::ObjectNotFound`, category Aborted) is retried by the node itself until
 *   its finality timeout and then answered UNAVAILABLE with the error text.
 *
 * - While submitting: a transient status is retried with the same signed bytes (`resubmit`); any
 *   other status ends the submission (`refused`) and is classified below. A missing input is
 *   taken as final after `MISSING_INPUT_ATTEMPTS` answers, so a vanished coin cannot stall.
 * - A refused transaction (`NotExecuted`): an input that moved on, vanished or is too poor
 *   (`Stale`: refresh the coin and shared versions, requeue, no attempt cap), an input locked by
 *   another transaction (`Locked`: retire that coin, requeue, no cap); anything else is `Refused`
 *   (requeue; an op refused `MAX_REFUSED_ATTEMPTS` times is abandoned, since an invalid
 *   transaction fails again as it is).
 * - An executed but failed transaction: nothing of it applied. With the failing command's index it
 *   is `CommandFailed` (that command's ops are isolated, the rest resubmitted), else `Unattributed`
 *   (everything is retried).
 */
import { decodeAbort } from "./settleTx.js"

/** gRPC codes on which the same signed bytes are submitted again (ErrorCategory::Aborted included). */
const TRANSIENT = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "UNKNOWN", "RESOURCE_EXHAUSTED", "CANCELLED", "ABORTED"])

/** `UserInputError` texts (crates/sui-types/src/error.rs) naming an input that moved on, vanished or is too poor. */
const STALE_INPUT = [
  /is not available for consumption, current version/, // ObjectVersionUnavailableForConsumption
  /Could not find the referenced object/, // ObjectNotFound / ObjectSequenceNumberTooHigh
  /Object deleted at reference/, // ObjectDeleted
  /Balance of gas object \d+ is lower than the needed amount/, // GasBalanceTooLow
  /Invalid Object digest for object/, // InvalidObjectDigest
  /under reference gas price \(RGP\) \d+/ // GasPriceUnderRGP: the epoch changed the price; rebuild at the new one
]

/**
 * The reference gas price a `GasPriceUnderRGP` refusal names ("Gas price {p} under reference gas
 * price (RGP) {rgp}", crates/sui-types/src/error.rs): a new epoch raised it.
 */
export const referenceGasPriceOf = (message: string): bigint | undefined => {
  const m = /under reference gas price \(RGP\) (\d+)/.exec(message)
  return m === null ? undefined : BigInt(m[1]!)
}

const isMissingInput = (message: string): boolean => /Could not find the referenced object/.test(message)

/** Answers naming a missing input after which the node's own retries are taken as final. */
export const MISSING_INPUT_ATTEMPTS = 3

/** An op whose transaction was refused this many times (not for staleness) is abandoned. */
export const MAX_REFUSED_ATTEMPTS = 20

/**
 * A submission error's gRPC code (and message, on the `attempt`-th answer, from 0) → retry the same
 * bytes, or take it as the node's answer.
 */
export const classifySubmitError = (code: string, message = "", attempt = 0): "resubmit" | "refused" =>
  TRANSIENT.has(code) && !(isMissingInput(message) && attempt + 1 >= MISSING_INPUT_ATTEMPTS) ? "resubmit" : "refused"

export type SettlementFailure =
  | { readonly _tag: "Stale"; readonly code: string; readonly message: string }
  | { readonly _tag: "Locked"; readonly code: string; readonly message: string }
  | { readonly _tag: "Refused"; readonly code: string; readonly message: string }
  | { readonly _tag: "CommandFailed"; readonly command: number; readonly detail: string }
  | { readonly _tag: "Unattributed"; readonly detail: string }

/** What the node answered for a transaction that did not succeed (an `ExecOutcome` is one). */
export type FailedOutcome =
  | { readonly _tag: "NotExecuted"; readonly code: string; readonly message: string }
  | { readonly _tag: "Executed"; readonly error: unknown }

/** A transaction that did not succeed, with `commands` multicall commands in it → what to do. */
export const classifyFailure = (outcome: FailedOutcome, commands: number): SettlementFailure => {
  if (outcome._tag === "NotExecuted") {
    const { code, message } = outcome
    if (code === "FAILED_PRECONDITION") return { _tag: "Locked", code, message }
    // a missing input (answered UNAVAILABLE) that submission took as final, or a stale one
    if (TRANSIENT.has(code) || (code === "INVALID_ARGUMENT" && STALE_INPUT.some((re) => re.test(message)))) {
      return { _tag: "Stale", code, message }
    }
    return { _tag: "Refused", code, message }
  }
  const abort = decodeAbort(outcome.error)
  const command = abort?.command ?? (outcome.error as { command?: number } | null)?.command
  if (command === undefined || command < 0 || command >= commands) {
    return { _tag: "Unattributed", detail: JSON.stringify(outcome.error) ?? "unknown error" }
  }
  const named = abort?.constant === undefined ? "" : ` (${abort.constant})`
  const detail = abort !== undefined ? `Move abort in ${abort.module}::${abort.function} code ${abort.code}${named}` : `execution error in command ${command}`
  return { _tag: "CommandFailed", command, detail }
}

/** Whether an op that has been tried `attempts` times is given up after this failure. */
export const givesUp = (failure: SettlementFailure, attempts: number): boolean =>
  failure._tag === "Refused" && attempts + 1 >= MAX_REFUSED_ATTEMPTS
