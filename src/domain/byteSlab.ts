/**
 * Copies small byte strings into shared slabs: a job's `data` arrives as a view into the buffer
 * of the whole event or message it was decoded from, and keeping the view keeps that buffer. A
 * copy of its own costs an ArrayBuffer per job; a slab holds the bytes of many jobs in one.
 * A slab is freed once no job's view of it is left.
 */
const SLAB_BYTES = 64 * 1024
/** Larger byte strings get a buffer of their own. */
const MAX_SHARED = 4 * 1024
const EMPTY = new Uint8Array(0)

export class ByteSlab {
  private slab = new Uint8Array(0)
  private used = 0

  copy(bytes: Uint8Array): Uint8Array {
    if (bytes.length === 0) return EMPTY
    if (bytes.length > MAX_SHARED) return bytes.slice()
    if (this.used + bytes.length > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES)
      this.used = 0
    }
    const out = this.slab.subarray(this.used, this.used + bytes.length)
    out.set(bytes)
    this.used += bytes.length
    return out
  }
}
