/**
 * ChainEvents against the localnet over gRPC on the filtered path: the stream is cut 20 times while
 * 500 jobs are created at random moments (every JobCreatedEvent exactly once, in order); a fresh
 * start begins at the tip; silence triggers a reconnect. The checkpoint path: eventsCheckpoints.test.ts.
 * Live clock: the localnet and the follower's back-off run in real time.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { createJobs } from "../../src/localnet/client.js"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { ChainEvents } from "../../src/layers/ChainEvents.js"
import { endOf } from "../../src/chain/follow.js"
import { eventually } from "../support/wait.js"
import { appHex, cutWhileCreating, eventsLayer, METHOD, scopedNet } from "./fixture.js"

/** Follows the stream in the background, keeping the sequences of this instance's JobCreatedEvents. */
const collectCreated = (n: LocalnetHandle) =>
  Effect.gen(function* () {
    const events = yield* ChainEvents
    const app = appHex(n.manifest.appInstanceId)
    const seen: bigint[] = []
    const fiber = yield* events.stream.pipe(
      Stream.tap((item) =>
        Effect.sync(() => {
          if (item._tag === "Event" && item.event._tag === "JobCreatedEvent" && item.event.appInstance === app) seen.push(item.event.jobSequence)
        })
      ),
      Stream.runDrain,
      Effect.fork
    )
    return { seen, fiber }
  })

describe("ChainEvents", { timeout: 600_000 }, () => {
  it.scopedLive("filtered path: 20 cuts during 500 job creations, every JobCreatedEvent exactly once and in order", () =>
    Effect.gen(function* () {
      const n = yield* scopedNet()
      const r = yield* cutWhileCreating(n, 500, 20).pipe(
        Effect.provide(eventsLayer(n, { mode: "auto", backoffInitialMs: 20, backoffMaxMs: 200, silenceMs: 5_000 }))
      )
      expect(r.created.length).toBe(500)
      expect(r.cutsDone).toBe(20)
      expect(r.stats.path).toBe("filtered")
      expect(r.stats.reconnects).toBeGreaterThanOrEqual(1)
      expect(r.seen).toEqual([...r.created].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    })
  )

  it.scopedLive("with no stored cursor starts at the tip: earlier jobs are not replayed, later ones arrive", () =>
    Effect.gen(function* () {
      const n = yield* scopedNet()
      const earlier = yield* Effect.promise(() => createJobs(n.manifest, { count: 5, method: METHOD }))
      const r = yield* Effect.gen(function* () {
        const { seen, fiber } = yield* collectCreated(n)
        // Keep creating single jobs until one comes through the stream (the follower is then live);
        // however long that takes, the ones created before it are not replayed.
        const later: bigint[] = []
        yield* eventually(
          "a job created after the start comes through",
          Effect.suspend(() =>
            seen.length > 0
              ? Effect.succeed(true)
              : Effect.promise(() => createJobs(n.manifest, { count: 1, method: METHOD })).pipe(
                  Effect.tap((r) => later.push(...r.jobSequences)),
                  Effect.zipRight(Effect.sleep("500 millis")),
                  Effect.map(() => seen.length > 0)
                )
          ),
          { pollMs: 0 }
        )
        yield* Fiber.interrupt(fiber)
        return { seen, later }
      }).pipe(Effect.provide(eventsLayer(n, { mode: "auto" })))
      expect(r.seen.length).toBeGreaterThan(0)
      for (const s of earlier.jobSequences) expect(r.seen).not.toContain(s)
      for (const s of r.seen) expect(r.later).toContain(s)
    })
  )

  it.scopedLive("reconnects when the stream goes silent, then still delivers what happens next", () =>
    Effect.gen(function* () {
      const n = yield* scopedNet()
      const r = yield* Effect.gen(function* () {
        const events = yield* ChainEvents
        yield* events.commit({ ...endOf(n.chain.latestCheckpoint().sequenceNumber ?? 0n), token: null })
        const { seen, fiber } = yield* collectCreated(n)
        // Checkpoints are paused: nothing arrives, so the follower must reconnect on silence.
        n.faults.pauseCheckpoints()
        yield* eventually("two reconnects", Effect.map(events.stats, (s) => s.reconnects >= 2))
        const reconnects = (yield* events.stats).reconnects
        const created = yield* Effect.promise(() => createJobs(n.manifest, { count: 3, method: METHOD }))
        n.faults.resumeCheckpoints()
        yield* eventually("the three jobs arrive", Effect.sync(() => seen.length >= 3))
        yield* Fiber.interrupt(fiber)
        return { reconnects, created: created.jobSequences, seen }
      }).pipe(Effect.provide(eventsLayer(n, { mode: "auto", silenceMs: 300, backoffInitialMs: 20, backoffMaxMs: 100 })))
      expect(r.reconnects).toBeGreaterThanOrEqual(2)
      expect(r.seen).toEqual(r.created)
    })
  )
})
