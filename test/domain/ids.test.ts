/** The normalising id schemas: every way an id is written decodes to one form; anything else fails. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, Schema } from "effect"
import { AppInstanceIdFromString, isJobId, isSessionId, JobId, SessionId, SuiAddressFromString } from "../../src/domain/ids.js"

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

describe("isSessionId / isJobId", () => {
  // The agent API checks ids with these guards on every call; the schemas stay the definition.
  const agree = <S extends Schema.Schema.AnyNoContext>(schema: S, guard: (s: string) => boolean, samples: ReadonlyArray<string>) => {
    const is = Schema.is(schema)
    for (const s of samples) expect([s, guard(s)]).toEqual([s, is(s)])
  }

  it("accept exactly what SessionId and JobId accept, on written samples", () => {
    const sid = `0x${"0123456789abcdef".repeat(4)}`
    agree(SessionId, isSessionId, [sid, sid.toUpperCase(), sid.slice(2), `${sid}0`, sid.slice(0, -1), ` ${sid}`, `${sid}\n`, "", "0x"])
    agree(JobId, isJobId, ["sn2", "snABCxyz9", "sn", "sn0", "snO", "snl", "snI", "Sn2", " sn2", "sn2\n", "sn2 3", ""])
  })

  it.prop("accept exactly what the schemas accept, on random strings", [fc.string({ unit: fc.constantFrom(..."0x123456789abcdefsnABHJNPZklmnoIlO \n".split("")), maxLength: 70 })], ([s]) => {
    expect(isSessionId(s)).toBe(Schema.is(SessionId)(s))
    expect(isJobId(s)).toBe(Schema.is(JobId)(s))
  })

  it.prop("accept every well-formed id", [fc.stringMatching(/^0x[0-9a-f]{64}$/), fc.stringMatching(/^sn[2-9A-HJ-NP-Za-km-np-z]{1,40}$/)], ([sid, jid]) => {
    expect(isSessionId(sid)).toBe(true)
    expect(isJobId(jid)).toBe(true)
  })
})
