/**
 * The Walrus backend of the data-availability store against a local fake of the Walrus HTTP API:
 * round trip, content-checked reads (other bytes fail loudly), size limits (ours and the
 * publisher's 413), an unreachable publisher, unknown blobs and foreign descriptors, and the
 * backend chosen by DA_BACKEND.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Option } from "effect"
import { Config } from "../../src/layers/Config.js"
import { DataAvailability } from "../../src/layers/DataAvailability.js"
import { makeWalrusStore } from "../../src/layers/dataAvailability/walrus.js"
import { startWalrusFake } from "./walrusFake.js"

const withFake = <A, E>(f: (fake: Awaited<ReturnType<typeof startWalrusFake>>) => Effect.Effect<A, E>, o: { publisherLimit?: number } = {}) =>
  Effect.acquireUseRelease(Effect.promise(() => startWalrusFake(o)), f, (fake) => Effect.promise(() => fake.close()))

const storeOn = (url: string, maxBytes = 1024 * 1024) => makeWalrusStore({ publisherUrl: url, aggregatorUrl: url, network: "testnet", epochs: 3, maxBytes })

describe("Walrus data-availability backend", () => {
  it.effect("stores through the publisher and reads back the same bytes from the aggregator", () =>
    withFake((fake) =>
      Effect.gen(function* () {
        const store = storeOn(fake.url)
        const bytes = new TextEncoder().encode("a proof on walrus")
        const d = yield* store.put(bytes)
        expect(d).toMatch(/^walrus:testnet:[A-Za-z0-9_-]+:[0-9a-f]{64}$/)
        expect(fake.stores).toEqual([{ epochs: "3", size: bytes.length }])
        expect(yield* store.put(bytes)).toBe(d) // alreadyCertified names the same blob
        const got = yield* store.get(d)
        expect(Option.map(got, (b) => new TextDecoder().decode(b))).toEqual(Option.some("a proof on walrus"))
      })
    )
  )

  it.effect("never returns other bytes than the descriptor's", () =>
    withFake((fake) =>
      Effect.gen(function* () {
        const store = storeOn(fake.url)
        const d = yield* store.put(new TextEncoder().encode("genuine"))
        fake.tamper()
        const r = yield* Effect.either(store.get(d))
        expect(Either.isLeft(r) && r.left._tag).toBe("DataCorrupted")
        // a descriptor whose hash does not match what the blob holds is refused as well
        fake.tamper()
        const wrongHash = d.replace(/[0-9a-f]{64}$/, "0".repeat(64))
        const w = yield* Effect.either(store.get(wrongHash))
        expect(Either.isLeft(w) && w.left._tag).toBe("DataCorrupted")
      })
    )
  )

  it.effect("refuses what is too large, for us or for the publisher", () =>
    withFake(
      (fake) =>
        Effect.gen(function* () {
          const small = storeOn(fake.url, 100)
          const ours = yield* Effect.either(small.put(new Uint8Array(101)))
          expect(Either.isLeft(ours) && ours.left._tag).toBe("DataTooLarge")
          expect(fake.stores).toHaveLength(0)
          const theirs = yield* Effect.either(storeOn(fake.url).put(new Uint8Array(600)))
          expect(Either.isLeft(theirs) && theirs.left._tag).toBe("DataTooLarge")
        }),
      { publisherLimit: 500 }
    )
  )

  it.effect("unknown blobs are None; foreign descriptors and a dead publisher are errors", () =>
    withFake((fake) =>
      Effect.gen(function* () {
        const store = storeOn(fake.url)
        expect(Option.isNone(yield* store.get(`walrus:testnet:unknownBlob:${"a".repeat(64)}`))).toBe(true)
        for (const d of [`local:testnet:${"a".repeat(64)}`, `walrus:mainnet:x:${"a".repeat(64)}`, "walrus:testnet:x", `walrus:testnet:bad/id:${"a".repeat(64)}`]) {
          const r = yield* Effect.either(store.get(d))
          expect([d, Either.isLeft(r) && r.left._tag]).toEqual([d, "UnknownDescriptor"])
        }
        const dead = storeOn("http://127.0.0.1:1")
        const r = yield* Effect.either(dead.put(new Uint8Array(1)))
        expect(Either.isLeft(r) && r.left._tag).toBe("DataUnavailable")
      })
    )
  )

  it.effect("DA_BACKEND=walrus selects it, with the publisher and aggregator from config", () =>
    withFake((fake) =>
      Effect.gen(function* () {
        const da = yield* DataAvailability
        expect(da.scheme).toBe("walrus")
        const d = yield* da.put(new Uint8Array([1, 2, 3]))
        expect(fake.stores).toEqual([{ epochs: "7", size: 3 }])
        expect(Option.map(yield* da.get(d), (b) => [...b])).toEqual(Option.some([1, 2, 3]))
      }).pipe(
        Effect.provide(
          DataAvailability.layer.pipe(
            Layer.provide(
              Config.layerFromEnv({
                SUI_RPC_URL: "http://127.0.0.1:9000", SUI_CHAIN: "testnet", DA_BACKEND: "walrus",
                WALRUS_PUBLISHER_URL: fake.url, WALRUS_AGGREGATOR_URL: fake.url, WALRUS_EPOCHS: "7"
              })
            )
          )
        )
      )
    )
  )

  it.effect("DA_BACKEND=walrus without its URLs is a configuration error naming the variable", () =>
    Effect.gen(function* () {
      const r = yield* Effect.either(Effect.provide(DataAvailability, DataAvailability.layer.pipe(Layer.provide(Config.layerFromEnv({ DA_BACKEND: "walrus", WALRUS_AGGREGATOR_URL: "http://x" })))))
      expect(Either.isLeft(r) && String(r.left)).toMatch(/WALRUS_PUBLISHER_URL/)
    })
  )
})
