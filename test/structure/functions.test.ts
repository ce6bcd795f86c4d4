/**
 * Functions stay small: none in `src/` (the generated code aside) runs over 120 lines. The ones
 * that still do are listed below with their present length as a ceiling: they may shrink, never
 * grow, and an entry that is no longer too long must leave the list — so the list only gets shorter.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { allFunctionSizes, functionSizes } from "./functionSizes.js"

const MAX_LINES = 120
const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src")

/** Known offenders, to be split (issue #11), with their length today as the most they may have. */
const stillTooLong: Readonly<Record<string, number>> = {
}

describe("function sizes in src", () => {
  const sizes = allFunctionSizes(src)

  it("measures functions (sanity: a known small one and a known generator are seen)", () => {
    const keys = new Map(sizes.map((s) => [s.key, s.lines]))
    expect(keys.get("src/domain/ids.ts:tripleKey")).toBe(2)
    expect(keys.has("src/programs/coordinator.ts:coordinatorProgram")).toBe(true)
    expect(sizes.length).toBeGreaterThan(500)
    expect(sizes.some((s) => s.key.startsWith("src/gen/"))).toBe(false)
  })

  it(`has no new function over ${MAX_LINES} lines, and no listed one grew`, () => {
    const offenders = sizes.filter((s) => s.lines > MAX_LINES && !(s.lines <= (stillTooLong[s.key] ?? 0)))
    expect(offenders).toEqual([])
  })

  it("lists only functions that are still too long (shrink the list as they are split)", () => {
    const long = new Set(sizes.filter((s) => s.lines > MAX_LINES).map((s) => s.key))
    expect(Object.keys(stillTooLong).filter((key) => !long.has(key))).toEqual([])
  })

  it("the measure itself can fail: a long function in this test's own helper file is measured", () => {
    const own = functionSizes(src, path.join(path.dirname(src), "test", "structure", "functionSizes.ts"))
    expect(own.find((s) => s.key.endsWith(":functionSizes"))?.lines).toBeGreaterThan(10)
  })
})
