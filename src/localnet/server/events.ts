/**
 * Events as the filtered-event calls serve them: ledger positions and their opaque cursors, the
 * `EventFilter` DNF (terms ORed, literals ANDed, each literal optionally negated), and the events
 * of a checkpoint annotated with checkpoint, transaction digest/index and event index.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { invalidArgument } from "./status.js"

/** A position in ledger order: (checkpoint, transaction index in it, event index in it). */
export interface Position {
  readonly checkpoint: bigint
  readonly tx: number
  readonly event: number
}

const END = 0xffffffff

/** The position after everything in `checkpoint` (a checkpoint-boundary cursor). */
export const endOf = (checkpoint: bigint): Position => ({ checkpoint, tx: END, event: END })
/** The position before everything in `checkpoint`. */
export const startOf = (checkpoint: bigint): Position => ({ checkpoint, tx: 0, event: 0 })

/** Cursor bytes: u64 checkpoint, u32 transaction index, u32 event index, big-endian. */
export const encodeCursor = (p: Position): Uint8Array => {
  const bytes = new Uint8Array(16)
  const view = new DataView(bytes.buffer)
  view.setBigUint64(0, p.checkpoint)
  view.setUint32(8, p.tx)
  view.setUint32(12, p.event)
  return bytes
}

export const decodeCursor = (bytes: Uint8Array): Position => {
  if (bytes.length !== 16) throw invalidArgument("invalid cursor")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { checkpoint: view.getBigUint64(0), tx: view.getUint32(8), event: view.getUint32(12) }
}

export const comparePositions = (a: Position, b: Position): number =>
  a.checkpoint !== b.checkpoint ? (a.checkpoint < b.checkpoint ? -1 : 1) : a.tx !== b.tx ? a.tx - b.tx : a.event - b.event

/** One event of a checkpoint with its position. */
export interface LocatedEvent {
  readonly position: Position
  readonly event: GrpcTypes.Event
}

/** The events of a checkpoint in ledger order, annotated the way ListEvents/SubscribeEvents return them. */
export const eventsOf = (checkpoint: GrpcTypes.Checkpoint): LocatedEvent[] => {
  // Checkpoints are immutable once sealed; every subscriber and replay shares one annotation.
  const cached = located.get(checkpoint)
  if (cached !== undefined) return cached
  const seq = checkpoint.sequenceNumber ?? 0n
  const out: LocatedEvent[] = []
  const txs = checkpoint.transactions
  for (let t = 0; t < txs.length; t++) {
    const tx = txs[t]!
    const events = tx.events?.events
    if (events === undefined) continue
    for (let e = 0; e < events.length; e++) {
      const event = events[e]!
      const annotated: GrpcTypes.Event = { ...event, checkpoint: seq, eventIndex: e }
      if (tx.digest !== undefined) annotated.transactionDigest = tx.digest
      if (tx.transactionIndex !== undefined) annotated.transactionIndex = tx.transactionIndex
      if (annotated.sender === undefined && tx.transaction?.sender !== undefined) annotated.sender = tx.transaction.sender
      out.push({ position: { checkpoint: seq, tx: t, event: e }, event: annotated })
    }
  }
  located.set(checkpoint, out)
  return out
}

const located = new WeakMap<GrpcTypes.Checkpoint, LocatedEvent[]>()

/** A compiled event filter. */
export type EventPredicate = (event: GrpcTypes.Event) => boolean

const addressCache = new Map<string, string>()
const normAddress = (a: string): string => {
  let n = addressCache.get(a)
  if (n === undefined) {
    n = normalizeSuiAddress(a)
    if (addressCache.size > 10_000) addressCache.clear()
    addressCache.set(a, n)
  }
  return n
}

/** Splits `addr::module::Name<...>` into its parts (generics kept verbatim, whitespace removed). */
const splitPath = (path: string): { address: string; module?: string; name?: string; typeArgs?: string } => {
  const compact = path.replace(/\s+/g, "")
  const lt = compact.indexOf("<")
  const head = lt >= 0 ? compact.slice(0, lt) : compact
  const parts = head.split("::")
  const out: { address: string; module?: string; name?: string; typeArgs?: string } = { address: parts[0] ?? "" }
  if (parts[1] !== undefined) out.module = parts[1]
  if (parts[2] !== undefined) out.name = parts[2]
  if (lt >= 0) out.typeArgs = compact.slice(lt)
  return out
}

const compileLiteral = (literal: GrpcTypes.EventLiteral): EventPredicate => {
  const p = literal.predicate
  let base: EventPredicate
  switch (p.oneofKind) {
    case "sender": {
      if (!p.sender.address) throw invalidArgument("sender filter requires an address")
      const want = normAddress(p.sender.address)
      base = (e) => e.sender !== undefined && normAddress(e.sender) === want
      break
    }
    case "emitModule": {
      if (!p.emitModule.module) throw invalidArgument("emit_module filter requires a module path")
      const want = splitPath(p.emitModule.module)
      if (want.name !== undefined || want.typeArgs !== undefined) throw invalidArgument(`invalid emit_module path: ${p.emitModule.module}`)
      const pkg = normAddress(want.address)
      base = (e) =>
        e.packageId !== undefined && normAddress(e.packageId) === pkg && (want.module === undefined || e.module === want.module)
      break
    }
    case "eventType": {
      if (!p.eventType.eventType) throw invalidArgument("event_type filter requires a type")
      const want = splitPath(p.eventType.eventType)
      if (want.typeArgs !== undefined && want.name === undefined) throw invalidArgument(`invalid event_type: ${p.eventType.eventType}`)
      const addr = normAddress(want.address)
      base = (e) => {
        if (e.eventType === undefined) return false
        const got = splitPath(e.eventType)
        if (normAddress(got.address) !== addr) return false
        if (want.module !== undefined && got.module !== want.module) return false
        if (want.name !== undefined && got.name !== want.name) return false
        if (want.typeArgs !== undefined && got.typeArgs !== want.typeArgs) return false
        return true
      }
      break
    }
    case "eventStreamHead":
      // The localnet has no authenticated event streams, so nothing is committed to any head.
      base = () => false
      break
    default:
      throw invalidArgument("event filter literal has no predicate")
  }
  return literal.negated ? (e) => !base(e) : base
}

/** Compiles an `EventFilter`; an absent filter matches everything, an empty one is invalid. */
export const compileEventFilter = (filter: GrpcTypes.EventFilter | undefined): EventPredicate => {
  if (filter === undefined) return () => true
  if (filter.terms.length === 0) throw invalidArgument("event filter must have at least one term")
  const terms = filter.terms.map((term) => {
    if (term.literals.length === 0) throw invalidArgument("event filter term must have at least one literal")
    const literals = term.literals.map(compileLiteral)
    return (e: GrpcTypes.Event) => literals.every((l) => l(e))
  })
  return (e) => terms.some((t) => t(e))
}
