/**
 * The localnet answers rejections with the gRPC status and message a Sui full node uses, through
 * SuiGrpcClient over real gRPC. Each case names the Sui source it mirrors (MystenLabs/sui):
 * - crates/sui-rpc-api/src/error.rs, `impl From<TransactionSubmissionError> for RpcError`
 *   (ErrorCategory → status: InvalidTransaction → INVALID_ARGUMENT, LockConflict →
 *   FAILED_PRECONDITION, timeouts and overload → UNAVAILABLE; InvalidUserSignature →
 *   INVALID_ARGUMENT "Invalid user signature: ...");
 * - crates/sui-types/src/error.rs, `SuiErrorKind::categorize` and the `UserInputError` texts;
 * - crates/sui-core/src/transaction_orchestrator.rs, early validation answering
 *   `TransactionFailed { category, details }`;
 * - crates/sui-core/src/transaction_driver/error.rs, `RejectedByValidators` / `Aborted` texts;
 * - crates/sui-rpc-api/src/grpc/v2/transaction_execution_service/simulate/mod.rs,
 *   `simulation_error_to_rpc_error` and the mock gas coin of simulations without payment.
 */
import { Secp256k1Keypair } from "@mysten/sui/keypairs/secp256k1"
import { Secp256r1Keypair } from "@mysten/sui/keypairs/secp256r1"
import { Transaction } from "@mysten/sui/transactions"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { describe, expect, it } from "vitest"
import { sharedLocalnet } from "./serverHelpers.js"

const ln = sharedLocalnet()

type Ref = { objectId: string; version: string; digest: string }

const richCoin = async (): Promise<Ref & { balance: bigint }> => {
  const { objects } = await ln.client.core.listCoins({ owner: ln.admin.toSuiAddress(), limit: 100 })
  const c = objects.find((o) => BigInt(o.balance) > 1_000_000_000n)!
  return { objectId: c.objectId, version: c.version, digest: c.digest, balance: BigInt(c.balance) }
}

const signed = async (tx: Transaction, gas: Ref, budget = 50_000_000n) => {
  tx.setSender(ln.admin.toSuiAddress())
  tx.setGasPrice(1000n)
  tx.setGasBudget(budget)
  tx.setGasPayment([gas])
  const bytes = await tx.build({ client: ln.client })
  const { signature } = await ln.admin.signTransaction(bytes)
  return { bytes, signature }
}

const selfTransfer = (amount = 1) => {
  const tx = new Transaction()
  tx.transferObjects([tx.splitCoins(tx.gas, [amount])[0]!], tx.pure.address(ln.admin.toSuiAddress()))
  return tx
}

const exec = (b: { bytes: Uint8Array; signature: string }) =>
  ln.client.core.executeTransaction({ transaction: b.bytes, signatures: [b.signature], include: { effects: true } })

const rejection = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
  try {
    await p
  } catch (e) {
    return { code: String((e as { code?: unknown }).code), message: String((e as Error).message) }
  }
  throw new Error("expected a rejection")
}

