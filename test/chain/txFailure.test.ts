/**
 * Settlement's failure classes from the status codes and texts a Sui full node answers. Each
 * case names the MystenLabs/sui source that produces the answer.
 */
import { describe, expect, it } from "vitest"
import { classifyRejection } from "../../src/chain/txFailure.js"

const ID = "0x" + "ab".repeat(32)

describe("classifyRejection", () => {
  it.each([
    // crates/sui-types/src/error.rs UserInputError::ObjectVersionUnavailableForConsumption, early
    // validation in crates/sui-core/src/transaction_orchestrator.rs, InvalidTransaction => InvalidArgument
    ["INVALID_ARGUMENT", `Error checking transaction input objects: Object ID ${ID} Version 0x4 Digest 9xyz is not available for consumption, current version: 0x5`, "StaleInputs"],
    // the same error reported by validators (transaction_driver/error.rs RejectedByValidators)
    ["INVALID_ARGUMENT", `Transaction is rejected as invalid by more than 1/3 of validators by stake (non-retriable). Non-retriable errors: [Object ID ${ID} Version 0x4 Digest 9xyz is not available for consumption, current version: 0x5 { k#1 } with 2500 stake].`, "StaleInputs"],
    // UserInputError::GasBalanceTooLow: the coin is too poor, another coin will do
    ["INVALID_ARGUMENT", "Error checking transaction input objects: Balance of gas object 10 is lower than the needed amount: 5000000", "StaleInputs"],
    // ObjectLockConflict => ErrorCategory::LockConflict => FailedPrecondition (error.rs)
    ["FAILED_PRECONDITION", `Transaction is rejected as invalid by more than 1/3 of validators by stake (non-retriable). Non-retriable errors: [Object (${ID}, SequenceNumber(4), o#9xyz) already locked by a different transaction: TransactionDigest(abc) { k#1 } with 2500 stake].`, "LockedInputs"],
    // TimeoutBeforeFinalityWithErrors / SystemOverload => Unavailable (error.rs)
    ["UNAVAILABLE", "system is overloaded", "Transient"],
    ["UNAVAILABLE", `Transaction timed out before finality could be reached. Attempts: 3 & timeout: 60s. Last error: Transaction processing aborted (retriable with another submission). Retriable errors: [Could not find the referenced object ${ID} at version Some(0x4) { k#1 } with 2500 stake].`, "Transient"],
    // ErrorCategory::Aborted (retriable with another submission) and ValidatorOverloaded
    ["ABORTED", "Transaction processing aborted (retriable with another submission).", "Transient"],
    ["RESOURCE_EXHAUSTED", "Transaction is not processed because validators are overloaded", "Transient"],
    // InvalidUserSignature, gas price under RGP, expired: the transaction itself is invalid
    ["INVALID_ARGUMENT", "Invalid user signature: Signature is not valid: Cannot verify signature", "Invalid"],
    ["INVALID_ARGUMENT", "Error checking transaction input objects: Gas price 999 under reference gas price (RGP) 1000", "Invalid"],
    ["INVALID_ARGUMENT", "Transaction Expired", "Invalid"],
    ["NOT_FOUND", "no such method", "Invalid"]
  ] as const)("%s %s → %s", (code, message, expected) => {
    expect(classifyRejection(code, message)).toBe(expected)
  })
})
