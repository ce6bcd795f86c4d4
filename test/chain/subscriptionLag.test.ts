/**
 * ChainEvents with a consumer that falls behind a burst: the live subscription holds a bounded
 * number of batches of frames, is ended when the follower falls further behind (as a full node ends a
 * subscriber that does not read), and the follower reads the rest from history — every event of
 * the burst delivered once, in order, with no reconnect counted against the node.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Stream } from "effect"
import { ChainEvents, type ChainItem } from "../../src/layers/ChainEvents.js"
import { endOf } from "../../src/chain/follow.js"
import { createJobs } from "../../src/localnet/client.js"
import { appHex, eventsLayer, METHOD, scopedNet } from "./fixture.js"
import { waitUntil } from "../support/wait.js"

const BURST = 300

describe.each(["filtered", "checkpoints"] as const)("ChainEvents behind a burst (%s path)", (mode) => {
  it.scopedLive(`a burst of ${BURST} jobs against a subscription buffer of 8 batches is followed with nothing lost and nothing twice`, () =>
    Effect.gen(function* () {
      const n = yield* scopedNet()
      const app = appHex(n.manifest.appInstanceId)
      const run = Effect.gen(function* () {
        const events = yield* ChainEvents
        yield* events.commit({ ...endOf(n.chain.latestCheckpoint().sequenceNumber ?? 0n), token: null })
        const gate = yield* Deferred.make<void>()
        const created: bigint[] = []
        const fiber = yield* events.stream.pipe(
          // The consumer takes nothing after its first item until the whole burst is on chain.
          Stream.tap(() => Deferred.await(gate)),
          Stream.tap((item: ChainItem) =>
            Effect.sync(() => {
              if (item._tag === "Event" && item.event._tag === "JobCreatedEvent" && item.event.appInstance === app) {
                created.push(item.event.jobSequence)
              }
            })
          ),
          Stream.tap(events.commit),
          // It reads on after the burst: ending the stream would end the follower and its
          // subscription, and the re-subscription below is to be seen while it still follows.
          Stream.runDrain,
          Effect.fork
        )
        yield* Effect.promise(() => waitUntil("the follower subscribed", () => n.subscriptions() === 1))
        const burst = yield* Effect.promise(() => createJobs(n.manifest, { count: BURST, method: METHOD, perTransaction: 10 }))
        // The follower's subscription overflowed its 8 batches and was cancelled: the node has no
        // subscriber left while the consumer is still held.
        yield* Effect.promise(() => waitUntil("the lagging subscription ended", () => n.subscriptions() === 0))
        yield* Deferred.succeed(gate, undefined)
        yield* Effect.promise(() => waitUntil("the burst delivered", () => created.length >= BURST, { progress: () => created.length }))
        // It subscribed again once it had read the rest from history.
        yield* Effect.promise(() => waitUntil("subscribed again", () => n.subscriptions() === 1))
        const stats = yield* events.stats
        // The follower is still running: no failure ended it.
        expect(fiber.unsafePoll()).toBeNull()
        yield* Fiber.interrupt(fiber)
        return { burst: burst.jobSequences, created: [...created], stats }
      }).pipe(Effect.provide(eventsLayer(n, { mode, buffer: 1, subscriptionBuffer: 8, silenceMs: 120_000 })))
      const { burst, created, stats } = yield* run
      expect(burst).toHaveLength(BURST)
      expect(created).toEqual(burst)
      expect(stats.lagged).toBeGreaterThanOrEqual(1)
      expect(stats.reconnects).toBe(0)
      expect(stats.path).toBe(mode)
    })
  )
})
