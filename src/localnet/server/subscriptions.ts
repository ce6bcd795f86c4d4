/**
 * `sui.rpc.v2.SubscriptionService`: SubscribeCheckpoints and SubscribeEvents from the live tip.
 *
 * SubscribeEvents sends one frame per matching event (watermark cursor = that event's position,
 * watermark checkpoint = the previous, fully covered checkpoint) and one item-less frame at the end
 * of every checkpoint (cursor = checkpoint boundary, checkpoint = this one), so a client can persist
 * its resume point even while nothing matches.
 */
import { GrpcTypes } from "@mysten/sui/grpc"
import type { ServerContext } from "./context.js"
import { compileEventFilter, encodeCursor, endOf, eventsOf } from "./events.js"
import { Subscriber, type CheckpointListener } from "./fanout.js"
import { encodeMasked, fieldNumbers, frame, maskKey, maskWith } from "./encode.js"
import { maskOf } from "./readMask.js"
import type { ServiceHandlers, StreamSink } from "./rpc.js"
import { unimplemented } from "./status.js"
import { checkMask } from "./masks.js"

/** Read mask default for checkpoints (as GetCheckpoint). */
export const CHECKPOINT_DEFAULT_MASK = ["sequence_number", "digest"]
/** Read mask default for events: everything but the JSON rendering. */
export const EVENT_DEFAULT_MASK = [
  "package_id",
  "module",
  "sender",
  "event_type",
  "contents",
  "checkpoint",
  "transaction_digest",
  "transaction_index",
  "event_index"
]

const SUBSCRIBE_EVENTS = fieldNumbers(GrpcTypes.SubscribeEventsResponse as never)

export const filteredEventsDisabled = () =>
  unimplemented("filtered event queries are not available on this node; follow checkpoints instead")

export const subscriptionHandlers = (ctx: ServerContext): ServiceHandlers => ({
  SubscribeCheckpoints: (request: GrpcTypes.SubscribeCheckpointsRequest, sink: StreamSink<GrpcTypes.SubscribeCheckpointsResponse>) => {
    if (request.filter !== undefined) throw unimplemented("transaction filters on SubscribeCheckpoints are not supported")
    const mask = maskOf(request.readMask, CHECKPOINT_DEFAULT_MASK)
    checkMask(GrpcTypes.Checkpoint, mask)
    const key = `cp:${maskKey(mask)}`
    let remove = () => {}
    const subscriber = new Subscriber(sink, () => remove())
    const listener: CheckpointListener = {
      onCheckpoint: (checkpoint, shared) => {
        let bytes = shared.get(key)
        if (bytes === undefined) {
          bytes = encodeMasked(
            GrpcTypes.SubscribeCheckpointsResponse,
            { cursor: checkpoint.sequenceNumber ?? 0n, checkpoint },
            maskWith("checkpoint", mask, "cursor")
          )
          shared.set(key, bytes)
        }
        subscriber.send(bytes)
      },
      drop: (error) => subscriber.drop(error)
    }
    remove = ctx.fanout.add(listener)
    if (subscriber.closed) remove()
  },

  SubscribeEvents: (request: GrpcTypes.SubscribeEventsRequest, sink: StreamSink<GrpcTypes.SubscribeEventsResponse>) => {
    if (ctx.faults.filteredEventsUnimplemented) throw filteredEventsDisabled()
    const matches = compileEventFilter(request.filter)
    const mask = maskOf(request.readMask, EVENT_DEFAULT_MASK)
    checkMask(GrpcTypes.Event, mask)
    const eventMaskKey = maskKey(mask)
    let remove = () => {}
    const subscriber = new Subscriber(sink, () => remove())
    const listener: CheckpointListener & { readonly filtered: true } = {
      filtered: true,
      onCheckpoint: (checkpoint, shared) => {
        const seq = checkpoint.sequenceNumber ?? 0n
        const covered = seq > 0n ? seq - 1n : undefined
        const located = eventsOf(checkpoint)
        for (let i = 0; i < located.length; i++) {
          const { position, event } = located[i]!
          if (!matches(event)) continue
          const watermark: GrpcTypes.Watermark = { cursor: encodeCursor(position) }
          if (covered !== undefined) watermark.checkpoint = covered
          // Subscribers with the same mask share one encoding of each event.
          const key = `ev:${eventMaskKey}:${i}`
          let bytes = shared.get(key)
          if (bytes === undefined) shared.set(key, (bytes = encodeMasked(GrpcTypes.Event, event, mask)))
          subscriber.send(frame([[SUBSCRIBE_EVENTS.event!, bytes], [SUBSCRIBE_EVENTS.watermark!, GrpcTypes.Watermark.toBinary(watermark)]]), false)
          if (subscriber.closed) return
        }
        subscriber.send({ watermark: { cursor: encodeCursor(endOf(seq)), checkpoint: seq } })
      },
      drop: (error) => subscriber.drop(error)
    }
    remove = ctx.fanout.add(listener)
    if (subscriber.closed) remove()
  }
})

/** True for SubscribeEvents streams (the UNIMPLEMENTED switch ends them). */
export const isFilteredListener = (l: CheckpointListener): boolean => (l as { filtered?: boolean }).filtered === true
