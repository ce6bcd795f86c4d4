/**
 * `LedgerService.ListCheckpoints` as a full node serves it
 * (MystenLabs/sui crates/sui-rpc-api/src/grpc/v2/ledger_service/list_checkpoints.rs, with the
 * range and cursor rules of ledger_history/query_options.rs and the watermarks of
 * ledger_history/watermark.rs):
 * - ascending or descending over `[start_checkpoint, end_checkpoint)` ∩ `(after, before)`;
 *   cursors are checkpoint positions whatever the ordering (resume a descending read with the
 *   last watermark cursor as `before`);
 * - `filter` is a `TransactionFilter`: a checkpoint matches when any of its transactions does;
 *   a filtered scan visits at most SCAN_BUDGET checkpoints and then ends with SCAN_LIMIT;
 * - every item frame claims its own checkpoint covered (`list_checkpoints` dedupes checkpoints,
 *   so an emitted checkpoint is complete); the final frame claims the range's last checkpoint in
 *   scan direction on a natural end, only what was covered on a cursor bound;
 * - ascending ends at LEDGER_TIP (or CHECKPOINT_BOUND within the tip), descending at
 *   CHECKPOINT_BOUND, either at CURSOR_BOUND when a cursor sets the far end.
 * Cursors are the checkpoint's sequence number as 8 big-endian bytes (opaque to clients).
 */
import { GrpcTypes } from "@mysten/sui/grpc"
import { checkMask } from "./masks.js"
import { encodeMasked, maskWith } from "./encode.js"
import type { MaskTree } from "./readMask.js"
import { checkBounds } from "./queryScan.js"
import type { StreamSink } from "./rpc.js"
import { prunedRange, RpcStatusError, Status } from "./status.js"
import { compileTransactionFilter } from "./transactions.js"

export const CHECKPOINTS_LIMIT = { default: 10, max: 100 } as const

export interface CheckpointSource {
  readonly lowest: bigint
  readonly tip: bigint
  readonly at: (seq: bigint) => GrpcTypes.Checkpoint
  readonly budget: number
}

/** ListCheckpoints cursors: the checkpoint's sequence number as 8 big-endian bytes. */
export const encodeCheckpointCursor = (seq: bigint): Uint8Array => {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setBigUint64(0, seq)
  return bytes
}

const decodeCheckpointCursor = (bytes: Uint8Array | undefined): bigint | undefined => {
  if (bytes === undefined || bytes.length === 0) return undefined
  if (bytes.length !== 8) throw new RpcStatusError(Status.INVALID_ARGUMENT, "invalid cursor")
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0)
}

const watermark = (cursor: bigint, covered: bigint | undefined): GrpcTypes.Watermark =>
  covered === undefined ? { cursor: encodeCheckpointCursor(cursor) } : { cursor: encodeCheckpointCursor(cursor), checkpoint: covered }

/** The checkpoint interval `[first, stop)` a request resolves to, and why its far ends stop. */
const resolve = (req: GrpcTypes.ListCheckpointsRequest, src: CheckpointSource) => {
  checkBounds(req.startCheckpoint, req.endCheckpoint)
  const after = decodeCheckpointCursor(req.options?.after)
  const before = decodeCheckpointCursor(req.options?.before)
  if (req.startCheckpoint !== undefined && req.startCheckpoint < src.lowest) throw prunedRange(req.startCheckpoint, src.lowest)
  let first = req.startCheckpoint ?? src.lowest
  let lowByCursor = false
  if (after !== undefined) {
    if (after + 1n < src.lowest) throw prunedRange(after + 1n, src.lowest)
    if (after + 1n >= first) {
      first = after + 1n
      lowByCursor = true
    }
  }
  const bounded = req.endCheckpoint !== undefined && req.endCheckpoint <= src.tip + 1n
  let stop = bounded ? req.endCheckpoint! : src.tip + 1n
  let highReason = bounded ? GrpcTypes.QueryEndReason.CHECKPOINT_BOUND : GrpcTypes.QueryEndReason.LEDGER_TIP
  let highByCursor = false
  if (before !== undefined && before <= stop) {
    stop = before
    highReason = GrpcTypes.QueryEndReason.CURSOR_BOUND
    highByCursor = true
  }
  return { first, stop, after, before, lowByCursor, highByCursor, highReason }
}

