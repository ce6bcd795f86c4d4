/**
 * A currency other than SUI on the localnet: the test coin `0x7e57::test_coin::TEST_COIN` the
 * admin key gets at genesis, read through the SDK's core client (balances per currency, coin
 * info, coin listing by type), and the type rules of the coin calls over `Coin<T>`: a coin of
 * another currency than the call's `T`, or merged into a coin of another currency, fails the
 * command with a TypeMismatch argument error (as the Move VM's type check), and only `Coin<SUI>`
 * pays for gas.
 */
import { Transaction } from "@mysten/sui/transactions"
import { normalizeStructTag } from "@mysten/sui/utils"
import { describe, expect, it } from "vitest"
import { sharedLocalnet } from "./serverHelpers.js"

const TEST = normalizeStructTag("0x7e57::test_coin::TEST_COIN")
const SUI = normalizeStructTag("0x2::sui::SUI")

const ln = sharedLocalnet()

const testCoin = async () => (await ln.client.core.listCoins({ owner: ln.admin.toSuiAddress(), coinType: TEST })).objects[0]!
const suiCoin = async () => (await ln.client.core.listCoins({ owner: ln.admin.toSuiAddress() })).objects[0]!

/** Executes with a chosen gas coin and budget (the SDK then sends it without simulating first). */
const execute = async (tx: Transaction, gas?: { objectId: string; version: string; digest: string }) => {
  tx.setSender(ln.admin.toSuiAddress())
  tx.setGasPrice(1_000n)
  tx.setGasBudget(10_000_000n)
  const g = gas ?? (await suiCoin())
  tx.setGasPayment([{ objectId: g.objectId, version: g.version, digest: g.digest }])
  const bytes = await tx.build({ client: ln.client })
  return ln.client.core.executeTransaction({ transaction: bytes, signatures: [(await ln.admin.signTransaction(bytes)).signature], include: { effects: true } })
}

describe("a second currency", () => {
  it("is listed, counted and described apart from SUI", async () => {
    const owner = ln.admin.toSuiAddress()
    const { balances } = await ln.client.core.listBalances({ owner })
    expect(balances.map((b) => normalizeStructTag(b.coinType))).toEqual([SUI, TEST])
    expect((await ln.client.core.getBalance({ owner, coinType: TEST })).balance.balance).toBe("1000000000000")
    // the SUI coin list (what gas selection and the coordinator's gas pool read) holds no test coin
    const sui = await ln.client.core.listCoins({ owner })
    expect(sui.objects.every((c) => normalizeStructTag(c.type) === normalizeStructTag(`0x2::coin::Coin<${SUI}>`))).toBe(true)
    const { coinMetadata } = await ln.client.core.getCoinMetadata({ coinType: TEST })
    expect(coinMetadata).toMatchObject({ decimals: 6, symbol: "TEST" })
    const { object } = await ln.client.core.getObject({ objectId: (await testCoin()).objectId, include: { json: true } })
    expect((object.json as { balance: string }).balance).toBe("1000000000000")
  })

  it("refuses a coin of another currency than the call's type argument", async () => {
    const coin = await testCoin()
    const tx = new Transaction()
    // full references: the SDK builds without asking the node to resolve (a simulation would refuse it)
    tx.moveCall({ target: "0x2::coin::join", typeArguments: [SUI], arguments: [tx.gas, tx.objectRef(coin)] })
    const r = await execute(tx)
    expect(r.$kind).toBe("FailedTransaction")
    expect(r.FailedTransaction!.status.error).toMatchObject({ $kind: "CommandArgumentError", command: 0, CommandArgumentError: { argument: 1, name: "TypeMismatch" } })
    // nothing moved: the coin is still whole
    expect((await ln.client.core.getBalance({ owner: ln.admin.toSuiAddress(), coinType: TEST })).balance.balance).toBe("1000000000000")
  })

  it("refuses merging a coin into one of another currency, and a non-SUI gas coin", async () => {
    const coin = await testCoin()
    const tx = new Transaction()
    tx.mergeCoins(tx.gas, [tx.objectRef(coin)])
    const r = await execute(tx)
    expect(r.$kind).toBe("FailedTransaction")
    expect(r.FailedTransaction!.status.error).toMatchObject({ $kind: "CommandArgumentError", command: 0, CommandArgumentError: { argument: 1, name: "TypeMismatch" } })
    const fresh = await testCoin()
    const pay = new Transaction()
    pay.transferObjects([pay.splitCoins(pay.gas, [1])[0]!], ln.admin.toSuiAddress())
    await expect(execute(pay, fresh)).rejects.toThrow(/Gas object is not an owned object with owner|invalid gas|not a gas object/i)
  })
})
