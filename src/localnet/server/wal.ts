/**
 * The localnet's write-ahead log: every change to the chain (an executed transaction, a sealed
 * checkpoint, a clock move, a prune) is appended here, and nothing the node answers is sent before
 * the records it depends on are on disk. Group commit: records appended while a write + fdatasync
 * is in flight go out together in the next one, so a burst of transactions costs one fsync.
 *
 * Files: `<state>.wal.<n>`, one segment per state-file save. A save rotates to a new segment at
 * the moment its snapshot is taken and records that segment in the snapshot; once the snapshot file
 * is in place the older segments are deleted. Start-up = the snapshot, then every segment from the
 * one it names, in order. Each record is framed `[u32 length][u32 crc32][payload]`; a torn or
 * corrupt tail (a kill mid-write) ends the replay of its segment.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"

const HEADER = 8

interface Queued {
  readonly fd: number
  readonly frame: Buffer
  readonly lsn: number
}

export class WriteAheadLog {
  private fd: number
  private segment: number
  private queue: Array<Queued> = []
  private queuedLsn = 0
  private durableLsn = 0
  private writing = false
  private failed: Error | undefined
  /** Closed by `closeSync`: a group commit still in flight then fails on a closed descriptor, harmlessly. */
  private closed = false
  private readonly waiters: Array<{ readonly lsn: number; readonly done: () => void }> = []
  /** Old segments' descriptors, closed once every record written to them is durable. */
  private readonly retired: Array<{ readonly fd: number; readonly lastLsn: number }> = []

  private constructor(
    private readonly base: string,
    segment: number,
    private readonly onError: (e: Error) => void
  ) {
    this.segment = segment
    this.fd = openSegment(base, segment)
  }

  /** Opens a new log whose first segment is `segment` (older segments are replayed, not written). */
  static open(stateFile: string, segment: number, onError: (e: Error) => void): WriteAheadLog {
    return new WriteAheadLog(stateFile, segment, onError)
  }

  /** The segment new records go to. */
  get currentSegment(): number {
    return this.segment
  }

  /** Appends a record; returns its sequence number. It is durable once `whenDurable` fires. */
  append(payload: Uint8Array): number {
    const frame = Buffer.allocUnsafe(HEADER + payload.length)
    frame.writeUInt32LE(payload.length, 0)
    frame.writeUInt32LE(zlib.crc32(payload), 4)
    frame.set(payload, HEADER)
    const lsn = ++this.queuedLsn
    this.queue.push({ fd: this.fd, frame, lsn })
    if (!this.writing) {
      this.writing = true
      setImmediate(() => this.flush())
    }
    return lsn
  }

  /** Everything appended so far is durable. */
  get idle(): boolean {
    return this.durableLsn >= this.queuedLsn
  }

  /** Runs `done` once every record appended so far is durable (at once when it already is). */
  whenDurable(done: () => void): void {
    if (this.durableLsn >= this.queuedLsn) return done()
    this.waiters.push({ lsn: this.queuedLsn, done })
  }

  /** A promise for `whenDurable`, or `undefined` when nothing is waiting (the common read path). */
  barrier(): Promise<void> | undefined {
    if (this.durableLsn >= this.queuedLsn) return undefined
    return new Promise((resolve) => this.whenDurable(resolve))
  }

  /** Starts a new segment for the records that follow; returns its number. */
  rotate(): number {
    this.retired.push({ fd: this.fd, lastLsn: this.queuedLsn })
    this.segment += 1
    this.fd = openSegment(this.base, this.segment)
    this.closeRetired()
    return this.segment
  }

  /** Deletes the segments before `segment` (their records are in a saved snapshot). */
  dropBefore(segment: number): void {
    for (const s of listSegments(this.base)) if (s < segment) fs.rmSync(segmentPath(this.base, s), { force: true })
  }

  /** Writes out everything queued, synchronously, and closes the log (used on close). */
  closeSync(): void {
    this.closed = true
    for (const q of this.queue) fs.writeSync(q.fd, q.frame)
    const fds = new Set([...this.queue.map((q) => q.fd), this.fd])
    for (const fd of fds) fs.fdatasyncSync(fd)
    this.queue = []
    this.durableLsn = this.queuedLsn
    this.release()
    for (const r of this.retired.splice(0)) fs.closeSync(r.fd)
    fs.closeSync(this.fd)
  }

  private flush(): void {
    const batch = this.queue
    this.queue = []
    if (batch.length === 0 || this.failed !== undefined) {
      this.writing = false
      return
    }
    const upTo = batch[batch.length - 1]!.lsn
    const byFd = new Map<number, Array<Buffer>>()
    for (const q of batch) {
      const list = byFd.get(q.fd)
      if (list === undefined) byFd.set(q.fd, [q.frame])
      else list.push(q.frame)
    }
    // Segments are written in order: a later segment never holds records an earlier one lacks.
    const writeOne = (fd: number, frames: Array<Buffer>) =>
      new Promise<void>((resolve, reject) =>
        fs.writev(fd, frames, (err) => (err ? reject(err) : fs.fdatasync(fd, (e) => (e ? reject(e) : resolve()))))
      )
    const all = [...byFd.entries()].reduce<Promise<void>>((prev, [fd, frames]) => prev.then(() => writeOne(fd, frames)), Promise.resolve())
    all.then(
      () => {
        this.durableLsn = upTo
        this.closeRetired()
        this.release()
        if (this.queue.length > 0) setImmediate(() => this.flush())
        else this.writing = false
      },
      (e: unknown) => {
        // After closeSync the final snapshot holds everything: nothing of this batch is needed.
        if (this.closed) return
        // A log that cannot be written is fatal to the promise: answer nothing more.
        this.failed = e instanceof Error ? e : new Error(String(e))
        this.onError(this.failed)
      }
    )
  }

  private release(): void {
    let i = 0
    while (i < this.waiters.length && this.waiters[i]!.lsn <= this.durableLsn) i++
    for (const w of this.waiters.splice(0, i)) w.done()
  }

  private closeRetired(): void {
    for (let i = this.retired.length - 1; i >= 0; i--) {
      const r = this.retired[i]!
      if (r.lastLsn <= this.durableLsn && !this.queue.some((q) => q.fd === r.fd)) {
        fs.closeSync(r.fd)
        this.retired.splice(i, 1)
      }
    }
  }
}

