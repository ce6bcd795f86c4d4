/**
 * What a failed settlement submission means, as a pure function of what the full node said: the
 * one place that maps node status codes and execution errors to settlement's next step.
 *
 * - While submitting: a transient status is retried with the same signed bytes (`resubmit`); any
 *   other status ends the submission (`refused`) and is classified below.
 * - A refused transaction (`NotExecuted`): a version conflict or a missing object means an input
 *   moved on (`Stale`: refresh the coin and shared versions, requeue, no attempt cap); anything
 *   else is `Refused` (requeue; an op refused `MAX_REFUSED_ATTEMPTS` times is abandoned, since an
 *   invalid transaction fails again as it is).
 * - An executed but failed transaction: nothing of it applied. With the failing command's index it
 *   is `CommandFailed` (that command's ops are isolated, the rest resubmitted), else `Unattributed`
 *   (everything is retried).
 */
import { decodeAbort } from "./settleTx.js"

/** gRPC codes on which the same signed bytes are submitted again. */
const TRANSIENT = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "UNKNOWN", "RESOURCE_EXHAUSTED", "CANCELLED"])

/** gRPC codes that mean an input object's version moved on, or the object is gone. */
const STALE = new Set(["ABORTED", "FAILED_PRECONDITION", "NOT_FOUND"])

/** An op whose transaction was refused this many times (not for staleness) is abandoned. */
export const MAX_REFUSED_ATTEMPTS = 20

/** A submission error's gRPC code → retry the same bytes, or take it as the node's answer. */
export const classifySubmitError = (code: string): "resubmit" | "refused" => (TRANSIENT.has(code) ? "resubmit" : "refused")

export type SettlementFailure =
  | { readonly _tag: "Stale"; readonly code: string; readonly message: string }
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
    return STALE.has(outcome.code)
      ? { _tag: "Stale", code: outcome.code, message: outcome.message }
      : { _tag: "Refused", code: outcome.code, message: outcome.message }
  }
  const abort = decodeAbort(outcome.error)
  const command = abort?.command ?? (outcome.error as { command?: number } | null)?.command
  if (command === undefined || command < 0 || command >= commands) {
    return { _tag: "Unattributed", detail: JSON.stringify(outcome.error) ?? "unknown error" }
  }
  const detail = abort !== undefined ? `Move abort in ${abort.module}::${abort.function} code ${abort.code}` : `execution error in command ${command}`
  return { _tag: "CommandFailed", command, detail }
}

/** Whether an op that has been tried `attempts` times is given up after this failure. */
export const givesUp = (failure: SettlementFailure, attempts: number): boolean =>
  failure._tag === "Refused" && attempts + 1 >= MAX_REFUSED_ATTEMPTS
