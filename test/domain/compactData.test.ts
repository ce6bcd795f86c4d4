import { describe, expect, it } from "@effect/vitest"
import { ByteSlab } from "../../src/domain/byteSlab.js"
import { base56, makeJobIdGenerator } from "../../src/domain/jobId.js"

/** base56 as first written (BigInt digits prepended one by one), the reference for the joined form. */
const BASE56 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"
const reference = (bytes: Uint8Array): string => {
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  let out = ""
  while (n > 0n) {
    out = BASE56[Number(n % 56n)] + out
    n /= 56n
  }
  return out === "" ? BASE56[0]! : out
}

describe("ByteSlab", () => {
  it("copies bytes out of the buffer they came from", () => {
    const slab = new ByteSlab()
    const message = new Uint8Array(10_000).map((_, i) => i % 251)
    const view = message.subarray(100, 130)
    const copy = slab.copy(view)
    expect([...copy]).toEqual([...view])
    expect(copy.buffer).not.toBe(message.buffer)
    message.fill(0)
    expect(copy[0]).toBe(100 % 251)
  })

  it("packs small copies into one shared buffer, each its own range", () => {
    const slab = new ByteSlab()
    const copies = Array.from({ length: 100 }, (_, i) => slab.copy(Uint8Array.of(i, i + 1, i + 2)))
    expect(new Set(copies.map((c) => c.buffer)).size).toBe(1)
    copies.forEach((c, i) => expect([...c]).toEqual([i, i + 1, i + 2]))
  })

  it("starts a new slab when one is full, and gives large or empty data no shared space", () => {
    const slab = new ByteSlab()
    const first = slab.copy(new Uint8Array(4096).fill(1))
    const copies = Array.from({ length: 20 }, () => slab.copy(new Uint8Array(4096).fill(2)))
    expect(new Set([first, ...copies].map((c) => c.buffer)).size).toBe(2)
    expect(first.every((b) => b === 1)).toBe(true)
    const big = slab.copy(new Uint8Array(100_000).fill(3))
    expect(big.buffer.byteLength).toBe(100_000)
    expect(slab.copy(new Uint8Array(0)).length).toBe(0)
  })
})

describe("job ids", () => {
  it("base56 gives the digits of the reference form, leading zero bytes included", () => {
    const inputs = [[], [0], [0, 0, 1], [55], [56], [255, 255], [0, 200, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]]
    for (const bytes of inputs) expect(base56(Uint8Array.from(bytes))).toBe(reference(Uint8Array.from(bytes)))
    for (let i = 1; i <= 64; i++) {
      const bytes = Uint8Array.from({ length: i }, (_, k) => (k * 97 + i * 31) % 256)
      expect(base56(bytes)).toBe(reference(bytes))
    }
  })

  it("ids are distinct even for the same job asked twice", () => {
    const next = makeJobIdGenerator()
    const input = { coordinatorId: "c", chain: "localnet", developer: "d", agent: "a", agentMethod: "m", appInstance: "0x1", jobSequence: 7n }
    const ids = new Set(Array.from({ length: 1000 }, () => next(input, 5)))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^sn[2-9A-HJ-NP-Za-km-z]+$/)
  })
})
