/**
 * Proof of possession on the agent API: what an agent signs with its `SESSION_PRIVATE_KEY` and
 * what the coordinator checks (docs/security.md, "Signed calls"). Both ends use this module, so
 * the signed bytes cannot drift apart.
 *
 * Three gRPC metadata entries go with a signed call:
 * - `silvana-signature`: base64 of the Sui serialized signature, `0x00` (Ed25519) ‖ 64-byte
 *   signature ‖ 32-byte public key. The public key's Sui address must be the request's `session_id`.
 * - `silvana-timestamp`: milliseconds since the epoch, decimal.
 * - `silvana-nonce`: 16 random bytes in hex, so that two identical calls in the same millisecond
 *   stay distinct (an exact repeat of a signed call is a replay).
 *
 * The signed bytes are the UTF-8 text
 * `silvana-agent-call/v1\n<method path>\n<timestamp>\n<nonce>\n<hex SHA-256 of the request message bytes>`,
 * the method path being gRPC's (`/silvana.coordinator.v1.CoordinatorService/GetJob`).
 *
 * The same proof, cheaper: `silvana-mac` instead of `silvana-signature` carries base64 of
 * HMAC-SHA256 over the same bytes, keyed with the session's call key = HMAC-SHA256 keyed with the
 * 32-byte session seed over `silvana-agent-call-mac/v1`. Only the session's agent and the
 * coordinator that made the key know it, so it proves possession of the key to that coordinator,
 * the only one that checks it; it costs a few microseconds where an Ed25519 verification cost 50.
 * A coordinator that offers it says so in the agent's environment (`SESSION_CALL_PROOF=hmac`).
 */
import * as crypto from "node:crypto"
import { ED25519_PKCS8_PREFIX, ED25519_SPKI_PREFIX, ed25519Address, ed25519KeyCache } from "./ed25519Keys.js"

export const SIGNATURE_HEADER = "silvana-signature"
export const MAC_HEADER = "silvana-mac"
export const TIMESTAMP_HEADER = "silvana-timestamp"
export const NONCE_HEADER = "silvana-nonce"

/** How an agent proves its calls: an Ed25519 signature (anyone holding the public key can check) or an HMAC under the session's call key. */
export type CallProof = "ed25519" | "hmac"

const DOMAIN = "silvana-agent-call/v1"
const ED25519_FLAG = 0x00

/** The metadata entries of one signed call. */
export type CallSignatureHeaders = {
  readonly [SIGNATURE_HEADER]: string
  readonly [TIMESTAMP_HEADER]: string
  readonly [NONCE_HEADER]: string
}

/** The HMAC-SHA256 key of a session's `silvana-mac` proofs, from its 32-byte Ed25519 seed. */
export const callMacKey = (seed: Uint8Array): Buffer => crypto.createHmac("sha256", seed).update(MAC_KEY_LABEL).digest()
const MAC_KEY_LABEL = "silvana-agent-call-mac/v1"
const MAC_BYTES = 32

/** Nonces are cut from a pool of random bytes refilled 256 nonces at a time: one random read per 256 calls, not per call. */
const noncePool = Buffer.alloc(16 * 256)
let nonceAt = noncePool.length

/** A fresh nonce: 16 random bytes in hex. */
export const freshNonce = (): string => {
  if (nonceAt === noncePool.length) {
    crypto.randomFillSync(noncePool)
    nonceAt = 0
  }
  nonceAt += 16
  return noncePool.toString("hex", nonceAt - 16, nonceAt)
}

/** The bytes a call's signature covers. */
export const signedBytes = (path: string, timestampMs: number, nonce: string, request: Uint8Array): Buffer =>
  Buffer.from(`${DOMAIN}\n${path}\n${timestampMs}\n${nonce}\n${crypto.createHash("sha256").update(request).digest("hex")}`, "utf8")

/** The metadata entries of one call proved with the session's call key. */
export type CallMacHeaders = {
  readonly [MAC_HEADER]: string
  readonly [TIMESTAMP_HEADER]: string
  readonly [NONCE_HEADER]: string
}

/** A signer for one session key (the 32-byte Ed25519 seed), with its public key; `H`: the entries it gives. */
export interface CallSigner<H extends CallSignatureHeaders | CallMacHeaders = CallSignatureHeaders | CallMacHeaders> {
  readonly publicKey: Uint8Array
  readonly address: string
  readonly proof: CallProof
  readonly sign: (path: string, request: Uint8Array, timestampMs: number, nonce?: string) => H
}

/** A signer whose calls carry `silvana-mac` (HMAC under the session's call key) instead of a signature. */
export const callMacSigner = (seed: Uint8Array): CallSigner<CallMacHeaders> => {
  const { publicKey, address } = callSigner(seed)
  const key = callMacKey(seed)
  return {
    publicKey,
    address,
    proof: "hmac",
    sign: (path, request, timestampMs, nonce = freshNonce()) => ({
      [MAC_HEADER]: crypto.createHmac("sha256", key).update(signedBytes(path, timestampMs, nonce, request)).digest("base64"),
      [TIMESTAMP_HEADER]: String(timestampMs),
      [NONCE_HEADER]: nonce
    })
  }
}