describe("ExecuteTransaction rejections", () => {
  it("stale owned version: INVALID_ARGUMENT with ObjectVersionUnavailableForConsumption's text", async () => {
    // error.rs: ErrorCategory::InvalidTransaction => Code::InvalidArgument; UserInputError text
    const gas = await richCoin()
    expect((await exec(await signed(selfTransfer(1), gas))).$kind).toBe("Transaction")
    const stale = await rejection(exec(await signed(selfTransfer(2), gas)))
    expect(stale.code).toBe("INVALID_ARGUMENT")
    const now = (await ln.client.core.getObject({ objectId: gas.objectId })).object
    expect(stale.message).toBe(
      `Error checking transaction input objects: Object ID ${gas.objectId} Version 0x${BigInt(gas.version).toString(16)} Digest ${gas.digest} is not available for consumption, current version: 0x${BigInt(now.version).toString(16)}`
    )
  })

  it("object that does not exist: UNAVAILABLE once the node gives up retrying (ErrorCategory::Aborted)", async () => {
    const gas = await richCoin()
    const ghost = normalizeSuiAddress("0xdead01")
    const tx = new Transaction()
    tx.transferObjects([tx.objectRef({ objectId: ghost, version: "3", digest: gas.digest })], tx.pure.address(ln.admin.toSuiAddress()))
    const r = await rejection(exec(await signed(tx, gas)))
    expect(r.code).toBe("UNAVAILABLE")
    expect(r.message).toMatch(/^Transaction timed out before finality could be reached\./)
    expect(r.message).toContain(`Could not find the referenced object ${ghost} at version Some(0x3)`)
  })

  it("gas balance, budget and price checks: INVALID_ARGUMENT with the UserInputError texts", async () => {
    const gas = await richCoin()
    const tooHigh = await rejection(exec(await signed(selfTransfer(), gas, 60_000_000_000n)))
    expect(tooHigh).toEqual({ code: "INVALID_ARGUMENT", message: "Error checking transaction input objects: Gas budget: 60000000000 is higher than max: 50000000000" })
    const tooLow = await rejection(exec(await signed(selfTransfer(), gas, 999n)))
    expect(tooLow).toEqual({ code: "INVALID_ARGUMENT", message: "Error checking transaction input objects: Gas budget: 999 is lower than min: 1000000" })
  })

  it("a signature over other bytes: INVALID_ARGUMENT \"Invalid user signature: ...\"", async () => {
    const gas = await richCoin()
    const a = await signed(selfTransfer(5), gas)
    const b = await signed(selfTransfer(6), gas)
    const r = await rejection(exec({ bytes: a.bytes, signature: b.signature }))
    expect(r.code).toBe("INVALID_ARGUMENT")
    expect(r.message).toMatch(/^Invalid user signature: Signature is not valid: /)
  })

  it("verifies Secp256k1 and Secp256r1 signatures: a signature over other bytes is refused", async () => {
    for (const key of [Secp256k1Keypair.generate(), Secp256r1Keypair.generate()]) {
      const gas = await richCoin()
      const mk = async (amount: number) => {
        const tx = selfTransfer(amount)
        tx.setSender(key.toSuiAddress())
        tx.setGasPrice(1000n)
        tx.setGasBudget(50_000_000n)
        tx.setGasPayment([gas])
        return tx.build({ client: ln.client })
      }
      const a = await mk(1)
      const b = await mk(2)
      const r = await rejection(exec({ bytes: a, signature: (await key.signTransaction(b)).signature }))
      expect(r.code).toBe("INVALID_ARGUMENT")
      expect(r.message).toMatch(/^Invalid user signature: Signature is not valid: /)
      // a valid secp signature passes verification and reaches the input checks (the coin is the admin's)
      const ok = await rejection(exec({ bytes: a, signature: (await key.signTransaction(a)).signature }))
      expect(ok.message).toMatch(/^Error checking transaction input objects: Transaction was not signed by the correct sender: Object 0x[0-9a-f]{64} is owned by account address/)
    }
  })

  it("injected faults answer as the real node: version conflict, missing object, overload", async () => {
    const gas = await richCoin()
    const tx = await signed(selfTransfer(7), gas)
    ln.net.faults.failNextExecutions(1, "version-conflict")
    const version = await rejection(exec(tx))
    expect(version.code).toBe("INVALID_ARGUMENT")
    expect(version.message).toContain(`Object ID ${gas.objectId} Version 0x${BigInt(gas.version).toString(16)} Digest ${gas.digest} is not available for consumption`)
    ln.net.faults.failNextExecutions(1, "object-not-found")
    expect((await rejection(exec(tx))).code).toBe("UNAVAILABLE")
    ln.net.faults.failNextExecutions(1, "unavailable")
    expect(await rejection(exec(tx))).toEqual({ code: "UNAVAILABLE", message: "system is overloaded" })
    // none of them executed anything: the same bytes now execute
    expect((await exec(tx)).$kind).toBe("Transaction")
  })

  it("an injected lock conflict: FAILED_PRECONDITION, and the version stays locked for the epoch", async () => {
    // a coin of its own (0.5 SUI, below what richCoin picks): this localnet's epoch never ends
    const made = await exec(await signed(selfTransfer(500_000_000), await richCoin()))
    const created = made.Transaction!.effects!.changedObjects.find((o) => o.idOperation === "Created")!
    const { object: coin } = await ln.client.core.getObject({ objectId: created.objectId })
    const tx = await signed(selfTransfer(7), { objectId: coin.objectId, version: coin.version, digest: coin.digest })
    ln.net.faults.failNextExecutions(1, "lock-conflict")
    const lock = await rejection(exec(tx))
    // transaction_driver/error.rs RejectedByValidators + error.rs LockConflict => FailedPrecondition
    expect(lock.code).toBe("FAILED_PRECONDITION")
    expect(lock.message).toMatch(/^Transaction is rejected as invalid by more than 1\/3 of validators by stake \(non-retriable\)\./)
    expect(lock.message).toContain(`Object (${coin.objectId}, SequenceNumber(${coin.version}), o#${coin.digest}) already locked by a different transaction`)
    // authority_per_epoch_store.rs: owned_object_locked_transactions is per epoch; no fault now, same lock
    expect(await rejection(exec(tx))).toEqual(lock)
  })
})

