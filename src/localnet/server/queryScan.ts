/**
 * The cursor-bounded scan behind ListEvents and ListTransactions, in both orderings, as a full
 * node runs it (MystenLabs/sui crates/sui-rpc-api/src/ledger_history/query_options.rs,
 * `ResolvedCheckpointRange::from_request` and `ResolvedScan::apply_cursor_bounds`; watermarks as
 * in ledger_history/watermark.rs):
 * - `after` / `before` are exclusive ledger positions whatever the ordering; ordering only picks
 *   the direction the open interval is walked in. A descending page is resumed by keeping
 *   `after` and passing the last watermark cursor as `before`.
 * - The request's checkpoint range composes with the cursors by intersection. An explicit
 *   `start_checkpoint` or `after` below the pruning point is OUT_OF_RANGE; an open low end is
 *   raised to it.
 * - Every item frame carries the item's position as its cursor and, once the scan has fully
 *   covered a checkpoint, the inclusive covered checkpoint in the scan direction (highest
 *   ascending, lowest descending).
 * - End reasons: ascending ends at LEDGER_TIP unless `end_checkpoint` bounds it within the tip
 *   (CHECKPOINT_BOUND); descending ends at CHECKPOINT_BOUND (the requested or implicit low
 *   end); the cursor on the scan's far side ends it with CURSOR_BOUND and claims only what the
 *   scan covered.
 */
import { GrpcTypes } from "@mysten/sui/grpc"
import { comparePositions, decodeCursor, encodeCursor, endOf, type Position } from "./events.js"
import { invalidArgument, prunedRange } from "./status.js"

/** A scan's request, as the three list methods share it. */
export interface ScanRequest {
  readonly startCheckpoint?: bigint | undefined
  readonly endCheckpoint?: bigint | undefined
  readonly after?: Position | undefined
  readonly before?: Position | undefined
  readonly descending: boolean
  readonly limit: number
  /** Checkpoints one scan may visit before it ends with SCAN_LIMIT. */
  readonly budget: number
}

/** A list method's page size: absent or 0 asks for `default`, more than `max` gets `max`. */
export interface ScanLimits {
  readonly default: number
  readonly max: number
}

/** Checkpoints one ListEvents / ListTransactions scan may visit before it ends with SCAN_LIMIT. */
export const SCAN_BUDGET = 10_000

/** The range, cursors, ordering and page size of a ListEvents or ListTransactions request. */
export const scanRequestOf = (
  req: { readonly startCheckpoint?: bigint; readonly endCheckpoint?: bigint; readonly options?: GrpcTypes.QueryOptions },
  limits: ScanLimits
): ScanRequest => {
  const o = req.options
  return {
    startCheckpoint: req.startCheckpoint,
    endCheckpoint: req.endCheckpoint,
    after: o?.after?.length ? decodeCursor(o.after) : undefined,
    before: o?.before?.length ? decodeCursor(o.before) : undefined,
    descending: o?.ordering === GrpcTypes.Ordering.DESCENDING,
    limit: o?.limit === undefined || o.limit === 0 ? limits.default : Math.min(o.limit, limits.max),
    budget: SCAN_BUDGET
  }
}

/** What the scanned ledger looks like now. */
export interface ScanLedger<T> {
  readonly lowest: bigint
  readonly tip: bigint
  /** The items of checkpoint `seq` in ledger order (throws for pruned history). */
  readonly items: (seq: bigint) => ReadonlyArray<T>
  /** The ledger position of `items(seq)[index]`. */
  readonly position: (item: T, seq: bigint, index: number) => Position
  readonly matches: (item: T) => boolean
}

/** Where frames go: items (the last one carries ITEM_LIMIT) and the payload-free final frame. */
export interface ScanOutput<T> {
  readonly item: (item: T, watermark: GrpcTypes.Watermark, end: GrpcTypes.QueryEnd | undefined) => void
  readonly finish: (watermark: GrpcTypes.Watermark, reason: GrpcTypes.QueryEndReason) => void
}

/**
 * The boundary below everything in `seq`: as `before`, it excludes `seq` and all above. For
 * checkpoint 0 it is the first position itself (a descending scan's resume cursor is only ever
 * used as `before`).
 */
export const startBoundary = (seq: bigint): Position => (seq > 0n ? endOf(seq - 1n) : { checkpoint: 0n, tx: 0, event: 0 })

/** `end_checkpoint` before `start_checkpoint` is a field violation (ledger_history/query_options.rs). */
export const checkBounds = (start: bigint | undefined, end: bigint | undefined): void => {
  if (start !== undefined && end !== undefined && end < start) {
    throw invalidArgument("end_checkpoint must be greater than or equal to start_checkpoint")
  }
}

/** The first checkpoint that can hold items after `after` (the next one at a checkpoint boundary). */
const firstAfter = (after: Position): bigint => (comparePositions(after, endOf(after.checkpoint)) === 0 ? after.checkpoint + 1n : after.checkpoint)

