/**
 * The engine's transaction codec against the SDK: the fast BCS reader must agree with the
 * generic schema parser on every transaction shape `@mysten/sui` builds, and re-encoding must
 * give back the signed bytes (the digest depends on it).
 */
import * as fc from "fast-check"
import { Transaction } from "@mysten/sui/transactions"
import { describe, expect, it } from "vitest"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { fastSigner } from "../../src/localnet/client.js"
import { fastTxFromBcs, txFromBcs, txFromBcsGeneric, txToBcs } from "../../src/localnet/engine/txdata.js"

const A = (c: string) => "0x" + c.repeat(64)
const DIGEST = "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi"

const build = async (fill: (tx: Transaction) => void, opts: { expirationEpoch?: number } = {}) => {
  const tx = new Transaction()
  tx.setSender(A("a"))
  tx.setGasPrice(1000)
  tx.setGasBudget(12_345_678)
  tx.setGasPayment([
    { objectId: A("b"), version: "7", digest: DIGEST },
    { objectId: A("c"), version: "9", digest: DIGEST }
  ])
  if (opts.expirationEpoch !== undefined) tx.setExpiration({ Epoch: opts.expirationEpoch })
  fill(tx)
  return tx.build()
}

const same = (bytes: Uint8Array, fastPath = true) => {
  expect(fastTxFromBcs(bytes) !== undefined).toBe(fastPath)
  const fast = txFromBcs(bytes)
  expect(fast).toEqual(txFromBcsGeneric(bytes))
  expect(Array.from(txToBcs(fast))).toEqual(Array.from(bytes))
}

describe("transaction codec", () => {
  it("agrees with the SDK schema on Move calls, coins, transfers and expirations", async () => {
    same(
      await build((tx) => {
        const [c] = tx.splitCoins(tx.gas, [tx.pure.u64(5), tx.pure.u64(6)])
        tx.mergeCoins(tx.gas, [tx.objectRef({ objectId: A("d"), version: "3", digest: DIGEST })])
        tx.transferObjects([c!, tx.gas], tx.pure.address(A("e")))
        tx.moveCall({
          target: `${A("f")}::app_instance::start_app_job`,
          arguments: [tx.sharedObjectRef({ objectId: A("1"), initialSharedVersion: 4, mutable: true }), tx.pure.u64(3), tx.object.clock()]
        })
      }, { expirationEpoch: 12 })
    )
  })

  it("falls back to the generic parser for type arguments and MakeMoveVec", async () => {
    same(
      await build((tx) => {
        const v = tx.makeMoveVec({ type: "u64", elements: [tx.pure.u64(1), tx.pure.u64(2)] })
        tx.moveCall({ target: `${A("f")}::m::f`, typeArguments: ["0x2::sui::SUI"], arguments: [v] })
      }),
      false
    )
  })

  it("round-trips arbitrary create_app_job arguments", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.option(fc.string(), { nil: null }),
        fc.option(fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 5 }), { nil: null }),
        fc.uint8Array({ maxLength: 300 }),
        async (method, description, seqs, data) => {
          same(
            await build((tx) => {
              tx.moveCall({
                target: `${A("f")}::app_instance::create_app_job`,
                arguments: [
                  tx.sharedObjectRef({ objectId: A("1"), initialSharedVersion: 1, mutable: true }),
                  tx.pure.string(method),
                  tx.pure.option("string", description),
                  tx.pure.option("u64", null),
                  tx.pure.option("vector<u64>", seqs),
                  tx.pure.option("vector<u64>", null),
                  tx.pure.option("vector<u64>", null),
                  tx.pure.vector("u8", data),
                  tx.pure.option("u64", null),
                  tx.pure.option("u64", null),
                  tx.pure.option("string", null),
                  tx.object.clock()
                ]
              })
            })
          )
        }
      ),
      { numRuns: 60 }
    )
  })

  it("signs with Node's Ed25519 exactly as Ed25519Keypair.signTransaction does", async () => {
    const kp = Ed25519Keypair.generate()
    const sign = fastSigner(kp.getSecretKey())
    for (const n of [1, 2, 3]) {
      const bytes = await build((tx) => {
        tx.transferObjects([tx.splitCoins(tx.gas, [tx.pure.u64(n)])[0]!], tx.pure.address(A("e")))
      })
      expect(sign(bytes)).toBe((await kp.signTransaction(bytes)).signature)
    }
  })
})