/** Streams the request's checkpoints to `sink` (see the module comment). */
export const listCheckpoints = (req: GrpcTypes.ListCheckpointsRequest, src: CheckpointSource, mask: MaskTree, sink: StreamSink<GrpcTypes.ListCheckpointsResponse>): void => {
  checkMask(GrpcTypes.Checkpoint, mask)
  const matches = req.filter === undefined ? undefined : compileTransactionFilter(req.filter)
  const limit = req.options?.limit === undefined || req.options.limit === 0 ? CHECKPOINTS_LIMIT.default : Math.min(req.options.limit, CHECKPOINTS_LIMIT.max)
  const descending = req.options?.ordering === GrpcTypes.Ordering.DESCENDING
  const r = resolve(req, src)
  const frameMask = maskWith("checkpoint", mask, "watermark", "end")
  const finish = (w: GrpcTypes.Watermark, reason: GrpcTypes.QueryEndReason) => {
    sink.write({ watermark: w, end: { reason } })
    sink.end()
  }
  let covered: bigint | undefined
  let sent = 0
  let scanned = 0
  const step = descending ? -1n : 1n
  const from = descending ? r.stop - 1n : r.first
  const inRange = (seq: bigint) => (descending ? seq >= r.first : seq < r.stop)
  for (let seq = from; inRange(seq); seq += step) {
    if (matches !== undefined && scanned++ >= src.budget) {
      // the budget is at least 1, so a checkpoint was scanned: resume past it
      return finish(watermark(covered!, covered), GrpcTypes.QueryEndReason.SCAN_LIMIT)
    }
    const cp = src.at(seq)
    covered = seq
    if (matches !== undefined && !cp.transactions.some(matches)) continue
    const frame: GrpcTypes.ListCheckpointsResponse = { checkpoint: cp, watermark: watermark(seq, seq) }
    if (++sent >= limit) {
      frame.end = { reason: GrpcTypes.QueryEndReason.ITEM_LIMIT }
      sink.write(encodeMasked(GrpcTypes.ListCheckpointsResponse, frame, frameMask))
      return sink.end()
    }
    sink.write(encodeMasked(GrpcTypes.ListCheckpointsResponse, frame, frameMask))
  }
  // A single-number cursor `c` excludes `≤ c` as `after` and `≥ c` as `before`: the final cursor
  // is the one that resumes past everything this scan covered in its direction.
  const nonEmpty = r.first < r.stop
  if (r.first > src.tip) return finish(watermark(src.tip, undefined), GrpcTypes.QueryEndReason.LEDGER_TIP)
  // an interval a cursor emptied ends at that cursor (query_options.rs, `from_request`)
  const emptiedByCursor = !nonEmpty && (r.lowByCursor || r.highByCursor)
  if (descending) {
    const byCursor = r.lowByCursor || emptiedByCursor
    const reason = byCursor ? GrpcTypes.QueryEndReason.CURSOR_BOUND : GrpcTypes.QueryEndReason.CHECKPOINT_BOUND
    return finish(watermark(r.first, byCursor ? covered : nonEmpty ? r.first : undefined), reason)
  }
  if (emptiedByCursor) return finish(watermark(r.stop > 0n ? r.stop - 1n : 0n, undefined), GrpcTypes.QueryEndReason.CURSOR_BOUND)
  const end = r.stop > 0n ? r.stop - 1n : 0n
  return finish(watermark(end, r.highByCursor ? covered : nonEmpty ? end : undefined), r.highReason)
}