/** Raises the low end by the request's start and `after` cursor; OUT_OF_RANGE below the pruning point. */
const lowEnd = (req: ScanRequest, lowest: bigint): bigint => {
  if (req.startCheckpoint !== undefined && req.startCheckpoint < lowest) throw prunedRange(req.startCheckpoint, lowest)
  let first = req.startCheckpoint ?? lowest
  if (req.after !== undefined) {
    const next = firstAfter(req.after)
    if (next < lowest) throw prunedRange(next, lowest)
    if (next > first) first = next
  }
  return first
}

const watermarkOf = (frontier: Position, covered: bigint | undefined): GrpcTypes.Watermark =>
  covered === undefined ? { cursor: encodeCursor(frontier) } : { cursor: encodeCursor(frontier), checkpoint: covered }

/** Runs the scan, writing every frame to `out` (exactly one of them with QueryEnd). */
export const runScan = <T>(req: ScanRequest, ledger: ScanLedger<T>, out: ScanOutput<T>): void => {
  checkBounds(req.startCheckpoint, req.endCheckpoint)
  const first = lowEnd(req, ledger.lowest)
  const bounded = req.endCheckpoint !== undefined && req.endCheckpoint <= ledger.tip + 1n
  const stop = bounded ? req.endCheckpoint! : ledger.tip + 1n
  if (req.descending) return scanDown(req, ledger, out, first, stop)
  scanUp(req, ledger, out, first, stop, bounded)
}

const scanUp = <T>(req: ScanRequest, ledger: ScanLedger<T>, out: ScanOutput<T>, first: bigint, stop: bigint, bounded: boolean): void => {
  const { after, before } = req
  let frontier: Position = after ?? endOf(first > 0n ? first - 1n : 0n)
  let covered: bigint | undefined
  let sent = 0
  let scanned = 0
  const cursorBound = () => out.finish(watermarkOf(before!, covered), GrpcTypes.QueryEndReason.CURSOR_BOUND)
  for (let seq = first; seq < stop; seq++) {
    if (scanned++ >= req.budget) return out.finish(watermarkOf(frontier, covered), GrpcTypes.QueryEndReason.SCAN_LIMIT)
    const items = ledger.items(seq)
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!
      const position = ledger.position(item, seq, i)
      if (after !== undefined && comparePositions(position, after) <= 0) continue
      if (before !== undefined && comparePositions(position, before) >= 0) return cursorBound()
      if (!ledger.matches(item)) continue
      frontier = position
      const last = ++sent >= req.limit
      out.item(item, watermarkOf(frontier, covered), last ? { reason: GrpcTypes.QueryEndReason.ITEM_LIMIT } : undefined)
      if (last) return
    }
    const boundary = endOf(seq)
    if (before !== undefined && comparePositions(boundary, before) >= 0) return cursorBound()
    frontier = boundary
    covered = seq
  }
  out.finish(watermarkOf(frontier, covered), bounded ? GrpcTypes.QueryEndReason.CHECKPOINT_BOUND : GrpcTypes.QueryEndReason.LEDGER_TIP)
}

const scanDown = <T>(req: ScanRequest, ledger: ScanLedger<T>, out: ScanOutput<T>, first: bigint, stop: bigint): void => {
  const { after, before } = req
  let top = stop
  if (before !== undefined && before.checkpoint + 1n < top) top = before.checkpoint + 1n
  let frontier: Position = before ?? (top > 0n ? endOf(top - 1n) : startBoundary(0n))
  let covered: bigint | undefined
  let sent = 0
  let scanned = 0
  const cursorBound = () => out.finish(watermarkOf(after!, covered), GrpcTypes.QueryEndReason.CURSOR_BOUND)
  for (let seq = top - 1n; seq >= first; seq--) {
    if (scanned++ >= req.budget) return out.finish(watermarkOf(frontier, covered), GrpcTypes.QueryEndReason.SCAN_LIMIT)
    const items = ledger.items(seq)
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i]!
      const position = ledger.position(item, seq, i)
      if (before !== undefined && comparePositions(position, before) >= 0) continue
      if (after !== undefined && comparePositions(position, after) <= 0) return cursorBound()
      if (!ledger.matches(item)) continue
      frontier = position
      const last = ++sent >= req.limit
      out.item(item, watermarkOf(frontier, covered), last ? { reason: GrpcTypes.QueryEndReason.ITEM_LIMIT } : undefined)
      if (last) return
    }
    if (after !== undefined && after.checkpoint === seq) return cursorBound()
    frontier = startBoundary(seq)
    covered = seq
  }
  // The low end reached: the requested (or implicit) checkpoint bound, unless the cursor set it.
  if (after !== undefined && firstAfter(after) === first) return cursorBound()
  out.finish(watermarkOf(frontier, covered), GrpcTypes.QueryEndReason.CHECKPOINT_BOUND)
}
