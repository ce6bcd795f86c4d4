/**
 * Hashing and signature checks with Sui's rules: Blake2b-256 digests in base58, transaction
 * digests over `"TransactionData::" ‖ bcs`, user signatures over the intent message
 * `blake2b256([0,0,0] ‖ bcs)`, Ed25519 serialized signatures `0x00 ‖ sig(64) ‖ pubkey(32)` and
 * addresses `blake2b256(0x00 ‖ pubkey)`.
 *
 * Ed25519 verification uses Node's native crypto (an order of magnitude faster than a JS
 * implementation), which matters for the localnet's throughput goal.
 */
import { blake2b256 } from "../../domain/blake2b.js"
import { createHash, verify as nodeVerify } from "node:crypto"
import { ed25519KeyCache, type Ed25519Key } from "../../domain/ed25519Keys.js"
import { bcs } from "@mysten/sui/bcs"
import { toBase58, toBase64 } from "@mysten/sui/utils"
import { verifyTransactionSignature } from "@mysten/sui/verify"

export { blake2b256 } from "../../domain/blake2b.js"

const utf8 = new TextEncoder()
const TX_PREFIX = utf8.encode("TransactionData::")
const EFFECTS_PREFIX = utf8.encode("TransactionEffects::")
const EVENTS_PREFIX = utf8.encode("TransactionEvents::")
const CHECKPOINT_PREFIX = utf8.encode("CheckpointSummary::")
const OBJECT_PREFIX = utf8.encode("Object::")

export const transactionDigest = (txBytes: Uint8Array): string => toBase58(blake2b256(TX_PREFIX, txBytes))
export const effectsDigest = (material: Uint8Array): string => toBase58(blake2b256(EFFECTS_PREFIX, material))
export const eventsDigest = (material: Uint8Array): string => toBase58(blake2b256(EVENTS_PREFIX, material))
export const checkpointDigest = (material: Uint8Array): string => toBase58(blake2b256(CHECKPOINT_PREFIX, material))

export const hexToBytes = (hex: string): Uint8Array => Buffer.from(hex.startsWith("0x") ? hex.slice(2) : hex, "hex")
export const bytesToHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")

const u64le = (v: bigint): Uint8Array => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(v)
  return b
}

/**
 * Object digest. Real nodes hash the full BCS object; here it is a hash of (id, version,
 * producing transaction), which is just as unique per object version and keeps writes O(1) for
 * the ever-growing AppInstance. Clients only echo digests back, so nothing observable changes;
 * Node's native SHA-256 is used because these are computed several times per transaction.
 */
export const objectDigest = (objectId: string, version: bigint, previousTransaction: string): string =>
  toBase58(createHash("sha256").update(OBJECT_PREFIX).update(hexToBytes(objectId)).update(u64le(version)).update(previousTransaction).digest())

/**
 * Fresh object id, unique per (transaction digest, creation index) like Sui's derivation (which
 * uses Blake2b with a 0xf1 prefix; no client recomputes created ids, so native SHA-256 is used).
 */
export const deriveObjectId = (txDigestBytes: Uint8Array, index: bigint): string =>
  "0x" + createHash("sha256").update(Uint8Array.of(0xf1)).update(txDigestBytes).update(u64le(index)).digest("hex")

/** Per public key: its `KeyObject` and its Sui address (both cost more than a map lookup). */
const publicKeyOf = ed25519KeyCache(10_000)

export { ed25519Address } from "../../domain/ed25519Keys.js"

/** The parts of a serialized Ed25519 signature, or why it cannot be one. */
const ed25519Parts = (signature: Uint8Array): { sig: Uint8Array; pubkey: Uint8Array } | { error: string } => {
  if (signature.length === 0) return { error: "empty signature" }
  if (signature[0] !== 0x00) return { error: `signature scheme flag ${signature[0]} needs the asynchronous verifier` }
  if (signature.length !== 97) return { error: `Ed25519 signature must be 97 bytes, got ${signature.length}` }
  return { sig: signature.subarray(1, 65), pubkey: signature.subarray(65, 97) }
}