describe("gas", () => {
  it("reserves the budget while the commands run: splitting into it fails with InsufficientCoinBalance, nothing is minted", async () => {
    const gas = await richCoin()
    const budget = 50_000_000n
    const r = await exec(await signed(selfTransfer(Number(gas.balance - budget + 1n)), gas, budget))
    expect(r.$kind).toBe("FailedTransaction")
    const f = r.FailedTransaction!
    // the SDK has no $kind for it; the node's ExecutionError.kind is INSUFFICIENT_COIN_BALANCE (8)
    expect(ln.net.chain.getTransaction(f.digest)?.effects?.status?.error?.kind).toBe(8)
    const g = f.effects!.gasUsed
    const charged = BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate)
    expect(charged).toBeGreaterThan(0n)
    expect(charged).toBeLessThanOrEqual(budget)
    const after = await ln.client.core.getObject({ objectId: gas.objectId, include: { json: true } })
    expect(BigInt((after.object.json as { balance: string }).balance)).toBe(gas.balance - charged)

    // exactly balance - budget is allowed
    const fresh = await richCoin()
    const ok = await exec(await signed(selfTransfer(Number(fresh.balance - budget)), fresh, budget))
    expect(ok.$kind).toBe("Transaction")
  })

  it("simulates a transaction without gas payment with a mock gas coin", async () => {
    const tx = selfTransfer(1_000)
    tx.setSender(ln.admin.toSuiAddress())
    tx.setGasPrice(1000n)
    tx.setGasBudget(50_000_000n)
    tx.setGasPayment([])
    const bytes = await tx.build({ client: ln.client })
    const sim = await ln.client.core.simulateTransaction({ transaction: bytes, doGasSelection: false, include: { effects: true } })
    const t = sim.$kind === "Transaction" ? sim.Transaction : sim.FailedTransaction
    expect(t!.status.success).toBe(true)
    expect(t!.effects!.gasObject).not.toBeNull()
    // nothing of it is kept: no coin of the sender has the mock's id
    const { objects } = await ln.client.core.listCoins({ owner: ln.admin.toSuiAddress(), limit: 200 })
    expect(objects.map((o) => o.objectId)).not.toContain(t!.effects!.gasObject!.objectId)
  })

  it("simulation of a missing object: INVALID_ARGUMENT (simulation_error_to_rpc_error)", async () => {
    const tx = new Transaction()
    tx.setSender(ln.admin.toSuiAddress())
    tx.transferObjects([tx.object(normalizeSuiAddress("0xdead02"))], tx.pure.address(ln.admin.toSuiAddress()))
    const r = await rejection(tx.build({ client: ln.client }))
    expect(r.message).toContain(`Error checking transaction input objects: Could not find the referenced object ${normalizeSuiAddress("0xdead02")}`)
  })
})
