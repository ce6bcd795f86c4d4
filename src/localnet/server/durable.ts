/**
 * The localnet's durability promise with `--state`: every transaction whose effects were returned,
 * and every checkpoint a reader saw, survives a SIGKILL of the node. The state file is a snapshot
 * taken every few seconds; the write-ahead log (wal.ts) holds every change since, and the node
 * answers no call (and streams no checkpoint) before the changes it shows are durable. Start-up
 * replays the log onto the snapshot, so sequence numbers and object versions are never reused.
 */
import type { ChainJournal, ChainRecord, LocalChain, LocalChainSnapshot } from "../chain.js"
import { saveState, saveStateSync } from "./persist.js"
import { listSegments, readSegments, WriteAheadLog } from "./wal.js"

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64")
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"))

export const encodeRecord = (r: ChainRecord): Uint8Array => {
  const plain =
    r.t === "x"
      ? { t: r.t, at: r.at, tx: b64(r.tx), sigs: r.sigs.map(b64) }
      : r.t === "p"
        ? { t: r.t, at: r.at, below: r.below.toString() }
        : r
  return Buffer.from(JSON.stringify(plain))
}

export const decodeRecord = (bytes: Uint8Array): ChainRecord => {
  const o = JSON.parse(Buffer.from(bytes).toString("utf8")) as { t: string; at: number; tx?: string; sigs?: Array<string>; below?: string; ms?: number }
  switch (o.t) {
    case "x":
      return { t: "x", at: o.at, tx: unb64(o.tx!), sigs: o.sigs!.map(unb64) }
    case "s":
      return { t: "s", at: o.at }
    case "c":
      return { t: "c", at: o.at, ms: o.ms! }
    case "p":
      return { t: "p", at: o.at, below: BigInt(o.below!) }
    default:
      throw new Error(`unknown write-ahead log record ${JSON.stringify(o.t)}`)
  }
}

/** Applies one record at its chain time. */
export const applyRecord = (chain: LocalChain, r: ChainRecord): void => {
  chain.at(r.at, () => {
    switch (r.t) {
      case "x":
        chain.execute(r.tx, r.sigs)
        return
      case "s":
        chain.sealCheckpoint()
        return
      case "c":
        chain.advanceClock(r.ms)
        return
      case "p":
        chain.prune(r.below)
        return
    }
  })
}

/** The segment a snapshot's log continues in (0 for a state file written before the log existed). */
const walSegmentOf = (snapshot: LocalChainSnapshot | undefined): number =>
  typeof snapshot?.["walSegment"] === "number" ? snapshot["walSegment"] : 0

/** A chain journaled to the state file's log, and its saves. */
export interface DurableState {
  /** Records replayed at start. */
  readonly replayed: number
  /** Saves a snapshot now (rotating the log first); older segments are deleted once it is in place. */
  readonly save: () => Promise<void>
  /** Flushes the log and writes the final snapshot, synchronously. */
  readonly closeSync: () => void
  /** Makes the chain as it is now the durable state at once (after a rollback rewrote history). */
  readonly rebaseSync: () => void
  /** Answers wait for this before they are sent (`undefined`: nothing pending). */
  readonly barrier: () => Promise<void> | undefined
}

/**
 * Replays the log after `snapshot` onto `chain`, then journals every later change. Writes a fresh
 * snapshot at once, so the replayed segments can go.
 */
export const makeDurable = (
  chain: LocalChain,
  stateFile: string,
  snapshot: LocalChainSnapshot | undefined,
  onError: (e: Error) => void
): DurableState => {
  const from = walSegmentOf(snapshot)
  let replayed = 0
  let lastAt: number | undefined
  for (const bytes of readSegments(stateFile, from)) {
    const r = decodeRecord(bytes)
    applyRecord(chain, r)
    lastAt = r.at
    replayed += 1
  }
  if (lastAt !== undefined) chain.catchUpClock(lastAt)
  const next = Math.max(from, ...listSegments(stateFile)) + 1
  const wal = WriteAheadLog.open(stateFile, next, onError)
  const journal: ChainJournal = { record: (r) => void wal.append(encodeRecord(r)), whenDurable: (done) => wal.whenDurable(done) }
  chain.attachJournal(journal)
  saveStateSync(stateFile, { ...chain.snapshot(), walSegment: next })
  wal.dropBefore(next)
  return {
    replayed,
    save: async () => {
      const segment = wal.rotate()
      await saveState(stateFile, { ...chain.snapshot(), walSegment: segment })
      wal.dropBefore(segment)
    },
    closeSync: () => {
      wal.closeSync()
      const segment = wal.currentSegment + 1
      saveStateSync(stateFile, { ...chain.snapshot(), walSegment: segment })
      wal.dropBefore(segment)
    },
    rebaseSync: () => {
      const segment = wal.rotate()
      saveStateSync(stateFile, { ...chain.snapshot(), walSegment: segment })
      wal.dropBefore(segment)
    },
    barrier: () => wal.barrier()
  }
}