const intentMessage = (txBytes: Uint8Array): Uint8Array => blake2b256(Uint8Array.of(0, 0, 0), txBytes)

/**
 * Verifies a serialized user signature over transaction bytes; returns the signer's address,
 * or a reason string when it does not verify.
 */
export const verifyUserSignature = (txBytes: Uint8Array, signature: Uint8Array): { address: string } | { error: string } => {
  const parts = ed25519Parts(signature)
  if ("error" in parts) return parts
  let ok = false
  let signer: Ed25519Key | undefined
  try {
    signer = publicKeyOf(parts.pubkey)
    ok = nodeVerify(null, intentMessage(txBytes), signer.key, parts.sig)
  } catch {
    ok = false
  }
  return ok && signer !== undefined ? { address: signer.address } : { error: "signature does not verify" }
}

/**
 * `verifyUserSignature` with the Ed25519 check itself run on libuv's thread pool (Node's
 * callback form of `crypto.verify`), so the node's thread goes on with other transactions
 * meanwhile, as a validator verifies in parallel.
 */
const verifyEd25519OffThread = (txBytes: Uint8Array, signature: Uint8Array): Promise<{ address: string } | { error: string }> => {
  const parts = ed25519Parts(signature)
  if ("error" in parts) return Promise.resolve(parts)
  let signer: Ed25519Key
  try {
    signer = publicKeyOf(parts.pubkey)
  } catch {
    return Promise.resolve({ error: "signature does not verify" })
  }
  return new Promise((resolve) => {
    try {
      nodeVerify(null, intentMessage(txBytes), signer.key, parts.sig, (err, ok) =>
        resolve(err === null && ok ? { address: signer.address } : { error: "signature does not verify" })
      )
    } catch {
      resolve({ error: "signature does not verify" })
    }
  })
}

/** Signature scheme flags the localnet verifies: Ed25519, Secp256k1, Secp256r1. */
const SECP_FLAGS = new Set([0x01, 0x02])

/** Whether a serialized signature can be checked by the synchronous (Ed25519) verifier. */
const isEd25519Signature = (signature: Uint8Array): boolean => signature[0] === 0x00

/**
 * Verifies any supported user signature: Ed25519 natively, Secp256k1 and Secp256r1 (flag ‖
 * 64-byte signature ‖ 33-byte compressed key) with @mysten/sui's own verifier, which hashes the
 * intent message the way Sui does (SHA-256 of the Blake2b digest for the secp curves).
 */
export const verifyUserSignatureAsync = async (txBytes: Uint8Array, signature: Uint8Array): Promise<{ address: string } | { error: string }> => {
  if (signature.length === 0) return { error: "empty signature" }
  if (isEd25519Signature(signature)) return verifyEd25519OffThread(txBytes, signature)
  if (!SECP_FLAGS.has(signature[0]!)) return { error: `unsupported signature scheme flag ${signature[0]}` }
  try {
    const publicKey = await verifyTransactionSignature(txBytes, toBase64(signature))
    return { address: publicKey.toSuiAddress() }
  } catch (e) {
    return { error: (e as Error).message }
  }
}

const typeTagCache = new Map<string, Uint8Array>()

/**
 * Sui's dynamic field id: `blake2b256(0xf0 ‖ parent ‖ len(key) as u64 ‖ key ‖ bcs(TypeTag))`,
 * the same rule as `deriveDynamicFieldID` in `@mysten/sui/utils`, with the type tag bytes cached
 * (serialising the tag from its string dominated create_app_job's cost).
 */
export const deriveFieldId = (parentId: string, keyType: string, key: Uint8Array): string => {
  let tag = typeTagCache.get(keyType)
  if (!tag) {
    tag = bcs.TypeTag.serialize(keyType).toBytes()
    typeTagCache.set(keyType, tag)
  }
  return "0x" + bytesToHex(blake2b256(Uint8Array.of(0xf0), hexToBytes(parentId), u64le(BigInt(key.length)), key, tag))
}
