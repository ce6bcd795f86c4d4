/**
 * Conformance flow of the coin calls over a currency other than SUI: `coin::split`, `coin::join`,
 * `pay::split`, `pay::join_vec`, `transfer::public_transfer` and the SplitCoins / MergeCoins
 * commands over `Coin<T>`, with balances and balance changes per currency. The key needs a coin
 * of some currency other than SUI (the localnet gives its admin key `0x7e57::test_coin::TEST_COIN`).
 */
import { Transaction } from "@mysten/sui/transactions"
import { normalizeStructTag } from "@mysten/sui/utils"
import { check, type Ctx, type Flow } from "./support.js"

const SUI = normalizeStructTag("0x2::sui::SUI")

const run = async (c: Ctx, tx: Transaction) => {
  tx.setSender(c.address)
  const r = await c.client.signAndExecuteTransaction({ transaction: tx, signer: c.key, include: { effects: true, balanceChanges: true } })
  if (r.$kind !== "Transaction") throw new Error(`failed: ${r.FailedTransaction.status.error?.message ?? "?"}`)
  await c.client.core.waitForTransaction({ digest: r.Transaction.digest })
  return r.Transaction
}

/** The coins of `currency` a transaction created, by their balances. */
const createdCoins = async (c: Ctx, currency: string, effects: { changedObjects: ReadonlyArray<{ objectId: string; idOperation: string }> }) => {
  const ids = effects.changedObjects.filter((o) => o.idOperation === "Created").map((o) => o.objectId)
  const { objects } = await c.client.core.getObjects({ objectIds: ids, include: { json: true } })
  const type = normalizeStructTag(`0x2::coin::Coin<${currency}>`)
  return objects.flatMap((o) =>
    o instanceof Error || normalizeStructTag(o.type) !== type ? [] : [{ id: o.objectId, balance: BigInt((o.json as { balance: string }).balance) }]
  )
}

const balanceOf = async (c: Ctx, coinType: string) => BigInt((await c.client.core.getBalance({ owner: c.address, coinType })).balance.balance)

export const currencyFlows: ReadonlyArray<Flow> = [
  ["coin::split / coin::join / pay::* / public_transfer / SplitCoins / MergeCoins over a currency other than SUI", async (c) => {
    const { balances } = await c.client.core.listBalances({ owner: c.address })
    const other = balances.find((b) => normalizeStructTag(b.coinType) !== SUI && BigInt(b.balance) >= 10_000n)
    check(other !== undefined, "the key owns no coin of a currency other than SUI (send it some to run this flow)")
    const T = normalizeStructTag(other!.coinType)
    const { objects } = await c.client.core.listCoins({ owner: c.address, coinType: T, limit: 50 })
    const source = [...objects].sort((a, b) => (BigInt(b.balance) > BigInt(a.balance) ? 1 : -1))[0]!
    const before = await balanceOf(c, T)

    const tx = new Transaction()
    const a = tx.moveCall({ target: "0x2::coin::split", typeArguments: [T], arguments: [tx.object(source.objectId), tx.pure.u64(1_000)] })
    const b = tx.moveCall({ target: "0x2::coin::split", typeArguments: [T], arguments: [tx.object(source.objectId), tx.pure.u64(2_000)] })
    tx.moveCall({ target: "0x2::transfer::public_transfer", typeArguments: [`0x2::coin::Coin<${T}>`], arguments: [a, tx.pure.address(c.address)] })
    tx.moveCall({ target: "0x2::transfer::public_transfer", typeArguments: [`0x2::coin::Coin<${T}>`], arguments: [b, tx.pure.address(c.address)] })
    const made = (await createdCoins(c, T, (await run(c, tx)).effects!)).sort((p, q) => (p.balance < q.balance ? -1 : 1))
    check(made.length === 2 && made[0]!.balance === 1_000n && made[1]!.balance === 2_000n, `coin::split made ${JSON.stringify(made.map((m) => String(m.balance)))}`)
    const x = made[0]!
    const y = made[1]!

    const tx2 = new Transaction()
    tx2.moveCall({ target: "0x2::coin::join", typeArguments: [T], arguments: [tx2.object(y.id), tx2.object(x.id)] })
    tx2.moveCall({ target: "0x2::pay::split", typeArguments: [T], arguments: [tx2.object(y.id), tx2.pure.u64(500)] })
    const split = await createdCoins(c, T, (await run(c, tx2)).effects!)
    check(split.length === 1 && split[0]!.balance === 500n, `pay::split made ${JSON.stringify(split.map((s) => String(s.balance)))}`)

    const tx3 = new Transaction()
    tx3.moveCall({ target: "0x2::pay::join_vec", typeArguments: [T], arguments: [tx3.object(y.id), tx3.makeMoveVec({ elements: [tx3.object(split[0]!.id)] })] })
    const [part] = tx3.splitCoins(tx3.object(y.id), [tx3.pure.u64(250)])
    tx3.mergeCoins(tx3.object(source.objectId), [part!, tx3.object(y.id)])
    await run(c, tx3)
    const after = await balanceOf(c, T)
    check(after === before, `the ${T} balance moved from ${before} to ${after}`)

    // to another address and back: the balance changes name the currency
    const away = new Transaction()
    const [gift] = away.splitCoins(away.object(source.objectId), [away.pure.u64(123)])
    away.transferObjects([gift!], away.pure.address("0x" + "5e".repeat(32)))
    const sent = await run(c, away)
    const change = sent.balanceChanges?.find((ch) => normalizeStructTag(ch.coinType) === T)
    check(change !== undefined && BigInt(change.amount) === -123n, `balance changes ${JSON.stringify(sent.balanceChanges)}`)
    return `${T}: split, joined, paid, merged back; 123 sent away`
  }]
]
