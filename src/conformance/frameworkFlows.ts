/**
 * Conformance flows of the `0x2` framework: the package and the Clock read as objects, and the
 * `coin` / `pay` / `transfer` calls a dApp makes with `tx.moveCall` (object arguments resolved by
 * the SDK through `GetFunction`), including a framework abort.
 */
import { bcs } from "@mysten/sui/bcs"
import { Transaction } from "@mysten/sui/transactions"
import { normalizeStructTag, normalizeSuiAddress } from "@mysten/sui/utils"
import { check, exec, richestCoin, withGas, type Ctx, type Flow } from "./support.js"

const SUI = "0x2::sui::SUI"
const COIN = `0x2::coin::Coin<${SUI}>`

const run = async (c: Ctx, tx: Transaction) => {
  tx.setSender(c.address)
  const r = await c.client.signAndExecuteTransaction({ transaction: tx, signer: c.key, include: { effects: true, objectTypes: true } })
  if (r.$kind !== "Transaction") throw new Error(`failed: ${r.FailedTransaction.status.error?.message ?? "?"}`)
  await c.client.core.waitForTransaction({ digest: r.Transaction.digest })
  return r.Transaction
}

/** The coins a transaction created, by their balances. */
const createdCoins = async (c: Ctx, effects: { changedObjects: ReadonlyArray<{ objectId: string; idOperation: string }> }) => {
  const ids = effects.changedObjects.filter((o) => o.idOperation === "Created").map((o) => o.objectId)
  const { objects } = await c.client.core.getObjects({ objectIds: ids, include: { json: true } })
  return objects.flatMap((o) =>
    o instanceof Error || normalizeStructTag(o.type) !== normalizeStructTag(COIN) ? [] : [{ id: o.objectId, balance: BigInt((o.json as { balance: string }).balance) }]
  )
}

const coinBalance = async (c: Ctx, id: string): Promise<bigint> => {
  const tx = new Transaction()
  tx.setSender(c.address)
  tx.moveCall({ target: "0x2::coin::value", typeArguments: [SUI], arguments: [tx.object(id)] })
  const sim = await c.client.core.simulateTransaction({ transaction: tx, include: { commandResults: true } })
  const bytes = sim.commandResults?.[0]?.returnValues[0]?.bcs
  if (!bytes) throw new Error("coin::value returned nothing")
  return BigInt(bcs.u64().parse(bytes))
}

export const frameworkFlows: ReadonlyArray<Flow> = [
  ["0x2 package and 0x6 Clock objects", async (c) => {
    const { response: pkg } = await c.client.ledgerService.getObject({ objectId: normalizeSuiAddress("0x2"), readMask: { paths: ["object_id", "version", "object_type"] } })
    check(pkg.object?.objectType === "package", `0x2 is ${pkg.object?.objectType}`)
    const { response: fn } = await c.client.movePackageService.getFunction({ packageId: "0x2", moduleName: "coin", name: "split" })
    check(fn.function?.typeParameters.length === 1, "coin::split has no type parameter")
    const clockAt = async () => {
      const { object } = await c.client.core.getObject({ objectId: "0x6", include: { json: true } })
      return BigInt((object.json as { timestamp_ms: string }).timestamp_ms)
    }
    const first = await clockAt()
    const tx = new Transaction()
    tx.transferObjects([tx.splitCoins(tx.gas, [1n])[0]!], c.address)
    await run(c, tx)
    const second = await clockAt()
    check(second > first, `the clock did not advance: ${first} then ${second}`)
    return `clock ${first} → ${second}`
  }],
  ["coin::split, coin::join, pay::split, pay::join_vec, transfer::public_transfer", async (c) => {
    const tx = new Transaction()
    const a = tx.moveCall({ target: "0x2::coin::split", typeArguments: [SUI], arguments: [tx.gas, tx.pure.u64(1_000)] })
    const b = tx.moveCall({ target: "0x2::coin::split", typeArguments: [SUI], arguments: [tx.gas, tx.pure.u64(2_000)] })
    tx.moveCall({ target: "0x2::transfer::public_transfer", typeArguments: [COIN], arguments: [a, tx.pure.address(c.address)] })
    tx.moveCall({ target: "0x2::transfer::public_transfer", typeArguments: [COIN], arguments: [b, tx.pure.address(c.address)] })
    const made = await createdCoins(c, (await run(c, tx)).effects!)
    check(made.length === 2, `${made.length} coins created`)
    const [x, y] = made.sort((p, q) => (p.balance < q.balance ? -1 : 1))
    check(x!.balance === 1_000n && y!.balance === 2_000n, `balances ${x!.balance}, ${y!.balance}`)
    const tx2 = new Transaction()
    tx2.moveCall({ target: "0x2::coin::join", typeArguments: [SUI], arguments: [tx2.object(y!.id), tx2.object(x!.id)] })
    tx2.moveCall({ target: "0x2::pay::split", typeArguments: [SUI], arguments: [tx2.object(y!.id), tx2.pure.u64(500)] })
    const split = await createdCoins(c, (await run(c, tx2)).effects!)
    check(split.length === 1 && split[0]!.balance === 500n, `pay::split made ${JSON.stringify(split.map((s) => String(s.balance)))}`)
    check((await coinBalance(c, y!.id)) === 2_500n, "coin::join then pay::split left the wrong balance")
    const tx3 = new Transaction()
    tx3.moveCall({ target: "0x2::pay::join_vec", typeArguments: [SUI], arguments: [tx3.object(y!.id), tx3.makeMoveVec({ elements: [tx3.object(split[0]!.id)] })] })
    await run(c, tx3)
    check((await coinBalance(c, y!.id)) === 3_000n, "pay::join_vec left the wrong balance")
    const tx4 = new Transaction()
    tx4.mergeCoins(tx4.gas, [tx4.object(y!.id)])
    await run(c, tx4)
    return "3,000 MIST split, joined and merged back"
  }],
  ["framework abort: coin::split beyond the balance", async (c) => {
    const tx = new Transaction()
    const a = tx.moveCall({ target: "0x2::coin::split", typeArguments: [SUI], arguments: [tx.gas, tx.pure.u64(10)] })
    const b = tx.moveCall({ target: "0x2::coin::split", typeArguments: [SUI], arguments: [a, tx.pure.u64(11)] })
    tx.transferObjects([a, b], c.address)
    tx.setSender(c.address)
    // budget and gas set: the SDK does not simulate first (a simulation would refuse to build it)
    const r = await exec(c, await withGas(c, tx, await richestCoin(c)))
    check(r.$kind === "FailedTransaction", "splitting 11 from 10 succeeded")
    await c.client.core.waitForTransaction({ digest: r.FailedTransaction!.digest })
    const e = r.FailedTransaction!.status.error
    check(e?.$kind === "MoveAbort", `not a MoveAbort: ${e?.$kind}`)
    const abort = (e as { MoveAbort: { abortCode: string; location: { package?: string; module?: string } } }).MoveAbort
    check(normalizeSuiAddress(abort.location.package ?? "") === normalizeSuiAddress("0x2") && abort.location.module === "balance", `aborted in ${JSON.stringify(abort.location)}`)
    check(abort.abortCode === "2", `abort code ${abort.abortCode}`)
    return e!.message
  }]
]
