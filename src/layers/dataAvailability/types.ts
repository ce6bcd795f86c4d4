/**
 * The data-availability store's interface and errors, shared by its backends (files under
 * STATE_DIR, Walrus) and the service tag in DataAvailability.ts.
 */
import type { Effect, Option } from "effect"
import { Data } from "effect"

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

/** What one garbage collection removed. */
export interface Collected {
  readonly blobs: number
  readonly bytes: number
}

export interface DataAvailabilityService {
  readonly scheme: string
  readonly network: string
  readonly maxBytes: number
  /** Stores bytes durably; returns the descriptor. Storing the same bytes twice is a no-op. */
  readonly put: (bytes: Uint8Array) => Effect.Effect<string, DataTooLarge | DataUnavailable>
  /** The bytes of a descriptor, verified; `None` when nothing is stored under it. */
  readonly get: (descriptor: string) => Effect.Effect<Option.Option<Uint8Array>, DataCorrupted | DataUnavailable | UnknownDescriptor>
  /**
   * Deletes every blob whose descriptor `keep` rejects and that was stored at least `minAgeMs`
   * ago (a blob just stored may not be referenced on chain yet); answers how many blobs and bytes went.
   */
  readonly collect: (keep: (descriptor: string) => boolean, minAgeMs?: number) => Effect.Effect<Collected, DataUnavailable>
}
