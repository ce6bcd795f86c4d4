/**
 * The Walrus backend of the data-availability store, over the Walrus HTTP API: blobs are stored
 * through a publisher (`PUT /v1/blobs?epochs=N`) and read from an aggregator
 * (`GET /v1/blobs/<blob id>`). A descriptor is `walrus:<network>:<blob id>:<sha256 hex>`: the
 * blob id finds the blob, the sha256 lets any reader check the bytes an aggregator answers, so a
 * wrong answer fails loudly (`DataCorrupted`) instead of being served.
 *
 * Why not `@mysten/walrus`: it installs from npm (1.2.13), but its write path registers and
 * certifies blobs on Sui against Walrus's system objects and uploads slivers to the storage nodes
 * themselves — nothing a coordinator test can stand up. The publisher/aggregator API is what an
 * operator points at (their own publisher on mainnet), and it can be faked in a test.
 *
 * Blobs are not deleted: the HTTP API has no delete; a blob lives `epochs` storage epochs, so what
 * the chain no longer references expires. `collect` therefore removes nothing.
 */
import { createHash } from "node:crypto"
import { Effect, Option } from "effect"
import { DataCorrupted, type DataAvailabilityService, DataTooLarge, DataUnavailable, UnknownDescriptor } from "./types.js"

export interface WalrusOptions {
  readonly publisherUrl: string
  readonly aggregatorUrl: string
  /** Network name written into descriptors (the chain's name). */
  readonly network: string
  /** Storage epochs a new blob is paid for. */
  readonly epochs: number
  readonly maxBytes: number
  /** Per-request deadline (default 60 s). */
  readonly timeoutMs?: number
}

const BLOB_ID = /^[A-Za-z0-9_-]{1,100}$/
const HASH = /^[0-9a-f]{64}$/

interface StoreAnswer {
  readonly newlyCreated?: { readonly blobObject?: { readonly blobId?: string } }
  readonly alreadyCertified?: { readonly blobId?: string }
}

export const makeWalrusStore = (o: WalrusOptions): DataAvailabilityService => {
  const scheme = "walrus"
  const timeoutMs = o.timeoutMs ?? 60_000
  const trim = (u: string) => u.replace(/\/+$/, "")
  const unavailable = (what: string) => (e: unknown) => new DataUnavailable({ message: `${what}: ${e instanceof Error ? e.message : String(e)}` })

  const parse = (descriptor: string) => {
    const [s, network, blobId, hash, ...rest] = descriptor.split(":")
    if (s !== scheme || network !== o.network || blobId === undefined || !BLOB_ID.test(blobId) || hash === undefined || !HASH.test(hash) || rest.length > 0) {
      return undefined
    }
    return { blobId, hash }
  }

  const put = (bytes: Uint8Array) =>
    Effect.gen(function* () {
      if (bytes.length > o.maxBytes) return yield* Effect.fail(new DataTooLarge({ size: bytes.length, max: o.maxBytes }))
      const hash = createHash("sha256").update(bytes).digest("hex")
      const res = yield* Effect.tryPromise({
        try: (signal) =>
          fetch(`${trim(o.publisherUrl)}/v1/blobs?epochs=${o.epochs}`, { method: "PUT", body: bytes, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) }),
        catch: unavailable("storing a blob on Walrus")
      })
      if (res.status === 413) return yield* Effect.fail(new DataTooLarge({ size: bytes.length, max: bytes.length - 1 }))
      const text = yield* Effect.tryPromise({ try: () => res.text(), catch: unavailable("reading the Walrus publisher's answer") })
      if (!res.ok) return yield* Effect.fail(new DataUnavailable({ message: `Walrus publisher answered ${res.status}: ${text.slice(0, 200)}` }))
      const answer = yield* Effect.try({ try: () => JSON.parse(text) as StoreAnswer, catch: unavailable("decoding the Walrus publisher's answer") })
      const blobId = answer.newlyCreated?.blobObject?.blobId ?? answer.alreadyCertified?.blobId
      if (blobId === undefined || !BLOB_ID.test(blobId)) return yield* Effect.fail(new DataUnavailable({ message: "the Walrus publisher's answer names no blob id" }))
      return `${scheme}:${o.network}:${blobId}:${hash}`
    })

  const get = (descriptor: string) =>
    Effect.gen(function* () {
      const d = parse(descriptor)
      if (d === undefined) return yield* Effect.fail(new UnknownDescriptor({ descriptor }))
      const res = yield* Effect.tryPromise({
        try: (signal) => fetch(`${trim(o.aggregatorUrl)}/v1/blobs/${d.blobId}`, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) }),
        catch: unavailable(`reading ${descriptor} from Walrus`)
      })
      if (res.status === 404) {
        yield* Effect.tryPromise({ try: () => res.arrayBuffer(), catch: unavailable("draining") }).pipe(Effect.ignore)
        return Option.none<Uint8Array>()
      }
      if (!res.ok) return yield* Effect.fail(new DataUnavailable({ message: `Walrus aggregator answered ${res.status} for ${descriptor}` }))
      const bytes = new Uint8Array(yield* Effect.tryPromise({ try: () => res.arrayBuffer(), catch: unavailable(`reading ${descriptor} from Walrus`) }))
      if (bytes.length > o.maxBytes || createHash("sha256").update(bytes).digest("hex") !== d.hash) {
        yield* Effect.logError("data availability: Walrus answered other bytes than the descriptor's; refused").pipe(Effect.annotateLogs({ descriptor }))
        return yield* Effect.fail(new DataCorrupted({ descriptor }))
      }
      return Option.some(bytes)
    })

  return {
    scheme,
    network: o.network,
    maxBytes: o.maxBytes,
    put,
    get,
    collect: () => Effect.succeed({ blobs: 0, bytes: 0 })
  }
}
