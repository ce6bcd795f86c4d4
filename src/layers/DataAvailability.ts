/**
 * DataAvailability — the store behind SubmitProof / SubmitState and the reads that resolve their
 * descriptors. Blobs are content-addressed (sha256) files under `STATE_DIR/da`, written to a
 * temporary file, fsynced and renamed before `put` succeeds, so an acknowledged blob survives a
 * crash. A descriptor is `<scheme>:<network>:<hash>` (`local:<chain>:<sha256 hex>`); `get`
 * re-hashes what it read and fails loudly (`DataCorrupted`) rather than return other bytes.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Context, Data, Effect, Layer, Option } from "effect"
import { Config } from "./Config.js"

export class DataTooLarge extends Data.TaggedError("DataTooLarge")<{ readonly size: number; readonly max: number }> {
  override get message() {
    return `payload of ${this.size} bytes is larger than the ${this.max}-byte limit`
  }
}
/** The stored bytes no longer hash to their name: never served. */
export class DataCorrupted extends Data.TaggedError("DataCorrupted")<{ readonly descriptor: string }> {
  override get message() {
    return `stored blob ${this.descriptor} is corrupt (its content does not match its hash)`
  }
}
export class DataUnavailable extends Data.TaggedError("DataUnavailable")<{ readonly message: string }> {}
/** Not a descriptor this store can resolve (other scheme or network, malformed). */
export class UnknownDescriptor extends Data.TaggedError("UnknownDescriptor")<{ readonly descriptor: string }> {
  override get message() {
    return `${this.descriptor} is not a descriptor of this store`
  }
}

export interface DataAvailabilityService {
  readonly scheme: string
  readonly network: string
  readonly maxBytes: number
  /** Stores bytes durably; returns the descriptor. Storing the same bytes twice is a no-op. */
  readonly put: (bytes: Uint8Array) => Effect.Effect<string, DataTooLarge | DataUnavailable>
  /** The bytes of a descriptor, verified; `None` when nothing is stored under it. */
  readonly get: (descriptor: string) => Effect.Effect<Option.Option<Uint8Array>, DataCorrupted | DataUnavailable | UnknownDescriptor>
  /** Deletes every blob whose descriptor `keep` rejects; returns how many went. */
  readonly collect: (keep: (descriptor: string) => boolean) => Effect.Effect<number, DataUnavailable>
}

export interface DataAvailabilityOptions {
  readonly dir: string
  readonly network: string
  /** Largest blob accepted (default 32 MiB). */
  readonly maxBytes?: number
}

const HASH = /^[0-9a-f]{64}$/

export const makeFileStore = (o: DataAvailabilityOptions): Effect.Effect<DataAvailabilityService, DataUnavailable> =>
  Effect.gen(function* () {
    const scheme = "local"
    const maxBytes = o.maxBytes ?? 32 * 1024 * 1024
    const unavailable = (what: string) => (e: unknown) => new DataUnavailable({ message: `${what}: ${(e as Error).message}` })
    yield* Effect.tryPromise({ try: () => fs.mkdir(o.dir, { recursive: true, mode: 0o700 }), catch: unavailable("creating the store") })
    const fileOf = (hash: string) => path.join(o.dir, hash.slice(0, 2), hash)
    const descriptorOf = (hash: string) => `${scheme}:${o.network}:${hash}`
    const known = new Set<string>()

    const write = async (hash: string, bytes: Uint8Array) => {
      const file = fileOf(hash)
      if (known.has(hash)) return
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
      const h = await fs.open(tmp, "w", 0o600)
      try {
        await h.writeFile(bytes)
        await h.sync()
      } finally {
        await h.close()
      }
      await fs.rename(tmp, file)
      known.add(hash)
    }

    const parse = (descriptor: string) => {
      const [s, network, hash, ...rest] = descriptor.split(":")
      if (s !== scheme || network !== o.network || hash === undefined || !HASH.test(hash) || rest.length > 0) return undefined
      return hash
    }

    const service: DataAvailabilityService = {
      scheme,
      network: o.network,
      maxBytes,
      put: (bytes) =>
        bytes.length > maxBytes
          ? Effect.fail(new DataTooLarge({ size: bytes.length, max: maxBytes }))
          : Effect.suspend(() => {
              const hash = createHash("sha256").update(bytes).digest("hex")
              return Effect.tryPromise({ try: () => write(hash, bytes), catch: unavailable("storing a blob") }).pipe(
                Effect.as(descriptorOf(hash))
              )
            }),
      get: (descriptor) =>
        Effect.gen(function* () {
          const hash = parse(descriptor)
          if (hash === undefined) return yield* Effect.fail(new UnknownDescriptor({ descriptor }))
          const bytes = yield* Effect.tryPromise({
            try: () => fs.readFile(fileOf(hash)).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.length)).catch((e: NodeJS.ErrnoException) => {
              if (e.code === "ENOENT") return undefined
              throw e
            }),
            catch: unavailable(`reading ${descriptor}`)
          })
          if (bytes === undefined) return Option.none()
          if (createHash("sha256").update(bytes).digest("hex") !== hash) {
            yield* Effect.logError("data availability: corrupt blob refused", { descriptor })
            return yield* Effect.fail(new DataCorrupted({ descriptor }))
          }
          return Option.some(bytes)
        }),
      collect: (keep) =>
        Effect.tryPromise({
          try: async () => {
            let removed = 0
            for (const sub of await fs.readdir(o.dir)) {
              for (const name of await fs.readdir(path.join(o.dir, sub)).catch(() => [] as string[])) {
                if (!HASH.test(name) || keep(descriptorOf(name))) continue
                await fs.unlink(path.join(o.dir, sub, name))
                known.delete(name)
                removed++
              }
            }
            return removed
          },
          catch: unavailable("collecting garbage")
        })
    }
    return service
  })

/** Proofs, states and other payloads of agents, addressed by content. */
export class DataAvailability extends Context.Tag("silvana/DataAvailability")<DataAvailability, DataAvailabilityService>() {
  /** Files under `STATE_DIR/da`, network = `SUI_CHAIN`. */
  static readonly layer = Layer.effect(
    DataAvailability,
    Effect.flatMap(Config, (c) => makeFileStore({ dir: path.join(c.stateDir, "da"), network: c.suiChain }))
  )
  static readonly layerWith = (o: DataAvailabilityOptions) => Layer.effect(DataAvailability, makeFileStore(o))
}
