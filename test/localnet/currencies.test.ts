/**
 * A currency other than SUI on the localnet: the test coin `0x7e57::test_coin::TEST_COIN` the
 * admin key gets at genesis, read through the SDK's core client (balances per currency, coin
 * info, coin listing by type), and the type rules of the coin calls over `Coin<T>`: a coin of
 * another currency than the call's `T`, or merged into a coin of another currency, fails the
 * command with a TypeMismatch argument error (as the Move VM's type check), and only `Coin<SUI>`
 * pays for gas.
 */
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { normalizeStructTag } from "@mysten/sui/utils"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeSuiClient } from "../../src/localnet/client.js"
import { startLocalnet, type LocalnetHandle } from "../../src/localnet/index.js"

const TEST = normalizeStructTag("0x7e57::test_coin::TEST_COIN")
const SUI = normalizeStructTag("0x2::sui::SUI")

let net: LocalnetHandle
let client: SuiGrpcClient
let admin: Ed25519Keypair

beforeAll(async () => {
  net = await startLocalnet({ port: 0, checkpointMs: "per-transaction" })
  client = makeSuiClient(net.manifest.grpcUrl)
  admin = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin)
})

afterAll(async () => {
  await net?.close()
})

const testCoin = async () => (await client.core.listCoins({ owner: admin.toSuiAddress(), coinType: TEST })).objects[0]!
const suiCoin = async () => (await client.core.listCoins({ owner: admin.toSuiAddress() })).objects[0]!

/** Executes with a chosen gas coin and budget (the SDK then sends it without simulating first). */
const execute = async (tx: Transaction, gas?: { objectId: string; version: string; digest: string }) => {
  tx.setSender(admin.toSuiAddress())
  tx.setGasPrice(1_000n)
  tx.setGasBudget(10_000_000n)
  const g = gas ?? (await suiCoin())
  tx.setGasPayment([{ objectId: g.objectId, version: g.version, digest: g.digest }])
  const bytes = await tx.build({ client })
  return client.core.executeTransaction({ transaction: bytes, signatures: [(await admin.signTransaction(bytes)).signature], include: { effects: true } })
}

describe("a second currency", () => {
  it("is listed, counted and described apart from SUI", async () => {
    const owner = admin.toSuiAddress()
    const { balances } = await client.core.listBalances({ owner })
    expect(balances.map((b) => normalizeStructTag(b.coinType))).toEqual([SUI, TEST])
    expect((await client.core.getBalance({ owner, coinType: TEST })).balance.balance).toBe("1000000000000")
    // the SUI coin list (what gas selection and the coordinator's gas pool read) holds no test coin
    const sui = await client.core.listCoins({ owner })
    expect(sui.objects.every((c) => normalizeStructTag(c.type) === normalizeStructTag(`0x2::coin::Coin<${SUI}>`))).toBe(true)
    const { coinMetadata } = await client.core.getCoinMetadata({ coinType: TEST })
    expect(coinMetadata).toMatchObject({ decimals: 6, symbol: "TEST" })
    const { object } = await client.core.getObject({ objectId: (await testCoin()).objectId, include: { json: true } })
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
    expect((await client.core.getBalance({ owner: admin.toSuiAddress(), coinType: TEST })).balance.balance).toBe("1000000000000")
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
    pay.transferObjects([pay.splitCoins(pay.gas, [1])[0]!], admin.toSuiAddress())
    await expect(execute(pay, fresh)).rejects.toThrow(/Gas object is not an owned object with owner|invalid gas|not a gas object/i)
  })
})
