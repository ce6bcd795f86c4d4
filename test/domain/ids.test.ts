/** The normalising id schemas: every way an id is written decodes to one form; anything else fails. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { AppInstanceIdFromString, SuiAddressFromString } from "../../src/domain/ids.js"

const hex64 = "00ab".repeat(16)

describe("AppInstanceIdFromString", () => {
  it.effect("decodes 0x / bare, any case, short forms to 64 lower-case hex without 0x", () =>
    Effect.gen(function* () {
      const decode = Schema.decode(AppInstanceIdFromString)
      for (const written of [hex64, `0x${hex64}`, `0X${hex64.toUpperCase()}`, `0x${hex64.replace(/^0+/, "")}`]) {
        expect(yield* decode(written)).toBe(hex64)
      }
    })
  )

  it("refuses what is not 1 to 64 hex digits", () => {
    for (const bad of ["", "0x", "xyz", `0x${"1".repeat(65)}`, ` ${hex64}`]) {
      expect(Either.isLeft(Schema.decodeEither(AppInstanceIdFromString)(bad))).toBe(true)
    }
  })
})

describe("SuiAddressFromString", () => {
  it.effect("decodes 0x + 1 to 64 hex digits, any case, to 0x + 64 lower-case hex", () =>
    Effect.gen(function* () {
      const decode = Schema.decode(SuiAddressFromString)
      expect(yield* decode("0x2")).toBe(`0x${"0".repeat(63)}2`)
      expect(yield* decode(`0X${hex64.toUpperCase()}`)).toBe(`0x${hex64}`)
    })
  )

  it("refuses a bare id (the 0x is required) and non-hex", () => {
    for (const bad of [hex64, "0x", "0xg1", `0x${"1".repeat(65)}`]) {
      expect(Either.isLeft(Schema.decodeEither(SuiAddressFromString)(bad))).toBe(true)
    }
  })
})
