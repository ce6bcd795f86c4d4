/**
 * The WebAssembly BLAKE2b-256 gives the bytes of the JavaScript one for any split of any input,
 * and a digest is not changed by the hashes made after it (the hasher is reused).
 */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { blake2b } from "@noble/hashes/blake2.js"
import { blake2b256, blake2bReady } from "../../src/domain/blake2b.js"

const reference = (parts: ReadonlyArray<Uint8Array>) => {
  const h = blake2b.create({ dkLen: 32 })
  for (const p of parts) h.update(p)
  return h.digest()
}

describe("blake2b256", () => {
  it("hashes as @noble/hashes does once the WebAssembly hasher is loaded", async () => {
    await blake2bReady
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 4 }), (parts) => {
        expect(Buffer.from(blake2b256(...parts)).toString("hex")).toBe(Buffer.from(reference(parts)).toString("hex"))
      })
    )
    // the standard BLAKE2b-256 of the empty input
    expect(Buffer.from(blake2b256()).toString("hex")).toBe("0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
  })

  it("a digest stays as it was after later hashes", async () => {
    await blake2bReady
    const first = blake2b256(new TextEncoder().encode("first"))
    const copy = Uint8Array.from(first)
    for (let i = 0; i < 10; i++) blake2b256(new Uint8Array(100).fill(i))
    expect(first).toEqual(copy)
  })
})
