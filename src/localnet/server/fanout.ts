/**
 * Live fan-out of sealed checkpoints to stream subscribers, like a full node: every subscriber
 * starts at the live tip, has a buffer of 256 checkpoints on top of the transport's own, and is
 * dropped (stream ended with UNAVAILABLE) when that buffer overflows — a slow reader never slows
 * the chain or the other subscribers.
 *
 * The unit is the checkpoint, as in a full node, whose per-subscriber channel holds checkpoints:
 * the frames a filtered stream (SubscribeEvents, SubscribeTransactions) makes of one checkpoint
 * are handed over together, so counting frames dropped a reader that kept up the moment one
 * checkpoint carried a few hundred matching events.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import type { StreamSink } from "./rpc.js"
import { RpcStatusError, Status } from "./status.js"

/** Checkpoints a subscriber may have waiting before it is dropped. */
export const SUBSCRIBER_BUFFER = 256

/** One subscriber's outgoing queue with the overflow rule. */
export class Subscriber<O> {
  private readonly queue: Array<O | Uint8Array> = []
  /** Per queued frame: whether it is the last frame of its checkpoint. */
  private readonly ends: Array<boolean> = []
  /** Checkpoints whose last frame is queued. */
  private queuedCheckpoints = 0
  private blocked = false
  private dropped = false

  constructor(
    private readonly sink: StreamSink<O>,
    private readonly onGone: () => void,
    private readonly capacity: number = SUBSCRIBER_BUFFER
  ) {
    sink.signal.addEventListener("abort", () => onGone(), { once: true })
  }

  get closed(): boolean {
    return this.dropped || this.sink.closed
  }

  /** Frames waiting in this subscriber's buffer. */
  get buffered(): number {
    return this.queue.length
  }

  /**
   * Hands over one frame; `endsCheckpoint` is false for all but the last of the frames made of one
   * checkpoint (each event of a SubscribeEvents stream, before its checkpoint's closing watermark).
   */
  send(frame: O | Uint8Array, endsCheckpoint = true): void {
    if (this.closed) return
    if (this.blocked) {
      if (endsCheckpoint && this.queuedCheckpoints >= this.capacity) {
        this.drop(
          new RpcStatusError(
            Status.UNAVAILABLE,
            `subscription dropped: subscriber fell behind (buffer of ${this.capacity} checkpoints full)`
          )
        )
        return
      }
      this.queue.push(frame)
      this.ends.push(endsCheckpoint)
      if (endsCheckpoint) this.queuedCheckpoints++
      return
    }
    if (!this.sink.write(frame)) this.waitForDrain()
  }

  /** Ends the stream with `error` after the frames already handed to the transport. */
  drop(error: RpcStatusError): void {
    if (this.closed) return
    this.dropped = true
    this.queue.length = 0
    this.ends.length = 0
    this.queuedCheckpoints = 0
    this.sink.fail(error)
    this.onGone()
  }

  private waitForDrain(): void {
    this.blocked = true
    this.sink.onDrain(() => this.flush())
  }

  private flush(): void {
    this.blocked = false
    while (this.queue.length > 0 && !this.closed) {
      const frame = this.queue.shift()!
      if (this.ends.shift() === true) this.queuedCheckpoints--
      if (!this.sink.write(frame)) {
        this.waitForDrain()
        return
      }
    }
  }
}

/** A registered stream: receives each sealed checkpoint and turns it into frames. */
export interface CheckpointListener {
  /** Called once per sealed checkpoint, in order. `shared` caches encodings across listeners. */
  onCheckpoint(checkpoint: GrpcTypes.Checkpoint, shared: Map<string, Uint8Array>): void
  drop(error: RpcStatusError): void
}

/** The set of live streams of one server. */
export class Fanout {
  private readonly listeners = new Set<CheckpointListener>()

  get size(): number {
    return this.listeners.size
  }

  add(listener: CheckpointListener): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  publish(checkpoint: GrpcTypes.Checkpoint): void {
    const shared = new Map<string, Uint8Array>()
    for (const listener of [...this.listeners]) listener.onCheckpoint(checkpoint, shared)
  }

  /** Ends every stream (or those matching `which`) with `error`. */
  dropAll(error: RpcStatusError, which: (l: CheckpointListener) => boolean = () => true): number {
    let n = 0
    for (const listener of [...this.listeners]) {
      if (!which(listener)) continue
      this.listeners.delete(listener)
      listener.drop(error)
      n++
    }
    return n
  }
}
