/**
 * BLAKE2b-256, the hash behind Sui's digests, addresses and intent messages: hash-wasm's
 * WebAssembly BLAKE2b (about ten times faster than the JavaScript one for the few hundred bytes of
 * a transaction) once it has loaded, and @noble/hashes until then. Both give the same bytes; the
 * WebAssembly hasher is made asynchronously at import and reused (each call is synchronous, so
 * calls never interleave on it).
 */
import { blake2b as nobleBlake2b } from "@noble/hashes/blake2.js"
import { createBLAKE2b, type IHasher } from "hash-wasm"

let wasm: IHasher | undefined
/** Resolves once the WebAssembly hasher is in use (or failed to load: the JavaScript one stays). */
export const blake2bReady: Promise<void> = createBLAKE2b(256).then(
  (h) => {
    wasm = h
  },
  () => undefined
)

/** BLAKE2b with a 32-byte digest over the concatenation of `parts`. */
export const blake2b256 = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  if (wasm !== undefined) {
    wasm.init()
    for (const p of parts) wasm.update(p)
    return wasm.digest("binary")
  }
  const h = nobleBlake2b.create({ dkLen: 32 })
  for (const p of parts) h.update(p)
  return h.digest()
}
