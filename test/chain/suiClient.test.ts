/** SuiClient start-up: key formats and the address check. */
import { decodeSuiPrivateKey } from "@mysten/sui/cryptography"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { toBase64, toHex } from "@mysten/sui/utils"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { Config } from "../../src/layers/Config.js"
import { parsePrivateKey, SuiClient } from "../../src/layers/SuiClient.js"

const kp = Ed25519Keypair.generate()
const bech32 = kp.getSecretKey()
const raw = decodeSuiPrivateKey(bech32).secretKey

describe("SuiClient", () => {
  it("accepts suiprivkey, base64 (with or without flag) and hex keys", () => {
    const address = kp.toSuiAddress()
    expect(parsePrivateKey(bech32).toSuiAddress()).toBe(address)
    expect(parsePrivateKey(toBase64(raw)).toSuiAddress()).toBe(address)
    expect(parsePrivateKey(toBase64(new Uint8Array([0, ...raw]))).toSuiAddress()).toBe(address)
    expect(parsePrivateKey(toHex(raw)).toSuiAddress()).toBe(address)
    expect(parsePrivateKey(`0x${toHex(raw)}`).toSuiAddress()).toBe(address)
    expect(() => parsePrivateKey("not a key")).toThrow()
  })

  const build = (env: Record<string, string>) =>
    Effect.exit(Effect.scoped(Effect.flatMap(SuiClient, (s) => Effect.succeed(s.address))).pipe(
      Effect.provide(SuiClient.layer),
      Effect.provide(Config.layerFromEnv(env))
    ))

  it.effect("refuses to start when the key does not derive SUI_ADDRESS, with one clear line", () => Effect.gen(function* () {
    const other = Ed25519Keypair.generate().toSuiAddress()
    const exit = yield* build({
      SUI_RPC_URL: "http://127.0.0.1:1",
      SUI_PRIVATE_KEY: bech32,
      SUI_ADDRESS: other,
      SILVANA_REGISTRY_PACKAGE: "0x2"
    })
    expect(Exit.isFailure(exit)).toBe(true)
    const text = JSON.stringify(exit)
    expect(text).toContain(`SUI_ADDRESS: the private key derives ${kp.toSuiAddress()}`)
  }))

  it.effect("starts with a matching SUI_ADDRESS (SUI_SECRET_KEY alias)", () => Effect.gen(function* () {
    const exit = yield* build({
      SUI_RPC_URL: "http://127.0.0.1:1",
      SUI_SECRET_KEY: toBase64(raw),
      SUI_ADDRESS: kp.toSuiAddress(),
      SILVANA_REGISTRY_PACKAGE: "0x2"
    })
    expect(exit).toEqual(Exit.succeed(kp.toSuiAddress()))
  }))
})
