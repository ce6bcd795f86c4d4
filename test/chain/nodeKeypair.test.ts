/**
 * The coordinator's Node-signing Ed25519 keypair is the SDK's keypair with the same seed: the same
 * public key, address and secret, byte-identical signatures of any message and transaction, and
 * signatures the SDK verifies. `parsePrivateKey` hands it out for every Ed25519 key form.
 */
import { describe, expect, it } from "@effect/vitest"
import { randomBytes } from "node:crypto"
import { FastCheck as fc } from "effect"
import { decodeSuiPrivateKey } from "@mysten/sui/cryptography"
import { verifyPersonalMessageSignature, verifyTransactionSignature } from "@mysten/sui/verify"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { NodeEd25519Keypair } from "../../src/chain/nodeKeypair.js"
import { parsePrivateKey } from "../../src/layers/SuiClient.js"

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

describe("NodeEd25519Keypair", () => {
  it("signs exactly as the SDK's Ed25519Keypair for any seed and message", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 2000 }), async (seed, message) => {
        const ours = NodeEd25519Keypair.fromSeed(seed)
        const sdk = Ed25519Keypair.fromSecretKey(seed)
        expect(ours.toSuiAddress()).toBe(sdk.toSuiAddress())
        expect(hex(ours.getPublicKey().toRawBytes())).toBe(hex(sdk.getPublicKey().toRawBytes()))
        expect(ours.getSecretKey()).toBe(sdk.getSecretKey())
        expect(hex(await ours.sign(message))).toBe(hex(await sdk.sign(message)))
        const tx = await ours.signTransaction(message)
        expect(tx).toEqual(await sdk.signTransaction(message))
      }),
      { numRuns: 60 }
    )
  })

  it("makes signatures the SDK verifies as the key's", async () => {
    const kp = NodeEd25519Keypair.fromSeed(randomBytes(32))
    const txBytes = new TextEncoder().encode("transaction bytes")
    const tx = await kp.signTransaction(txBytes)
    expect((await verifyTransactionSignature(txBytes, tx.signature)).toSuiAddress()).toBe(kp.toSuiAddress())
    const msg = await kp.signPersonalMessage(new TextEncoder().encode("hello"))
    expect((await verifyPersonalMessageSignature(new TextEncoder().encode("hello"), msg.signature)).toSuiAddress()).toBe(kp.toSuiAddress())
  })

  it("refuses a seed that is not 32 bytes", () => {
    expect(() => NodeEd25519Keypair.fromSeed(new Uint8Array(31))).toThrow(/32 bytes, got 31/)
  })

  it("is what parsePrivateKey gives for Ed25519 keys in every form, and only for them", () => {
    const sdk = Ed25519Keypair.generate()
    const bech32 = sdk.getSecretKey()
    const seed = Buffer.from(decodeSuiPrivateKey(bech32).secretKey)
    for (const form of [bech32, seed.toString("hex"), `0x${seed.toString("hex")}`, seed.toString("base64"), Buffer.concat([Buffer.of(0), seed]).toString("base64")]) {
      const kp = parsePrivateKey(form)
      expect(kp).toBeInstanceOf(NodeEd25519Keypair)
      expect(kp.toSuiAddress()).toBe(sdk.toSuiAddress())
    }
    expect(parsePrivateKey(Buffer.concat([Buffer.of(1), seed]).toString("base64"))).not.toBeInstanceOf(NodeEd25519Keypair)
  })
})
