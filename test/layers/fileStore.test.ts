/**
 * The DA file store reads back exactly what it stored, on both read paths (a blob up to 1 MiB read
 * synchronously from the page cache, a larger one through fs.readFile), answers `None` for a blob
 * it never had, and refuses a corrupted one.
 */
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { makeFileStore } from "../../src/layers/DataAvailability.js"

const blob = (size: number, seed: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff)

describe("DA file store", () => {
  it.effect("round-trips small and large blobs, and knows what it does not hold", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-da-"))
      const store = yield* makeFileStore({ dir, network: "localnet" })
      for (const size of [1, 4095, 64 * 1024, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024]) {
        const bytes = blob(size, size)
        const descriptor = yield* store.put(bytes)
        const got = yield* store.get(descriptor)
        expect(Option.isSome(got)).toBe(true)
        expect(Buffer.from(Option.getOrThrow(got)).equals(Buffer.from(bytes))).toBe(true)
      }
      expect(yield* store.get(`local:localnet:${"0".repeat(64)}`)).toEqual(Option.none())
    })
  )

  it.effect("a blob changed on disk, small or large, is refused, never returned", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-da-"))
      const store = yield* makeFileStore({ dir, network: "localnet" })
      for (const size of [100, 2 * 1024 * 1024]) {
        const descriptor = yield* store.put(blob(size, 7))
        const hash = descriptor.split(":")[2]!
        const file = path.join(dir, hash.slice(0, 2), hash)
        expect(readdirSync(path.dirname(file))).toContain(hash)
        writeFileSync(file, blob(size, 8))
        const read = yield* Effect.exit(store.get(descriptor))
        expect(Exit.isFailure(read) && JSON.stringify(read.cause)).toMatch(/DataCorrupted/)
      }
    })
  )
})
