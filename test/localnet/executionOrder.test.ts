/**
 * Signatures are checked off the node's thread, several at once, but transactions execute in the
 * order they arrived: a Secp256k1 transaction (checked in JavaScript, slowly) that arrives first
 * executes before the Ed25519 ones (checked on the thread pool, quickly) that arrive after it.
 */
import { Secp256k1Keypair } from "@mysten/sui/keypairs/secp256k1"
import { Transaction } from "@mysten/sui/transactions"
import { fromBase64 } from "@mysten/sui/utils"
import { describe, expect, it } from "vitest"
import { sharedLocalnet } from "./serverHelpers.js"

const ln = sharedLocalnet()

type Ref = { objectId: string; version: string; digest: string }

describe("execution order", () => {
  it("executes concurrent transactions in arrival order, whatever order their signature checks finish in", async () => {
    const admin = ln.admin.toSuiAddress()
    const secp = Secp256k1Keypair.generate()
    // fund the Secp256k1 account with a coin of its own
    const fund = new Transaction()
    fund.transferObjects([fund.splitCoins(fund.gas, [2_000_000_000])[0]!], fund.pure.address(secp.toSuiAddress()))
    fund.setSender(admin)
    const funded = await ln.client.signAndExecuteTransaction({ transaction: fund, signer: ln.admin, include: { effects: true } })
    expect(funded.$kind).toBe("Transaction")
    const { objects: secpCoins } = await ln.client.core.listCoins({ owner: secp.toSuiAddress() })
    const { objects: adminCoins } = await ln.client.core.listCoins({ owner: admin, limit: 10 })

    const build = async (sender: string, gas: Ref, sign: (b: Uint8Array) => Promise<{ signature: string }>) => {
      const tx = new Transaction()
      tx.transferObjects([tx.splitCoins(tx.gas, [1])[0]!], tx.pure.address(sender))
      tx.setSender(sender)
      tx.setGasPrice(1000n)
      tx.setGasBudget(50_000_000n)
      tx.setGasPayment([gas])
      const bytes = await tx.build({ client: ln.client })
      return { bytes, signature: fromBase64((await sign(bytes)).signature) }
    }
    const first = await build(secp.toSuiAddress(), secpCoins[0]!, (b) => secp.signTransaction(b))
    const rest = await Promise.all(
      adminCoins.filter((c) => BigInt(c.balance) > 1_000_000_000n).slice(0, 4).map((c) => build(admin, c, (b) => ln.admin.signTransaction(b)))
    )
    expect(rest).toHaveLength(4)

    const executed: Array<number> = []
    const calls = [first, ...rest].map((t, i) =>
      ln.net.chain.executeAsync(t.bytes, [t.signature]).then((r) => {
        executed.push(i)
        return r
      })
    )
    const results = await Promise.all(calls)
    expect(results.every((r) => r.effects?.status?.success === true)).toBe(true)
    expect(executed).toEqual([0, 1, 2, 3, 4])
    // and the chain recorded them in that order
    const checkpoints = results.map((r) => r.checkpoint!)
    expect([...checkpoints].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(checkpoints)
  })
})
