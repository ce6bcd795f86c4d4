/**
 * A live subscription read into a bounded buffer.
 *
 * The gRPC client reads a server stream as fast as the network gives it, whatever the follower
 * does with it (protobuf-ts and grpc-js queue every frame they are handed), so a follower that
 * falls behind a burst would otherwise hold the whole burst in memory. Here at most `capacity`
 * batches of frames wait for the follower. One more ends the subscription, as a full node ends a
 * subscriber that does not read: the call is cancelled and the follower sees
 * `ChainSubscriptionLagged` after the frames it had buffered. It then resumes from its own position through the history reads
 * (ListEvents / ListCheckpoints) it uses to fill any gap, so nothing is lost, and its position
 * check drops whatever it is handed twice.
 */
import { Chunk, Data, Effect, Option, Queue, type Scope, Take } from "effect"
import { type CallOpts, type ChainRpcError, toRpcError } from "./rpc.js"

/** The follower fell `capacity` batches of frames behind a live subscription, which was ended. */
export class ChainSubscriptionLagged extends Data.TaggedError("ChainSubscriptionLagged")<{
  readonly method: string
  readonly capacity: number
}> {}

export type SubscriptionError = ChainRpcError | ChainSubscriptionLagged

/** Frames of a live subscription, then its end, its error or `ChainSubscriptionLagged`. */
export type Subscription<A> = Queue.Dequeue<Take.Take<A, SubscriptionError>>

/**
 * Opens `method` and reads it into a queue of at most `capacity` batches (plus the final take), for
 * the life of the current scope. A batch is every frame read from the network in one turn of the
 * event loop (a node hands over a checkpoint's frames together), so the follower takes a burst in
 * one step instead of paying a stream step, a queue offer and a take for each of its frames. A
 * batch holds what that turn's socket reads brought, so `capacity` batches stay a bounded amount
 * of memory.
 */
export const boundedSubscription = <A>(
  method: string,
  open: (opts: CallOpts) => { readonly responses: AsyncIterable<A> },
  capacity: number
): Effect.Effect<Subscription<A>, never, Scope.Scope> =>
  Effect.gen(function* () {
    // One slot more than the batches it may hold, so the final take always fits.
    const queue = yield* Effect.acquireRelease(Queue.bounded<Take.Take<A, SubscriptionError>>(capacity + 1), Queue.shutdown)
    // Ending the scope cancels the call (and so ends the reading loop below).
    const call = yield* Effect.acquireRelease(
      Effect.sync(() => new AbortController()),
      (ac) => Effect.sync(() => ac.abort())
    )
    let batch: Array<A> = []
    let scheduled = false
    let ended = false
    /** The only producer, on the JS side: a size read before an offer cannot be overtaken. */
    const offer = (take: Take.Take<A, SubscriptionError>) => {
      if (!ended) Queue.unsafeOffer(queue, take)
    }
    const finish = (take: Take.Take<A, SubscriptionError>) => {
      offer(take)
      ended = true
      call.abort()
    }
    const handOver = () => {
      scheduled = false
      if (ended || batch.length === 0) return
      const frames = batch
      batch = []
      const waiting = Option.getOrElse(queue.unsafeSize(), () => 0)
      // A full buffer ends the subscription, as a full node ends a subscriber that does not read.
      if (waiting >= capacity) finish(Take.fail(new ChainSubscriptionLagged({ method, capacity })))
      else offer(Take.chunk(Chunk.unsafeFromArray(frames)))
    }
    const read = async () => {
      try {
        for await (const frame of open({ abort: call.signal }).responses) {
          if (ended) return
          batch.push(frame)
          if (!scheduled) {
            scheduled = true
            setImmediate(handOver)
          }
        }
        handOver()
        finish(Take.end)
      } catch (e) {
        handOver()
        finish(Take.fail(toRpcError(method)(e)))
      }
    }
    void read()
    return queue
  })
