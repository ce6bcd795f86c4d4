/**
 * A live subscription read into a bounded buffer.
 *
 * The gRPC client reads a server stream as fast as the network gives it, whatever the follower
 * does with it (protobuf-ts and grpc-js queue every frame they are handed), so a follower that
 * falls behind a burst would otherwise hold the whole burst in memory. Here at most `capacity`
 * frames wait for the follower. One more ends the subscription, as a full node ends a subscriber
 * that does not read: the call is cancelled and the follower sees `ChainSubscriptionLagged` after
 * the frames it had buffered. It then resumes from its own position through the history reads
 * (ListEvents / ListCheckpoints) it uses to fill any gap, so nothing is lost, and its position
 * check drops whatever it is handed twice.
 */
import { Data, Effect, Queue, type Scope, Stream, Take } from "effect"
import { type CallOpts, type ChainRpcError, serverStream } from "./rpc.js"

/** The follower fell `capacity` frames behind a live subscription, which was ended. */
export class ChainSubscriptionLagged extends Data.TaggedError("ChainSubscriptionLagged")<{
  readonly method: string
  readonly capacity: number
}> {}

export type SubscriptionError = ChainRpcError | ChainSubscriptionLagged

/** Frames of a live subscription, then its end, its error or `ChainSubscriptionLagged`. */
export type Subscription<A> = Queue.Dequeue<Take.Take<A, SubscriptionError>>

/**
 * Opens `method` and reads it into a queue of at most `capacity` frames (plus the final take),
 * for the life of the current scope.
 */
export const boundedSubscription = <A>(
  method: string,
  open: (opts: CallOpts) => { readonly responses: AsyncIterable<A> },
  capacity: number
): Effect.Effect<Subscription<A>, never, Scope.Scope> =>
  Effect.gen(function* () {
    // One slot more than the frames it may hold, so the final take always fits without waiting.
    const queue = yield* Effect.acquireRelease(Queue.bounded<Take.Take<A, SubscriptionError>>(capacity + 1), Queue.shutdown)
    const lagged = new ChainSubscriptionLagged({ method, capacity })
    // The only producer: a size read before the offer cannot be overtaken by another offer.
    const pump = serverStream(method, open).pipe(
      Stream.runForEachChunk((chunk) =>
        Effect.flatMap(Queue.size(queue), (size) => (size >= capacity ? Effect.fail(lagged) : Queue.offer(queue, Take.chunk(chunk))))
      ),
      Effect.matchEffect({
        // Ending the stream (here, on a lag) closes its scope, which cancels the call.
        onFailure: (e: SubscriptionError) => Queue.offer(queue, Take.fail(e)),
        onSuccess: () => Queue.offer(queue, Take.end)
      })
    )
    yield* Effect.forkScoped(pump)
    return queue
  })
