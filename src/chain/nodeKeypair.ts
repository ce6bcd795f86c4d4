/**
 * The coordinator's Ed25519 key, signing through Node's own Ed25519 (OpenSSL) instead of the SDK's
 * JavaScript curve code: the same signatures (Ed25519 is deterministic, RFC 8032), at a small
 * fraction of the CPU. Every settlement transaction is signed, so under load this was the largest
 * item of the daemon's transaction building. Everything else (public key, address, the Bech32
 * secret, intent signing) is the SDK's `Ed25519Keypair`.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, type KeyObject } from "node:crypto"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { ED25519_PKCS8_PREFIX, ED25519_SPKI_PREFIX } from "../domain/ed25519Keys.js"

export class NodeEd25519Keypair extends Ed25519Keypair {
  readonly #key: KeyObject

  private constructor(seed: Uint8Array, key: KeyObject, publicKey: Uint8Array) {
    super({ publicKey, secretKey: seed })
    this.#key = key
  }

  /** The keypair of a 32-byte Ed25519 seed (the Sui secret key). */
  static fromSeed(seed: Uint8Array): NodeEd25519Keypair {
    if (seed.length !== 32) throw new Error(`an Ed25519 secret key has 32 bytes, got ${seed.length}`)
    const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" })
    const spki = createPublicKey(key).export({ format: "der", type: "spki" })
    return new NodeEd25519Keypair(Uint8Array.from(seed), key, new Uint8Array(spki.subarray(ED25519_SPKI_PREFIX.length)))
  }

  override async sign(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(nodeSign(null, data, this.#key))
  }
}