const segmentPath = (base: string, segment: number) => `${base}.wal.${segment}`

const openSegment = (base: string, segment: number): number => {
  fs.mkdirSync(path.dirname(base), { recursive: true })
  const fd = fs.openSync(segmentPath(base, segment), "a")
  syncDir(path.dirname(base))
  return fd
}

/** Makes a new or renamed file's directory entry durable. */
export const syncDir = (dir: string): void => {
  let fd: number | undefined
  try {
    fd = fs.openSync(dir, "r")
    fs.fsyncSync(fd)
  } catch {
    // some filesystems refuse fsync on a directory; the data itself is synced
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/** Segment numbers present next to `base`, ascending. */
export const listSegments = (base: string): Array<number> => {
  const dir = path.dirname(base)
  const prefix = `${path.basename(base)}.wal.`
  let names: Array<string>
  try {
    names = fs.readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b)
}

/**
 * The records of every segment from `from` on, in order. A torn or corrupt record ends the replay:
 * nothing after it was ever acknowledged (durability is granted in log order).
 */
export function* readSegments(base: string, from: number): Generator<Uint8Array> {
  for (const s of listSegments(base)) {
    if (s < from) continue
    const buf = fs.readFileSync(segmentPath(base, s))
    let at = 0
    while (at + HEADER <= buf.length) {
      const len = buf.readUInt32LE(at)
      const crc = buf.readUInt32LE(at + 4)
      if (at + HEADER + len > buf.length) return
      const payload = buf.subarray(at + HEADER, at + HEADER + len)
      if (zlib.crc32(payload) !== crc) return
      yield payload
      at += HEADER + len
    }
    if (at !== buf.length) return
  }
}
