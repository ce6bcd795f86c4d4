/**
 * The store's rollback copy (`cloneMoveValue`) gives what `structuredClone` gives for values in
 * the JS shape of Move values, and shares nothing with the original: a write to the copy after
 * the checkpoint never reaches the saved state.
 */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { cloneMoveValue, PlainData } from "../../src/localnet/engine/store.js"

const { value } = fc.letrec<{ value: unknown; leaf: unknown; node: unknown }>((tie) => ({
  leaf: fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.bigInt(), fc.string(), fc.uint8Array({ maxLength: 8 })),
  node: fc.oneof(fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie("value"), { maxKeys: 4 })),
  value: fc.oneof({ depthSize: "small" }, tie("leaf"), tie("node"))
}))

/** Changes every array, object and byte array inside `v` in place. */
const scribble = (v: unknown): void => {
  if (v === null || typeof v !== "object") return
  if (v instanceof Uint8Array) v.fill(0xee)
  else if (Array.isArray(v)) {
    v.forEach(scribble)
    v.push("added")
  } else {
    for (const k of Object.keys(v)) scribble((v as Record<string, unknown>)[k])
    ;(v as Record<string, unknown>)["__added"] = 1
  }
}

describe("cloneMoveValue", () => {
  it("copies as structuredClone does, and shares nothing with the original", () => {
    fc.assert(
      fc.property(value, (v) => {
        const expected = structuredClone(v)
        const copy = cloneMoveValue(v)
        expect(copy).toEqual(expected)
        scribble(copy)
        expect(v).toEqual(expected)
      })
    )
  })

  it("keeps a field named __proto__ as a field", () => {
    const v = JSON.parse('{"__proto__": {"a": 1}, "b": [1]}') as Record<string, unknown>
    const copy = cloneMoveValue(v)
    expect(Object.keys(copy)).toEqual(["__proto__", "b"])
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(copy).toEqual(structuredClone(v))
  })

  it("hands other kinds of objects to structuredClone", () => {
    const v = { when: new Date(0), seen: new Map([["a", 1n]]) }
    const copy = cloneMoveValue(v)
    expect(copy).toEqual(v)
    expect(copy.seen).not.toBe(v.seen)
  })

  it("a rollback restores the value as it was at the checkpoint", () => {
    const data = new PlainData("bool", { id: "0x1", balance: 5n, bytes: Uint8Array.of(1, 2), list: [{ a: 1 }] })
    const rollback = data.checkpoint()
    data.v.balance = 7n
    data.v.bytes[0] = 9
    data.v.list[0]!.a = 2
    data.v.list.push({ a: 3 })
    rollback()
    expect(data.v).toEqual({ id: "0x1", balance: 5n, bytes: Uint8Array.of(1, 2), list: [{ a: 1 }] })
  })
})
