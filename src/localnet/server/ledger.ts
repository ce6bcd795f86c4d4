/**
 * `sui.rpc.v2.LedgerService`: service info, objects, transactions, checkpoints, the epoch, and the
 * range queries ListCheckpoints / ListEvents (ascending; watermarks on every frame; exactly one
 * QueryEnd frame on success). History below `lowest_available_checkpoint` answers NOT_FOUND for
 * point lookups and OUT_OF_RANGE for ranges.
 */
import { GrpcTypes } from "@mysten/sui/grpc"
import type { ServerContext } from "./context.js"
import {
  comparePositions,
  compileEventFilter,
  decodeCursor,
  encodeCursor,
  endOf,
  eventsOf,
  type Position
} from "./events.js"
import { checkMask } from "./masks.js"
import { encodeMasked, fieldNumbers, frame, maskWith } from "./encode.js"
import { applyMask, maskOf } from "./readMask.js"
import type { ServiceHandlers, StreamSink } from "./rpc.js"
import { invalidArgument, notFound, prunedCheckpoint, prunedRange, RpcStatusError, Status, unimplemented } from "./status.js"
import { CHECKPOINT_DEFAULT_MASK, EVENT_DEFAULT_MASK, filteredEventsDisabled } from "./subscriptions.js"

const OBJECT_DEFAULT_MASK = ["object_id", "version", "digest"]
const TRANSACTION_DEFAULT_MASK = ["digest"]
const EPOCH_DEFAULT_MASK = ["epoch"]
const MAX_BATCH = 1000

/** Default and maximum items per ListEvents / ListCheckpoints call. */
export const EVENTS_LIMIT = { default: 50, max: 1000 } as const
export const CHECKPOINTS_LIMIT = { default: 10, max: 100 } as const
/** Checkpoints one filtered scan may visit before it ends with SCAN_LIMIT. */
export const SCAN_BUDGET = 10_000

const LIST_EVENTS = fieldNumbers(GrpcTypes.ListEventsResponse as never)

const statusOf = (e: RpcStatusError) => ({ code: e.code, message: e.details, details: [] })

const requireId = (id: string | undefined, what: string): string => {
  if (id === undefined || id.length === 0) throw invalidArgument(`missing ${what}`)
  return id
}

