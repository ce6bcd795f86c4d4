/**
 * Ed25519 public keys as Sui uses them: a key's address (BLAKE2b-256 of the scheme flag 0x00 and
 * the key) and its Node `KeyObject`, both remembered per key by a bounded cache. Deriving them
 * costs about as much as checking a signature, and the same few keys sign again and again (a
 * session's calls, a coordinator's transactions).
 */
import { createPublicKey, type KeyObject } from "node:crypto"
import { blake2b256 } from "./blake2b.js"

/** DER prefix of an Ed25519 SPKI public key (before its 32 bytes). */
export const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex")

/** DER prefix of an Ed25519 PKCS#8 private key (before its 32-byte seed). */
export const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex")

/** The Sui address of an Ed25519 public key. */
export const ed25519Address = (publicKey: Uint8Array): string => `0x${Buffer.from(blake2b256(Uint8Array.of(0), publicKey)).toString("hex")}`

export interface Ed25519Key {
  readonly address: string
  readonly key: KeyObject
}

/** A lookup of keys' addresses and key objects that keeps the last `max` keys (the oldest goes first). */
export const ed25519KeyCache = (max: number): ((publicKey: Uint8Array) => Ed25519Key) => {
  const known = new Map<string, Ed25519Key>()
  return (publicKey) => {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("hex")
    let entry = known.get(id)
    if (entry === undefined) {
      entry = { address: ed25519Address(publicKey), key: createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: "der", type: "spki" }) }
      if (known.size >= max) known.delete(known.keys().next().value!)
      known.set(id, entry)
    }
    return entry
  }
}
