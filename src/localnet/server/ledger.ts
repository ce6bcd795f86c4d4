/**
 * `sui.rpc.v2.LedgerService`: service info, objects, transactions, checkpoints, the epoch, and the
 * range queries ListCheckpoints (listCheckpoints.ts) / ListEvents / ListTransactions
 * (transactions.ts), in either ordering (queryScan.ts; watermarks on every frame; exactly one
 * QueryEnd frame on success). History below `lowest_available_checkpoint` answers NOT_FOUND for
 * point lookups and OUT_OF_RANGE for ranges.
 */
import { GrpcTypes } from "@mysten/sui/grpc"
import type { ServerContext } from "./context.js"
import type { LocalChain } from "../chain.js"
import { compileEventFilter, eventsOf } from "./events.js"
import { listCheckpoints } from "./listCheckpoints.js"
import { checkMask } from "./masks.js"
import { encodeMasked, fieldNumbers, frame, maskWith } from "./encode.js"
import { applyMask, maskOf } from "./readMask.js"
import type { ServiceHandlers, StreamSink } from "./rpc.js"
import { runScan, SCAN_BUDGET, scanRequestOf } from "./queryScan.js"
import { invalidArgument, notFound, prunedCheckpoint, RpcStatusError } from "./status.js"
import { CHECKPOINT_DEFAULT_MASK, EVENT_DEFAULT_MASK, filteredEventsDisabled } from "./subscriptions.js"

const OBJECT_DEFAULT_MASK = ["object_id", "version", "digest"]
const TRANSACTION_DEFAULT_MASK = ["digest"]
const EPOCH_DEFAULT_MASK = ["epoch"]
const MAX_BATCH = 1000

/** Default and maximum items per ListEvents call. */
export const EVENTS_LIMIT = { default: 50, max: 1000 } as const
/** Checkpoints one filtered scan may visit before it ends with SCAN_LIMIT. */

const LIST_EVENTS = fieldNumbers(GrpcTypes.ListEventsResponse as never)

const statusOf = (e: RpcStatusError) => ({ code: e.code, message: e.details, details: [] })

const requireId = (id: string | undefined, what: string): string => {
  if (id === undefined || id.length === 0) throw invalidArgument(`missing ${what}`)
  return id
}

/** Point lookups: NOT_FOUND for what the node does not have (pruned checkpoints included). */
const lookups = (chain: LocalChain) => ({
  object: (req: GrpcTypes.GetObjectRequest): GrpcTypes.Object => {
    const id = requireId(req.objectId, "object_id")
    const object = chain.getObject(id, req.version)
    if (object === undefined) {
      throw notFound(req.version === undefined ? `object ${id} not found` : `object ${id} at version ${req.version} not found`)
    }
    return object
  },
  transaction: (digest: string | undefined): GrpcTypes.ExecutedTransaction => {
    const d = requireId(digest, "digest")
    const tx = chain.getTransaction(d)
    if (tx === undefined) throw notFound(`transaction ${d} not found`)
    return tx
  },
  checkpoint: (seq: bigint): GrpcTypes.Checkpoint => {
    const lowest = chain.lowestAvailableCheckpoint()
    if (seq < lowest) throw prunedCheckpoint(seq, lowest)
    const cp = chain.getCheckpoint(seq)
    if (cp === undefined) throw notFound(`checkpoint ${seq} not found`)
    return cp
  }
})

/** A batch's per-item answer: the value, or the status a single lookup would have answered. */
const perItem = <T>(lookup: () => T): { value: T } | { error: ReturnType<typeof statusOf> } => {
  try {
    return { value: lookup() }
  } catch (e) {
    if (e instanceof RpcStatusError) return { error: statusOf(e) }
    throw e
  }
}

export const ledgerHandlers = (ctx: ServerContext): ServiceHandlers => {
  const chain = ctx.chain
  const { object: lookupObject, transaction: lookupTransaction, checkpoint: checkpointAt } = lookups(chain)
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
          const got = perItem(() => lookupObject(r))
          return { result: "value" in got ? { oneofKind: "object", object: got.value } : { oneofKind: "error", error: got.error } }
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
          const got = perItem(() => lookupTransaction(d))
          return { result: "value" in got ? { oneofKind: "transaction", transaction: got.value } : { oneofKind: "error", error: got.error } }
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

    ListCheckpoints: (req: GrpcTypes.ListCheckpointsRequest, sink: StreamSink<GrpcTypes.ListCheckpointsResponse>) =>
      listCheckpoints(req, { lowest: chain.lowestAvailableCheckpoint(), tip: tipOf(), at: checkpointAt, budget: SCAN_BUDGET }, maskOf(req.readMask, CHECKPOINT_DEFAULT_MASK), sink),

    ListEvents: (req: GrpcTypes.ListEventsRequest, sink: StreamSink<GrpcTypes.ListEventsResponse>) => {
      if (ctx.faults.filteredEventsUnimplemented) throw filteredEventsDisabled()
      listEvents(req, { lowest: chain.lowestAvailableCheckpoint(), tip: tipOf(), at: checkpointAt }, sink)
    }
  }
}

/** ListEvents: the events of `[start, end)` ∩ `(after, before)` matching the filter, in either order. */
const listEvents = (
  req: GrpcTypes.ListEventsRequest,
  src: { lowest: bigint; tip: bigint; at: (seq: bigint) => GrpcTypes.Checkpoint },
  sink: StreamSink<GrpcTypes.ListEventsResponse>
): void => {
  const matches = compileEventFilter(req.filter)
  const mask = maskOf(req.readMask, EVENT_DEFAULT_MASK)
  checkMask(GrpcTypes.Event, mask)
  const scan = scanRequestOf(req, EVENTS_LIMIT)
  runScan(scan, { lowest: src.lowest, tip: src.tip, items: (seq) => eventsOf(src.at(seq)), position: (l) => l.position, matches: (l) => matches(l.event) }, {
    item: ({ event }, watermark, end) => {
      const fields: Array<readonly [number, Uint8Array]> = [[LIST_EVENTS.event!, encodeMasked(GrpcTypes.Event, event, mask)], [LIST_EVENTS.watermark!, GrpcTypes.Watermark.toBinary(watermark)]]
      if (end !== undefined) fields.push([LIST_EVENTS.end!, GrpcTypes.QueryEnd.toBinary(end)])
      sink.write(frame(fields))
      if (end !== undefined) sink.end()
    },
    finish: (watermark, reason) => {
      sink.write({ watermark, end: { reason } })
      sink.end()
    }
  })
}