export const ledgerHandlers = (ctx: ServerContext): ServiceHandlers => {
  const chain = ctx.chain

  const lookupObject = (req: GrpcTypes.GetObjectRequest): GrpcTypes.Object => {
    const id = requireId(req.objectId, "object_id")
    const object = chain.getObject(id, req.version)
    if (object === undefined) {
      throw notFound(req.version === undefined ? `object ${id} not found` : `object ${id} at version ${req.version} not found`)
    }
    return object
  }

  const lookupTransaction = (digest: string | undefined): GrpcTypes.ExecutedTransaction => {
    const d = requireId(digest, "digest")
    const tx = chain.getTransaction(d)
    if (tx === undefined) throw notFound(`transaction ${d} not found`)
    return tx
  }

  const checkpointAt = (seq: bigint): GrpcTypes.Checkpoint => {
    const lowest = chain.lowestAvailableCheckpoint()
    if (seq < lowest) throw prunedCheckpoint(seq, lowest)
    const cp = chain.getCheckpoint(seq)
    if (cp === undefined) throw notFound(`checkpoint ${seq} not found`)
    return cp
  }

  const tipOf = (): bigint => chain.latestCheckpoint().sequenceNumber ?? 0n

  return {
    GetServiceInfo: () => chain.serviceInfo(),

    GetObject: (req: GrpcTypes.GetObjectRequest): Uint8Array => {
      const mask = maskOf(req.readMask, OBJECT_DEFAULT_MASK)
      checkMask(GrpcTypes.Object, mask)
      return encodeMasked(GrpcTypes.GetObjectResponse, { object: lookupObject(req) }, maskWith("object", mask))
    },

    BatchGetObjects: (req: GrpcTypes.BatchGetObjectsRequest): Uint8Array => {
      if (req.requests.length > MAX_BATCH) throw invalidArgument(`at most ${MAX_BATCH} objects per batch`)
      const mask = maskOf(req.readMask, OBJECT_DEFAULT_MASK)
      checkMask(GrpcTypes.Object, mask)
      const response: GrpcTypes.BatchGetObjectsResponse = {
        objects: req.requests.map((r): GrpcTypes.GetObjectResult => {
          try {
            return { result: { oneofKind: "object", object: lookupObject(r) } }
          } catch (e) {
            if (e instanceof RpcStatusError) return { result: { oneofKind: "error", error: statusOf(e) } }
            throw e
          }
        })
      }
      return encodeMasked(GrpcTypes.BatchGetObjectsResponse, response, maskWith("objects", maskWith("object", mask, "error")))
    },

    GetTransaction: (req: GrpcTypes.GetTransactionRequest): Uint8Array => {
      const mask = maskOf(req.readMask, TRANSACTION_DEFAULT_MASK)
      checkMask(GrpcTypes.ExecutedTransaction, mask)
      return encodeMasked(GrpcTypes.GetTransactionResponse, { transaction: lookupTransaction(req.digest) }, maskWith("transaction", mask))
    },

    BatchGetTransactions: (req: GrpcTypes.BatchGetTransactionsRequest): Uint8Array => {
      if (req.digests.length > MAX_BATCH) throw invalidArgument(`at most ${MAX_BATCH} transactions per batch`)
      const mask = maskOf(req.readMask, TRANSACTION_DEFAULT_MASK)
      checkMask(GrpcTypes.ExecutedTransaction, mask)
      const response: GrpcTypes.BatchGetTransactionsResponse = {
        transactions: req.digests.map((d): GrpcTypes.GetTransactionResult => {
          try {
            return { result: { oneofKind: "transaction", transaction: lookupTransaction(d) } }
          } catch (e) {
            if (e instanceof RpcStatusError) return { result: { oneofKind: "error", error: statusOf(e) } }
            throw e
          }
        })
      }
      return encodeMasked(GrpcTypes.BatchGetTransactionsResponse, response, maskWith("transactions", maskWith("transaction", mask, "error")))
    },

    GetCheckpoint: (req: GrpcTypes.GetCheckpointRequest): Uint8Array => {
      const mask = maskOf(req.readMask, CHECKPOINT_DEFAULT_MASK)
      checkMask(GrpcTypes.Checkpoint, mask)
      const id = req.checkpointId
      let cp: GrpcTypes.Checkpoint
      if (id.oneofKind === "sequenceNumber") cp = checkpointAt(id.sequenceNumber)
      else if (id.oneofKind === "digest") {
        const found = chain.getCheckpointByDigest(id.digest)
        if (found === undefined) throw notFound(`checkpoint ${id.digest} not found`)
        cp = found
      } else cp = chain.latestCheckpoint()
      return encodeMasked(GrpcTypes.GetCheckpointResponse, { checkpoint: cp }, maskWith("checkpoint", mask))
    },

    GetEpoch: (req: GrpcTypes.GetEpochRequest): GrpcTypes.GetEpochResponse => {
      const mask = maskOf(req.readMask, EPOCH_DEFAULT_MASK)
      checkMask(GrpcTypes.Epoch, mask)
      const epoch = chain.epoch(req.epoch)
      if (epoch === undefined) throw notFound(`epoch ${req.epoch} not found`)
      return { epoch: applyMask(GrpcTypes.Epoch, epoch, mask) }
    },

    ListCheckpoints: (req: GrpcTypes.ListCheckpointsRequest, sink: StreamSink<GrpcTypes.ListCheckpointsResponse>) => {
      if (req.filter !== undefined) throw unimplemented("transaction filters on ListCheckpoints are not supported")
      if (req.options?.ordering === GrpcTypes.Ordering.DESCENDING) throw unimplemented("descending ordering is not supported")
      const mask = maskOf(req.readMask, CHECKPOINT_DEFAULT_MASK)
      checkMask(GrpcTypes.Checkpoint, mask)
      const limit = clampLimit(req.options?.limit, CHECKPOINTS_LIMIT)
      const lowest = chain.lowestAvailableCheckpoint()
      const tip = tipOf()
      const after = req.options?.after !== undefined && req.options.after.length > 0 ? decodeCheckpointCursor(req.options.after) : undefined
      const before = req.options?.before !== undefined && req.options.before.length > 0 ? decodeCheckpointCursor(req.options.before) : undefined
      if (req.startCheckpoint !== undefined && req.startCheckpoint < lowest) throw prunedRange(req.startCheckpoint, lowest)
      let first = req.startCheckpoint ?? lowest
      if (after !== undefined) {
        if (after + 1n < lowest) throw prunedRange(after + 1n, lowest)
        if (after + 1n > first) first = after + 1n
      }
      const rangeEnd = req.endCheckpoint !== undefined && req.endCheckpoint <= tip + 1n ? req.endCheckpoint : tip + 1n
      let stop = rangeEnd
      let reason = req.endCheckpoint !== undefined && req.endCheckpoint <= tip + 1n ? GrpcTypes.QueryEndReason.CHECKPOINT_BOUND : GrpcTypes.QueryEndReason.LEDGER_TIP
      if (before !== undefined && before < stop) {
        stop = before
        reason = GrpcTypes.QueryEndReason.CURSOR_BOUND
      }
      let last: bigint | undefined = after
      let sent = 0
      for (let seq = first; seq < stop; seq++) {
        const cp = checkpointAt(seq)
        sent++
        last = seq
        const frame: GrpcTypes.ListCheckpointsResponse = {
          checkpoint: cp,
          watermark: { cursor: encodeCheckpointCursor(seq), checkpoint: seq }
        }
        const frameMask = maskWith("checkpoint", mask, "watermark", "end")
        if (sent >= limit) {
          frame.end = { reason: GrpcTypes.QueryEndReason.ITEM_LIMIT }
          sink.write(encodeMasked(GrpcTypes.ListCheckpointsResponse, frame, frameMask))
          return sink.end()
        }
        sink.write(encodeMasked(GrpcTypes.ListCheckpointsResponse, frame, frameMask))
      }
      const final = reason === GrpcTypes.QueryEndReason.CURSOR_BOUND ? before! : maxBig(last, stop > 0n ? stop - 1n : undefined)
      const watermark: GrpcTypes.Watermark = { cursor: encodeCheckpointCursor(final ?? 0n) }
      if (last !== undefined && reason !== GrpcTypes.QueryEndReason.CURSOR_BOUND) watermark.checkpoint = final!
      sink.write({ watermark, end: { reason } })
      sink.end()
    },

    ListEvents: (req: GrpcTypes.ListEventsRequest, sink: StreamSink<GrpcTypes.ListEventsResponse>) => {
      if (ctx.faults.filteredEventsUnimplemented) throw filteredEventsDisabled()
      if (req.options?.ordering === GrpcTypes.Ordering.DESCENDING) throw unimplemented("descending ordering is not supported")
      const matches = compileEventFilter(req.filter)
      const mask = maskOf(req.readMask, EVENT_DEFAULT_MASK)
      checkMask(GrpcTypes.Event, mask)
      const limit = clampLimit(req.options?.limit, EVENTS_LIMIT)
      const lowest = chain.lowestAvailableCheckpoint()
      const tip = tipOf()
      const after = req.options?.after !== undefined && req.options.after.length > 0 ? decodeCursor(req.options.after) : undefined
      const before = req.options?.before !== undefined && req.options.before.length > 0 ? decodeCursor(req.options.before) : undefined
      if (req.startCheckpoint !== undefined && req.startCheckpoint < lowest) throw prunedRange(req.startCheckpoint, lowest)
      let first = req.startCheckpoint ?? lowest
      if (after !== undefined) {
        // Events right after the cursor live in its checkpoint (or the next one at a boundary).
        const next = comparePositions(after, endOf(after.checkpoint)) === 0 ? after.checkpoint + 1n : after.checkpoint
        if (next < lowest) throw prunedRange(next, lowest)
        if (next > first) first = next
      }
      const bounded = req.endCheckpoint !== undefined && req.endCheckpoint <= tip + 1n
      const stop = bounded ? req.endCheckpoint! : tip + 1n
      let frontier: Position | undefined = after
      let covered: bigint | undefined
      let sent = 0
      let scanned = 0
      const watermark = (): GrpcTypes.Watermark => {
        const w: GrpcTypes.Watermark = { cursor: encodeCursor(frontier ?? endOf(first > 0n ? first - 1n : 0n)) }
        if (covered !== undefined) w.checkpoint = covered
        return w
      }
      for (let seq = first; seq < stop; seq++) {
        if (scanned >= SCAN_BUDGET) {
          sink.write({ watermark: watermark(), end: { reason: GrpcTypes.QueryEndReason.SCAN_LIMIT } })
          return sink.end()
        }
        scanned++
        const cp = checkpointAt(seq)
        for (const { position, event } of eventsOf(cp)) {
          if (after !== undefined && comparePositions(position, after) <= 0) continue
          if (before !== undefined && comparePositions(position, before) >= 0) {
            frontier = before
            sink.write({ watermark: watermark(), end: { reason: GrpcTypes.QueryEndReason.CURSOR_BOUND } })
            return sink.end()
          }
          if (!matches(event)) continue
          frontier = position
          sent++
          const w = GrpcTypes.Watermark.toBinary(watermark())
          if (sent >= limit) {
            const end = GrpcTypes.QueryEnd.toBinary({ reason: GrpcTypes.QueryEndReason.ITEM_LIMIT })
            sink.write(frame([[LIST_EVENTS.event!, encodeMasked(GrpcTypes.Event, event, mask)], [LIST_EVENTS.watermark!, w], [LIST_EVENTS.end!, end]]))
            return sink.end()
          }
          sink.write(frame([[LIST_EVENTS.event!, encodeMasked(GrpcTypes.Event, event, mask)], [LIST_EVENTS.watermark!, w]]))
        }
        const boundary = endOf(seq)
        if (before !== undefined && comparePositions(boundary, before) >= 0) {
          frontier = before
          sink.write({ watermark: watermark(), end: { reason: GrpcTypes.QueryEndReason.CURSOR_BOUND } })
          return sink.end()
        }
        frontier = boundary
        covered = seq
      }
      const reason = bounded ? GrpcTypes.QueryEndReason.CHECKPOINT_BOUND : GrpcTypes.QueryEndReason.LEDGER_TIP
      sink.write({ watermark: watermark(), end: { reason } })
      sink.end()
    }
  }
}

const clampLimit = (limit: number | undefined, bounds: { readonly default: number; readonly max: number }): number =>
  limit === undefined || limit === 0 ? bounds.default : Math.min(limit, bounds.max)

const maxBig = (a: bigint | undefined, b: bigint | undefined): bigint | undefined =>
  a === undefined ? b : b === undefined ? a : a > b ? a : b

/** ListCheckpoints cursors: the checkpoint's sequence number as 8 big-endian bytes. */
export const encodeCheckpointCursor = (seq: bigint): Uint8Array => {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setBigUint64(0, seq)
  return bytes
}

const decodeCheckpointCursor = (bytes: Uint8Array): bigint => {
  if (bytes.length !== 8) throw new RpcStatusError(Status.INVALID_ARGUMENT, "invalid cursor")
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0)
}
