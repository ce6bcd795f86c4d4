/**
 * VerifySignature and NameService through the SDK's core client, answered as a full node answers
 * them on a chain that is neither mainnet nor testnet (MystenLabs/sui
 * crates/sui-rpc-api/src/grpc/v2/signature_verification_service.rs and name_service.rs).
 */
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Secp256k1Keypair } from "@mysten/sui/keypairs/secp256k1"
import { Secp256r1Keypair } from "@mysten/sui/keypairs/secp256r1"
import { Transaction } from "@mysten/sui/transactions"
import { toBase64 } from "@mysten/sui/utils"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeSuiClient } from "../../src/localnet/client.js"
import { startLocalnet, type LocalnetHandle } from "../../src/localnet/index.js"

let net: LocalnetHandle
let client: SuiGrpcClient

beforeAll(async () => {
  net = await startLocalnet({ port: 0 })
  client = makeSuiClient(net.manifest.grpcUrl)
})

afterAll(async () => {
  await net?.close()
})

describe("VerifySignature", () => {
  it.each([
    ["Ed25519", () => new Ed25519Keypair()],
    ["Secp256k1", () => new Secp256k1Keypair()],
    ["Secp256r1", () => new Secp256r1Keypair()]
  ] as const)("verifies a %s personal message, refusing another address and other bytes", async (_scheme, make) => {
    const key = make()
    const message = new TextEncoder().encode("silvana localnet")
    const { signature } = await key.signPersonalMessage(message)
    const verify = (bytes: Uint8Array, address = key.toSuiAddress()) =>
      client.core.verifyZkLoginSignature({ bytes: toBase64(bytes), signature, intentScope: "PersonalMessage", address })
    expect(await verify(message, key.toSuiAddress())).toEqual({ success: true, errors: [] })
    const other = new Ed25519Keypair().toSuiAddress()
    const wrongAddress = await verify(message, other)
    expect(wrongAddress.success).toBe(false)
    expect(wrongAddress.errors[0]).toBe(`provided address \`${other}\` does not match derived address \`${key.toSuiAddress()}\``)
    const tampered = await verify(new TextEncoder().encode("silvana localnet!"))
    expect(tampered.success).toBe(false)
    expect(tampered.errors).toHaveLength(1)
  })

  it("verifies a transaction signature", async () => {
    const key = new Secp256k1Keypair()
    const tx = new Transaction()
    tx.setSender(key.toSuiAddress())
    tx.setGasPrice(1_000n)
    tx.setGasBudget(10_000_000n)
    tx.setGasPayment([])
    tx.transferObjects([tx.splitCoins(tx.gas, [tx.pure.u64(1)])[0]!], tx.pure.address(key.toSuiAddress()))
    const bytes = await tx.build({ client })
    const { signature } = await key.signTransaction(bytes)
    const r = await client.core.verifyZkLoginSignature({ bytes: toBase64(bytes), signature, intentScope: "TransactionData", address: key.toSuiAddress() })
    expect(r).toEqual({ success: true, errors: [] })
    // the same signature over a personal message of those bytes is another digest
    const asPersonal = await client.core.verifyZkLoginSignature({ bytes: toBase64(bytes), signature, intentScope: "PersonalMessage", address: key.toSuiAddress() })
    expect(asPersonal.success).toBe(false)
  })
})

describe("NameService", () => {
  it("answers UNIMPLEMENTED: SuiNS is configured for mainnet and testnet only", async () => {
    const err = await client.core.resolveNameServiceAddress({ name: "example.sui" }).then(
      () => undefined,
      (e: Error & { code?: unknown }) => e
    )
    expect(String(err?.code)).toBe("UNIMPLEMENTED")
    expect(err?.message).toContain("SuiNS not configured for this network")
    await expect(client.core.defaultNameServiceName({ address: new Ed25519Keypair().toSuiAddress() })).rejects.toThrow(/SuiNS not configured/)
  })
})
