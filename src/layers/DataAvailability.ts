/**
 * DataAvailability — the store behind SubmitProof / SubmitState and the reads that resolve their
 * descriptors. Blobs are content-addressed (sha256) files under `STATE_DIR/da`, written to a
 * temporary file, fsynced and renamed before `put` succeeds, so an acknowledged blob survives a
 * crash. A descriptor is `<scheme>:<network>:<hash>` (`local:<chain>:<sha256 hex>`); `get`
 * re-hashes what it read and fails loudly (`DataCorrupted`) rather than return other bytes.
 */
import { createHash } from "node:crypto"
import { closeSync, fdatasync, fstatSync, openSync, readSync, renameSync, writeSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Clock, Context, Effect, Layer, Option } from "effect"
import { Config } from "./Config.js"
import { makeWalrusStore } from "./dataAvailability/walrus.js"
import { DataCorrupted, type DataAvailabilityService, DataTooLarge, DataUnavailable, UnknownDescriptor } from "./dataAvailability/types.js"

export { type Collected, DataCorrupted, type DataAvailabilityService, DataTooLarge, DataUnavailable, UnknownDescriptor } from "./dataAvailability/types.js"

export interface DataAvailabilityOptions {
  readonly dir: string
  readonly network: string
  /** Largest blob accepted (default 32 MiB). */
  readonly maxBytes?: number
}

const HASH = /^[0-9a-f]{64}$/

/**
 * Blobs up to this size are written with synchronous calls (into the page cache: microseconds)
 * and only their flush to disk goes to libuv's pool — one asynchronous step instead of five
 * (open, write, sync, close, rename each cost a pool round trip and promise machinery per proof).
 */
const SYNC_WRITE_MAX = 1024 * 1024

/** Writes `bytes` to a new file `tmp` and resolves once they are on disk (fdatasync off the event loop). */
const writeSmall = (tmp: string, bytes: Uint8Array) =>
  new Promise<void>((resolve, reject) => {
    let fd: number
    try {
      fd = openSync(tmp, "w", 0o600)
    } catch (e) {
      return reject(e)
    }
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at)
    } catch (e) {
      closeSync(fd)
      return reject(e)
    }
    fdatasync(fd, (e) => {
      try {
        closeSync(fd)
      } catch (closing) {
        e ??= closing as NodeJS.ErrnoException
      }
      if (e !== null && e !== undefined) reject(e)
      else resolve()
    })
  })

/**
 * The bytes of `file`, `undefined` when there is none. A blob up to SYNC_WRITE_MAX is read with
 * synchronous calls (a blob just written is in the page cache): open, fstat, read, close cost one
 * libuv round trip each through `fs.readFile`, a measurable part of every GetProof.
 */
const readBlob = async (file: string): Promise<Uint8Array | undefined> => {
  let fd: number
  try {
    fd = openSync(file, "r")
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw e
  }
  let size: number
  try {
    size = fstatSync(fd).size
    if (size <= SYNC_WRITE_MAX) {
      const bytes = Buffer.allocUnsafeSlow(size)
      let at = 0
      while (at < size) {
        const n = readSync(fd, bytes, at, size - at, at)
        if (n === 0) break
        at += n
      }
      return bytes.subarray(0, at)
    }
  } finally {
    closeSync(fd)
  }
  const b = await fs.readFile(file)
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}

export const makeFileStore = (o: DataAvailabilityOptions): Effect.Effect<DataAvailabilityService, DataUnavailable> =>
  Effect.gen(function* () {
    const scheme = "local"
    const maxBytes = o.maxBytes ?? 32 * 1024 * 1024
    const unavailable = (what: string) => (e: unknown) => new DataUnavailable({ message: `${what}: ${(e as Error).message}` })
    yield* Effect.tryPromise({ try: () => fs.mkdir(o.dir, { recursive: true, mode: 0o700 }), catch: unavailable("creating the store") })
    const fileOf = (hash: string) => path.join(o.dir, hash.slice(0, 2), hash)
    const descriptorOf = (hash: string) => `${scheme}:${o.network}:${hash}`
    const known = new Set<string>()
    // Fan-out directories made so far: a put then costs no mkdir (one per blob was a tenth of its time).
    const dirs = new Set<string>()

    /** The blob into a fresh temporary file, synced to disk, then renamed to its name. */
    const write = async (hash: string, bytes: Uint8Array) => {
      const file = fileOf(hash)
      if (known.has(hash)) return
      const sub = path.dirname(file)
      if (!dirs.has(sub)) {
        await fs.mkdir(sub, { recursive: true, mode: 0o700 })
        dirs.add(sub)
      }
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
      if (bytes.length <= SYNC_WRITE_MAX) await writeSmall(tmp, bytes)
      else {
        const h = await fs.open(tmp, "w", 0o600)
        try {
          await h.writeFile(bytes)
          await h.sync()
        } finally {
          await h.close()
        }
      }
      renameSync(tmp, file)
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
            try: () => readBlob(fileOf(hash)).catch((e: NodeJS.ErrnoException) => {
              if (e.code === "ENOENT") return undefined
              throw e
            }),
            catch: unavailable(`reading ${descriptor}`)
          })
          if (bytes === undefined) return Option.none()
          if (createHash("sha256").update(bytes).digest("hex") !== hash) {
            yield* Effect.logError("data availability: corrupt blob refused").pipe(Effect.annotateLogs({ descriptor }))
            return yield* Effect.fail(new DataCorrupted({ descriptor }))
          }
          return Option.some(bytes)
        }),
      collect: (keep, minAgeMs = 0) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.tryPromise({
          try: async () => {
            let blobs = 0
            let bytes = 0
            for (const sub of await fs.readdir(o.dir)) {
              for (const name of await fs.readdir(path.join(o.dir, sub)).catch(() => [] as string[])) {
                if (!HASH.test(name) || keep(descriptorOf(name))) continue
                const file = path.join(o.dir, sub, name)
                const st = await fs.stat(file)
                if (minAgeMs > 0 && now - st.mtimeMs < minAgeMs) continue
                await fs.unlink(file)
                known.delete(name)
                blobs++
                bytes += st.size
              }
            }
            return { blobs, bytes }
          },
          catch: unavailable("collecting garbage")
        }))
    }
    return service
  })

/** Proofs, states and other payloads of agents, addressed by content. */
export class DataAvailability extends Context.Tag("silvana/DataAvailability")<DataAvailability, DataAvailabilityService>() {
  /** As `DA_BACKEND` says: files under `STATE_DIR/da`, or Walrus; network = `SUI_CHAIN`, limit `DA_MAX_BYTES`. */
  static readonly layer = Layer.effect(
    DataAvailability,
    Effect.flatMap(Config, (c) =>
      c.daBackend === "walrus" && Option.isSome(c.walrusPublisherUrl) && Option.isSome(c.walrusAggregatorUrl)
        ? Effect.succeed(
            makeWalrusStore({
              publisherUrl: c.walrusPublisherUrl.value,
              aggregatorUrl: c.walrusAggregatorUrl.value,
              network: c.suiChain,
              epochs: c.walrusEpochs,
              maxBytes: c.daMaxBytes
            })
          )
        : makeFileStore({ dir: path.join(c.stateDir, "da"), network: c.suiChain, maxBytes: c.daMaxBytes })
    )
  )
  static readonly layerWith = (o: DataAvailabilityOptions) => Layer.effect(DataAvailability, makeFileStore(o))
}