export const callSigner = (seed: Uint8Array): CallSigner<CallSignatureHeaders> => {
  if (seed.length !== 32) throw new Error(`an Ed25519 session key has 32 bytes, got ${seed.length}`)
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" })
  const publicKey = new Uint8Array(crypto.createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(ED25519_SPKI_PREFIX.length))
  const serializedTail = Buffer.from(publicKey)
  return {
    publicKey,
    address: ed25519Address(publicKey),
    proof: "ed25519",
    sign: (path, request, timestampMs, nonce = freshNonce()) => {
      const signature = crypto.sign(null, signedBytes(path, timestampMs, nonce, request), privateKey)
      return {
        [SIGNATURE_HEADER]: Buffer.concat([Buffer.of(ED25519_FLAG), signature, serializedTail]).toString("base64"),
        [TIMESTAMP_HEADER]: String(timestampMs),
        [NONCE_HEADER]: nonce
      }
    }
  }
}

/** What a call's metadata says about its signature, before any clock or replay check. */
export type SignatureCheck =
  | { readonly _tag: "Unsigned" }
  | { readonly _tag: "Invalid"; readonly reason: string }
  /** `signature`: the proof in canonical base64, what a replay is recognised by. */
  | { readonly _tag: "Valid"; readonly timestampMs: number; readonly signature: string }

/**
 * The address and key object of each public key seen lately: sessions are few and sign every call,
 * and deriving both per call cost as much as the signature check itself.
 */
const keyOf = ed25519KeyCache(1024)

const NONCE = /^[0-9a-f]{16,64}$/
const TIMESTAMP = /^\d{1,16}$/

/**
 * Checks a call's proof against its session id and request bytes: its signature, or its
 * `silvana-mac` under the session's call key (`macKeyOf`: the key of a session this coordinator
 * made, `undefined` for any other). `Unsigned` when the call carries none of the entries;
 * `Invalid` (with the reason) when any is missing or malformed, the key is not the session's, or
 * the proof does not match the call.
 */
export const checkCallSignature = (
  get: (header: string) => string | undefined,
  path: string,
  sessionId: string,
  request: Uint8Array,
  macKeyOf: (sessionId: string) => Uint8Array | undefined = () => undefined
): SignatureCheck => {
  const signature = get(SIGNATURE_HEADER)
  const mac = get(MAC_HEADER)
  const timestamp = get(TIMESTAMP_HEADER)
  const nonce = get(NONCE_HEADER)
  if (signature === undefined && mac === undefined && timestamp === undefined && nonce === undefined) return { _tag: "Unsigned" }
  if (signature !== undefined && mac !== undefined) return { _tag: "Invalid", reason: `a call carries ${SIGNATURE_HEADER} or ${MAC_HEADER}, not both` }
  const proof = mac === undefined ? SIGNATURE_HEADER : MAC_HEADER
  if ((signature ?? mac) === undefined || timestamp === undefined || nonce === undefined) {
    return { _tag: "Invalid", reason: `a signed call needs ${proof}, ${TIMESTAMP_HEADER} and ${NONCE_HEADER}` }
  }
  if (!TIMESTAMP.test(timestamp)) return { _tag: "Invalid", reason: `${TIMESTAMP_HEADER} is not a time in milliseconds` }
  if (!NONCE.test(nonce)) return { _tag: "Invalid", reason: `${NONCE_HEADER} is not 8 to 32 bytes in lowercase hex` }
  const timestampMs = Number(timestamp)
  if (mac !== undefined) {
    const given = Buffer.from(mac, "base64")
    if (given.length !== MAC_BYTES) return { _tag: "Invalid", reason: `${MAC_HEADER} is not an HMAC-SHA256 (32 bytes, base64)` }
    const key = macKeyOf(sessionId.toLowerCase())
    if (key === undefined) return { _tag: "Invalid", reason: `${MAC_HEADER} is checked only for the sessions of this coordinator; sign the call with ${SIGNATURE_HEADER}` }
    const expected = crypto.createHmac("sha256", key).update(signedBytes(path, timestampMs, nonce, request)).digest()
    if (!crypto.timingSafeEqual(given, expected)) return { _tag: "Invalid", reason: "the MAC does not match the call (method, request or time) under the session's key" }
    // the replay memory keys on the canonical encoding: base64 decoding is lenient (padding, stray characters)
    return { _tag: "Valid", timestampMs, signature: given.toString("base64") }
  }
  const bytes = Buffer.from(signature!, "base64")
  if (bytes.length !== 97 || bytes[0] !== ED25519_FLAG) {
    return { _tag: "Invalid", reason: `${SIGNATURE_HEADER} is not an Ed25519 signature with its public key (97 bytes, base64)` }
  }
  const { address, key } = keyOf(bytes.subarray(65))
  if (address !== sessionId.toLowerCase()) {
    return { _tag: "Invalid", reason: "the call is signed by a key that is not the session's" }
  }
  if (!crypto.verify(null, signedBytes(path, timestampMs, nonce, request), key, bytes.subarray(1, 65))) {
    return { _tag: "Invalid", reason: "the signature does not match the call (method, request or time)" }
  }
  return { _tag: "Valid", timestampMs, signature: bytes.toString("base64") }
}
