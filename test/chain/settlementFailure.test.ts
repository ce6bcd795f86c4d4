/** The pure classifier from a node's answer to settlement's next step. */
import { describe, expect, it } from "@effect/vitest"
import { classifyFailure, classifySubmitError, givesUp, MAX_REFUSED_ATTEMPTS, MISSING_INPUT_ATTEMPTS, referenceGasPriceOf } from "../../src/chain/settlementFailure.js"

describe("classifySubmitError", () => {
  it("resubmits on transient codes (ErrorCategory::Aborted included) and takes anything else as the answer", () => {
    for (const code of ["UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "UNKNOWN", "RESOURCE_EXHAUSTED", "CANCELLED", "ABORTED"]) {
      expect(classifySubmitError(code)).toBe("resubmit")
    }
    for (const code of ["FAILED_PRECONDITION", "NOT_FOUND", "INVALID_ARGUMENT"]) {
      expect(classifySubmitError(code)).toBe("refused")
    }
  })

  it("a missing input the node kept retrying (UNAVAILABLE) is final after MISSING_INPUT_ATTEMPTS answers", () => {
    const missing = `Transaction timed out before finality could be reached. Attempts: 3 & timeout: 60s. Last error: Transaction processing aborted (retriable with another submission). Retriable errors: [Could not find the referenced object ${ID} at version Some(0x4) { k#1 } with 2500 stake].`
    expect(classifySubmitError("UNAVAILABLE", missing, 0)).toBe("resubmit")
    expect(classifySubmitError("UNAVAILABLE", missing, MISSING_INPUT_ATTEMPTS - 1)).toBe("refused")
    expect(classifyFailure({ _tag: "NotExecuted", code: "UNAVAILABLE", message: missing }, 1)._tag).toBe("Stale")
  })
})

const ID = "0x" + "ab".repeat(32)

// Each answer as a Sui full node gives it (MystenLabs/sui sources in src/chain/settlementFailure.ts).
describe("classifyFailure of a full node's refusals", () => {
  it.each([
    // UserInputError::ObjectVersionUnavailableForConsumption from the orchestrator's early
    // validation (transaction_orchestrator.rs), InvalidTransaction => InvalidArgument (error.rs)
    ["INVALID_ARGUMENT", `Error checking transaction input objects: Object ID ${ID} Version 0x4 Digest 9xyz is not available for consumption, current version: 0x5`, "Stale"],
    // the same error reported by validators (transaction_driver/error.rs RejectedByValidators)
    ["INVALID_ARGUMENT", `Transaction is rejected as invalid by more than 1/3 of validators by stake (non-retriable). Non-retriable errors: [Object ID ${ID} Version 0x4 Digest 9xyz is not available for consumption, current version: 0x5 { k#1 } with 2500 stake].`, "Stale"],
    // UserInputError::GasBalanceTooLow: the coin is too poor, another coin will do
    ["INVALID_ARGUMENT", "Error checking transaction input objects: Balance of gas object 10 is lower than the needed amount: 5000000", "Stale"],
    // ObjectLockConflict => ErrorCategory::LockConflict => FailedPrecondition (error.rs)
    ["FAILED_PRECONDITION", `Transaction is rejected as invalid by more than 1/3 of validators by stake (non-retriable). Non-retriable errors: [Object (${ID}, SequenceNumber(4), o#9xyz) already locked by a different transaction: TransactionDigest(abc) { k#1 } with 2500 stake].`, "Locked"],
    // InvalidUserSignature, gas price under RGP, expired: the transaction itself is invalid
    ["INVALID_ARGUMENT", "Invalid user signature: Signature is not valid: Cannot verify signature", "Refused"],
    // a new epoch raised the price: rebuilt at the price the refusal names (referenceGasPriceOf), never given up
    ["INVALID_ARGUMENT", "Error checking transaction input objects: Gas price 999 under reference gas price (RGP) 1000", "Stale"],
    ["INVALID_ARGUMENT", "Transaction Expired", "Refused"],
    ["NOT_FOUND", "no such method", "Refused"]
  ] as const)("%s %s → %s", (code, message, expected) => {
    const f = classifyFailure({ _tag: "NotExecuted", code, message }, 1)
    expect(f._tag).toBe(expected)
    expect(givesUp(f, 1_000)).toBe(expected === "Refused")
  })
})

describe("classifyFailure", () => {

  it("another refusal is given up after MAX_REFUSED_ATTEMPTS tries", () => {
    const f = classifyFailure({ _tag: "NotExecuted", code: "INVALID_ARGUMENT", message: "bad" }, 1)
    expect(f).toEqual({ _tag: "Refused", code: "INVALID_ARGUMENT", message: "bad" })
    expect(givesUp(f, MAX_REFUSED_ATTEMPTS - 2)).toBe(false)
    expect(givesUp(f, MAX_REFUSED_ATTEMPTS - 1)).toBe(true)
  })

  it("a Move abort names the failing command and where it aborted", () => {
    const error = {
      $kind: "MoveAbort",
      command: 1,
      MoveAbort: { abortCode: "7", location: { module: "jobs", functionName: "complete_job" } }
    }
    expect(classifyFailure({ _tag: "Executed", error }, 2)).toEqual({
      _tag: "CommandFailed",
      command: 1,
      detail: "Move abort in jobs::complete_job code 7"
    })
  })

  it("reads the new reference gas price from a GasPriceUnderRGP refusal", () => {
    expect(referenceGasPriceOf("Error checking transaction input objects: Gas price 1000 under reference gas price (RGP) 1007")).toBe(1007n)
    expect(referenceGasPriceOf("Transaction Expired")).toBeUndefined()
  })

  it("a clever abort is named by the constant the node resolved", () => {
    const code = ((1n << 63n) | (8n << 32n)).toString()
    const error = {
      $kind: "MoveAbort",
      command: 0,
      MoveAbort: {
        abortCode: code,
        location: { module: "app_instance", functionName: "update_block_settlement_tx_included_in_block" },
        cleverError: { constantName: "EPreviousBlockNotSettled", value: "Previous block not settled yet", lineNumber: 8 }
      }
    }
    expect(classifyFailure({ _tag: "Executed", error }, 1)).toEqual({
      _tag: "CommandFailed",
      command: 0,
      detail: `Move abort in app_instance::update_block_settlement_tx_included_in_block code ${code} (EPreviousBlockNotSettled)`
    })
  })

  it("another execution error with a command index fails that command", () => {
    expect(classifyFailure({ _tag: "Executed", error: { $kind: "InsufficientGas", command: 0 } }, 1)).toEqual({
      _tag: "CommandFailed",
      command: 0,
      detail: "execution error in command 0"
    })
  })

  it("an error without a usable command index is unattributed", () => {
    expect(classifyFailure({ _tag: "Executed", error: { $kind: "InsufficientGas" } }, 1)._tag).toBe("Unattributed")
    expect(classifyFailure({ _tag: "Executed", error: { $kind: "X", command: 3 } }, 2)._tag).toBe("Unattributed")
    expect(classifyFailure({ _tag: "Executed", error: null }, 2)._tag).toBe("Unattributed")
  })
})
