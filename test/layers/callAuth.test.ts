/**
 * Per-call signatures (SESSION_AUTH): the signed bytes, the key-to-session check, the clock window
 * and replay memory — against the TestClock, so no real time passes.
 */
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, TestClock } from "effect"
import { decodeSuiPrivateKey } from "@mysten/sui/cryptography"
import { callMacKey, callSigner, checkCallSignature, MAC_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../../src/domain/callSignature.js"
import { makeCallAuth } from "../../src/layers/AgentApi/callAuth.js"
import { sessionSigner } from "../../src/sdk/signing.js"

const PATH = "/silvana.coordinator.v1.CoordinatorService/CompleteJob"
const keypair = Ed25519Keypair.generate()
const signer = sessionSigner(keypair.getSecretKey())
const request = new Uint8Array([1, 2, 3, 4])
const headersOf = (h: Readonly<Record<string, string>>) => (name: string) => h[name]

describe("call signatures", () => {
  it("the signer's address is the session id (the Sui address of the session key)", () => {
    expect(signer.address).toBe(keypair.toSuiAddress())
  })

  it("verifies the signed method, request and time; anything changed does not", () => {
    const h = signer.sign(PATH, request, 1_000)
    expect(checkCallSignature(headersOf(h), PATH, signer.address, request)).toMatchObject({ _tag: "Valid", timestampMs: 1_000 })
    const invalid = (why: RegExp, get: (n: string) => string | undefined, path = PATH, body = request, session = signer.address) => {
      const r = checkCallSignature(get, path, session, body)
      expect(r._tag).toBe("Invalid")
      expect(r._tag === "Invalid" ? r.reason : "").toMatch(why)
    }
    invalid(/does not match/, headersOf(h), "/silvana.coordinator.v1.CoordinatorService/FailJob")
    invalid(/does not match/, headersOf(h), PATH, new Uint8Array([1, 2, 3, 5]))
    invalid(/does not match/, headersOf({ ...h, [TIMESTAMP_HEADER]: "1001" }))
    invalid(/does not match/, headersOf({ ...h, [NONCE_HEADER]: "00".repeat(16) }))
    invalid(/not the session's/, headersOf(h), PATH, request, Ed25519Keypair.generate().toSuiAddress())
    invalid(/needs silvana-signature, silvana-timestamp and silvana-nonce/, headersOf({ [SIGNATURE_HEADER]: h[SIGNATURE_HEADER] }))
    invalid(/not a time/, headersOf({ ...h, [TIMESTAMP_HEADER]: "-5" }))
    invalid(/97 bytes/, headersOf({ ...h, [SIGNATURE_HEADER]: "AAAA" }))
    expect(checkCallSignature(() => undefined, PATH, signer.address, request)).toEqual({ _tag: "Unsigned" })
    // a key of the right shape whose signature is flipped
    const sig = Buffer.from(h[SIGNATURE_HEADER], "base64")
    sig[5] = sig[5]! ^ 1
    invalid(/does not match/, headersOf({ ...h, [SIGNATURE_HEADER]: sig.toString("base64") }))
  })

  it("a key seen before answers as the first time: valid for its own session only, also after more keys than it remembers", () => {
    const first = signer.sign(PATH, request, 7)
    expect(checkCallSignature(headersOf(first), PATH, signer.address, request)._tag).toBe("Valid")
    // 1,100 other session keys pass through (the key memory holds 1,024)
    for (let i = 0; i < 1_100; i++) {
      const seed = new Uint8Array(32)
      new DataView(seed.buffer).setUint32(0, i + 1)
      const other = callSigner(seed)
      const h = other.sign(PATH, request, 7)
      expect(checkCallSignature(headersOf(h), PATH, other.address, request)._tag).toBe("Valid")
      if (i === 0) expect(checkCallSignature(headersOf(h), PATH, signer.address, request)).toMatchObject({ _tag: "Invalid", reason: expect.stringMatching(/not the session's/) })
    }
    expect(checkCallSignature(headersOf(signer.sign(PATH, request, 8)), PATH, signer.address, request)._tag).toBe("Valid")
    expect(checkCallSignature(headersOf(first), PATH, Ed25519Keypair.generate().toSuiAddress(), request)._tag).toBe("Invalid")
  })

  it("two identical calls in the same millisecond get different nonces, so neither is a replay", () => {
    const a = signer.sign(PATH, request, 5)
    const b = signer.sign(PATH, request, 5)
    expect(a[NONCE_HEADER]).not.toBe(b[NONCE_HEADER])
    expect(a[SIGNATURE_HEADER]).not.toBe(b[SIGNATURE_HEADER])
  })

  it("refuses keys that are not a session's", () => {
    expect(() => sessionSigner("suiprivkey1xyz")).toThrow(/^SESSION_PRIVATE_KEY: is not a Sui private key/)
    expect(() => callSigner(new Uint8Array(31))).toThrow(/32 bytes/)
  })
})

describe("SESSION_AUTH", () => {
  const call = (h: Readonly<Record<string, string>> | undefined) => ({ path: PATH, sessionId: signer.address, request, header: headersOf(h ?? {}) })
  const refusal = <E extends { message: string }>(e: Effect.Effect<void, E>) => Effect.map(Effect.either(e), (r) => (Either.isLeft(r) ? r.left.message : "accepted"))

  it.effect("bound: unsigned calls pass, signed ones are checked; strict: unsigned calls are refused", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_000_000)
      const bound = makeCallAuth({ mode: "bound" })
      const strict = makeCallAuth({ mode: "strict" })
      expect(yield* refusal(bound.check(call(undefined)))).toBe("accepted")
      expect(yield* refusal(strict.check(call(undefined)))).toMatch(/SESSION_AUTH=strict: every call must be signed/)
      expect(yield* refusal(bound.check(call({ ...signer.sign(PATH, request, 1_000_000), [TIMESTAMP_HEADER]: "1" })))).toMatch(/does not match/)
      expect(yield* refusal(strict.check(call(signer.sign(PATH, request, 1_000_000))))).toBe("accepted")
      // the refusal names the session by its prefix only
      const r = yield* refusal(strict.check(call(undefined)))
      expect(r).toContain(signer.address.slice(0, 10))
      expect(r).not.toContain(signer.address)
    }))

  it.effect("a signed call is accepted once; its exact replay is refused, inside the window and after it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(2_000_000)
      const auth = makeCallAuth({ mode: "strict", windowMs: 30_000 })
      const h = signer.sign(PATH, request, 2_000_000)
      expect(yield* refusal(auth.check(call(h)))).toBe("accepted")
      expect(yield* refusal(auth.check(call(h)))).toMatch(/already received \(a replay\)/)
      yield* TestClock.adjust(Duration.seconds(29))
      expect(yield* refusal(auth.check(call(h)))).toMatch(/a replay/)
      yield* TestClock.adjust(Duration.seconds(2))
      expect(yield* refusal(auth.check(call(h)))).toMatch(/31 s old; at most 30 s/)
    }))

  it.effect("silvana-mac: accepted under the session's call key only, once; refused for a session without one", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(3_000_000)
      const secret = keypair.getSecretKey()
      const macer = sessionSigner(secret, "hmac")
      expect(macer.address).toBe(signer.address)
      const keys = new Map([[signer.address, callMacKey(decodeSuiPrivateKey(secret).secretKey)]])
      const auth = makeCallAuth({ mode: "strict", macKeyOf: (id) => keys.get(id) })
      const h = macer.sign(PATH, request, 3_000_000)
      expect(Object.keys(h).sort()).toEqual([MAC_HEADER, NONCE_HEADER, TIMESTAMP_HEADER].sort())
      expect(yield* refusal(auth.check(call(h)))).toBe("accepted")
      expect(yield* refusal(auth.check(call(h)))).toMatch(/a replay/)
      // another key, another method, other bytes, another time: no match
      const other = sessionSigner(Ed25519Keypair.generate().getSecretKey(), "hmac")
      expect(yield* refusal(auth.check(call(other.sign(PATH, request, 3_000_000))))).toMatch(/MAC does not match/)
      expect(yield* refusal(auth.check({ ...call(macer.sign(PATH, request, 3_000_000)), path: "/x/FailJob" }))).toMatch(/MAC does not match/)
      expect(yield* refusal(auth.check({ ...call(macer.sign(PATH, request, 3_000_000)), request: new Uint8Array([9]) }))).toMatch(/MAC does not match/)
      expect(yield* refusal(auth.check(call({ ...macer.sign(PATH, request, 3_000_000), [TIMESTAMP_HEADER]: "3000001" })))).toMatch(/MAC does not match/)
      // malformed, mixed with a signature, or for a session this coordinator did not make
      expect(yield* refusal(auth.check(call({ ...h, [MAC_HEADER]: "AAAA" })))).toMatch(/not an HMAC-SHA256/)
      expect(yield* refusal(auth.check(call({ ...macer.sign(PATH, request, 3_000_000), [SIGNATURE_HEADER]: signer.sign(PATH, request, 3_000_000)[SIGNATURE_HEADER] })))).toMatch(/not both/)
      expect(yield* refusal(makeCallAuth({ mode: "strict" }).check(call(macer.sign(PATH, request, 3_000_000))))).toMatch(/only for the sessions of this coordinator/)
      // the clock window applies as to signatures
      expect(yield* refusal(auth.check(call(macer.sign(PATH, request, 3_000_000 - 120_000))))).toMatch(/120 s old/)
    }))

  it.effect("a replay is recognised whatever base64 spelling carries the same proof", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(4_000_000)
      const secret = keypair.getSecretKey()
      const keys = new Map([[signer.address, callMacKey(decodeSuiPrivateKey(secret).secretKey)]])
      const auth = makeCallAuth({ mode: "strict", macKeyOf: (id) => keys.get(id) })
      const signed = signer.sign(PATH, request, 4_000_000)
      const maced = sessionSigner(secret, "hmac").sign(PATH, request, 4_000_000)
      expect(yield* refusal(auth.check(call(signed)))).toBe("accepted")
      expect(yield* refusal(auth.check(call(maced)))).toBe("accepted")
      // the same bytes without their padding, or with a stray character base64 decoding skips
      for (const [h, name] of [[signed, SIGNATURE_HEADER], [maced, MAC_HEADER]] as const) {
        const proof = (h as Record<string, string>)[name]!
        expect(proof.endsWith("=")).toBe(true)
        for (const respelled of [proof.replace(/=+$/, ""), `${proof.slice(0, 4)}.${proof.slice(4)}`]) {
          expect(yield* refusal(auth.check(call({ ...h, [name]: respelled })))).toMatch(/a replay/)
        }
      }
    }))

  it.effect("stale and future timestamps are refused; remembered signatures are forgotten once stale", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(10_000_000)
      const auth = makeCallAuth({ mode: "strict", windowMs: 30_000 })
      expect(yield* refusal(auth.check(call(signer.sign(PATH, request, 10_000_000 - 120_000))))).toMatch(/120 s old/)
      expect(yield* refusal(auth.check(call(signer.sign(PATH, request, 10_000_000 + 45_000))))).toMatch(/45 s ahead/)
      expect(yield* refusal(auth.check(call(signer.sign(PATH, request, 10_000_000 + 29_000))))).toBe("accepted")
      for (let i = 0; i < 100; i++) expect(yield* refusal(auth.check(call(signer.sign(PATH, request, 10_000_000))))).toBe("accepted")
      expect(auth.remembered()).toBe(101)
      yield* TestClock.adjust(Duration.seconds(61))
      expect(yield* refusal(auth.check(call(signer.sign(PATH, request, 10_061_000))))).toBe("accepted")
      expect(auth.remembered()).toBe(1)
    }))
})
