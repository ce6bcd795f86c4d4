/**
 * Settlement executes its transactions asking the node only for what it reads. Over the localnet's
 * real gRPC: the outcome read from the narrow answer is the one read from the full answer of the
 * same transaction (status, Move abort, events' types and BCS, gas coin reference, gas used), for a
 * successful and for an aborted transaction; and the answer is narrow (no changed objects, no
 * events' JSON).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction, type TransactionArgument } from "@mysten/sui/transactions"
import { executeForSettlement, lookupExecuted, toExecuted, type ExecOutcome } from "../../src/chain/execute.js"
import { coordinationCall, createJobs, openClient } from "../../src/localnet/client.js"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { METHOD, startNet } from "./fixture.js"

let net: LocalnetHandle
beforeAll(async () => {
  net = await startNet()
})
afterAll(() => net.close())

const comparable = (o: ExecOutcome) =>
  o._tag === "NotExecuted"
    ? o
    : { success: o.success, error: o.error, events: o.events.map((e) => ({ eventType: e.eventType, bcs: Buffer.from(e.bcs).toString("hex") })), gas: o.gas, used: o.used }

const runCall = async (call: (tx: Transaction, instance: TransactionArgument) => unknown) => {
  const { client, close } = openClient(net.manifest.grpcUrl)
  try {
    const admin = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin)
    const tx = new Transaction()
    tx.setSender(admin.toSuiAddress())
    // every input given (the instance's shared version, gas coin, price, budget): the SDK builds
    // without simulating, so a call that aborts is still built and sent
    const [{ object: inst }, { referenceGasPrice }, coins] = await Promise.all([
      client.core.getObject({ objectId: net.manifest.appInstanceId }),
      client.core.getReferenceGasPrice(),
      client.core.listCoins({ owner: admin.toSuiAddress(), limit: 1 })
    ])
    const owner = inst.owner as { Shared?: { initialSharedVersion: string } }
    const coin = coins.objects[0]!
    tx.setGasBudget(50_000_000)
    tx.setGasPrice(BigInt(referenceGasPrice))
    tx.setGasPayment([{ objectId: coin.objectId, version: coin.version, digest: coin.digest }])
    call(tx, tx.sharedObjectRef({ objectId: net.manifest.appInstanceId, initialSharedVersion: owner.Shared!.initialSharedVersion, mutable: true }))
    const bytes = await tx.build({ client })
    const { signature } = await admin.signTransaction(bytes)
    const narrow = await executeForSettlement(client, { bytes, signature })
    const digest = narrow.$kind === "Transaction" ? narrow.Transaction.digest : narrow.FailedTransaction.digest
    const full = await Effect.runPromise(lookupExecuted(client, digest))
    return { narrow, full }
  } finally {
    close()
  }
}

describe("executeForSettlement", () => {
  it("reads the same outcome from its narrow answer as from the full one, and the answer is narrow", async () => {
    const { jobSequences } = await createJobs(net.manifest, { count: 1, method: METHOD })
    const { narrow, full } = await runCall((tx) => coordinationCall.startAppJob(tx, net.manifest.packageId, net.manifest.appInstanceId, jobSequences[0]!))
    expect(narrow.$kind).toBe("Transaction")
    const outcome = toExecuted(narrow)
    expect(outcome._tag === "Executed" && outcome.events.some((e) => e.eventType.endsWith("::JobStartedEvent"))).toBe(true)
    expect(outcome._tag === "Executed" && outcome.gas !== undefined && outcome.used > 0n).toBe(true)
    expect(full._tag).toBe("Some")
    if (full._tag === "Some") expect(comparable(outcome)).toEqual(comparable(full.value))
    // what it did not ask for is not there
    const t = (narrow.$kind === "Transaction" ? narrow.Transaction : narrow.FailedTransaction) as unknown as {
      effects?: { changedObjects: ReadonlyArray<unknown> }
      events?: ReadonlyArray<{ json: unknown }>
    }
    expect(t.effects?.changedObjects).toEqual([])
    expect(t.events?.every((e) => e.json === null)).toBe(true)
  })

  it("reads a Move abort as the full answer gives it", async () => {
    // metadata is write-once: the second add_metadata of a key aborts (in sui::vec_map::insert)
    const addMetadata = (tx: Transaction, instance: TransactionArgument) =>
      tx.moveCall({
        target: `${net.manifest.packageId}::app_instance::add_metadata`,
        arguments: [instance, tx.pure.string("execute-test"), tx.pure.string("v")]
      })
    expect((await runCall(addMetadata)).narrow.$kind).toBe("Transaction")
    const { narrow, full } = await runCall(addMetadata)
    expect(narrow.$kind).toBe("FailedTransaction")
    const outcome = toExecuted(narrow)
    expect(outcome._tag === "Executed" && outcome.success).toBe(false)
    expect((outcome as { error: { $kind?: string } }).error.$kind).toBe("MoveAbort")
    expect(full._tag).toBe("Some")
    if (full._tag === "Some") expect(comparable(outcome)).toEqual(comparable(full.value))
  })
})
