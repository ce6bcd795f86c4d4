/**
 * Call nonces are cut from a pool of random bytes: each is 16 bytes in lowercase hex, and none
 * repeats, across pool refills too.
 */
import { describe, expect, it } from "@effect/vitest"
import { freshNonce } from "../../src/domain/callSignature.js"

describe("freshNonce", () => {
  it("gives 16 random bytes in hex, never the same twice across refills of its pool", () => {
    const seen = new Set<string>()
    for (let i = 0; i < 5_000; i++) {
      const n = freshNonce()
      expect(n).toMatch(/^[0-9a-f]{32}$/)
      seen.add(n)
    }
    expect(seen.size).toBe(5_000)
  })
})
