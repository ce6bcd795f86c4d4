/**
 * ChainEvents against the localnet over gRPC on the filtered path: the stream is cut 20 times while
 * 500 jobs are created at random moments (every JobCreatedEvent exactly once, in order); a fresh
 * start begins at the tip; silence triggers a reconnect. The checkpoint path: eventsCheckpoints.test.ts.
 */
import { Effect, Fiber, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { createJobs } from "../../src/localnet/client.js"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { ChainEvents } from "../../src/layers/ChainEvents.js"
import { endOf } from "../../src/chain/follow.js"
import { STALL_MS } from "../support/wait.js"
import { cutWhileCreating, eventsLayer, METHOD, startNet } from "./fixture.js"

/** Waits in an Effect until `check` holds; the backstop is a hang, not a slow machine (STALL_MS). */
const until = (check: () => boolean | Effect.Effect<boolean>) =>
  Effect.gen(function* () {
    const deadline = Date.now() + STALL_MS
    for (;;) {
      const r = check()
      if (typeof r === "boolean" ? r : yield* r) return
      if (Date.now() > deadline) return yield* Effect.die(new Error("condition not reached"))
      yield* Effect.sleep("50 millis")
    }
  })

let net: LocalnetHandle | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

const appHex = (id: string) => id.toLowerCase().replace(/^0x/, "").padStart(64, "0")

describe("ChainEvents", { timeout: 600_000 }, () => {
  it("filtered path: 20 cuts during 500 job creations, every JobCreatedEvent exactly once and in order", async () => {
    net = await startNet()
    const n = net
    const r = await Effect.runPromise(
      Effect.scoped(cutWhileCreating(n, 500, 20)).pipe(
        Effect.provide(eventsLayer(n, { mode: "auto", backoffInitialMs: 20, backoffMaxMs: 200, silenceMs: 5_000 }))
      )
    )
    expect(r.created.length).toBe(500)
    expect(r.cutsDone).toBe(20)
    expect(r.stats.path).toBe("filtered")
    expect(r.stats.reconnects).toBeGreaterThanOrEqual(1)
    expect(r.seen).toEqual([...r.created].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
  })

  it("with no stored cursor starts at the tip: earlier jobs are not replayed, later ones arrive", async () => {
    net = await startNet()
    const n = net
    const app = appHex(n.manifest.appInstanceId)
    const earlier = await createJobs(n.manifest, { count: 5, method: METHOD })
    const r = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const events = yield* ChainEvents
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
          // Keep creating single jobs until one comes through the stream (the follower is then live);
          // however long that takes, the ones created before it are not replayed.
          const later: bigint[] = []
          yield* until(() =>
            seen.length > 0
              ? Effect.succeed(true)
              : Effect.promise(() => createJobs(n.manifest, { count: 1, method: METHOD })).pipe(
                  Effect.tap((r) => later.push(...r.jobSequences)),
                  Effect.zipRight(Effect.sleep("500 millis")),
                  Effect.as(seen.length > 0)
                )
          )
          yield* Fiber.interrupt(fiber)
          return { seen, later }
        })
      ).pipe(Effect.provide(eventsLayer(n, { mode: "auto" })))
    )
    expect(r.seen.length).toBeGreaterThan(0)
    for (const s of earlier.jobSequences) expect(r.seen).not.toContain(s)
    for (const s of r.seen) expect(r.later).toContain(s)
  })

  it("reconnects when the stream goes silent, then still delivers what happens next", async () => {
    net = await startNet()
    const n = net
    const app = appHex(n.manifest.appInstanceId)
    const r = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const events = yield* ChainEvents
          yield* events.commit({ ...endOf(n.chain.latestCheckpoint().sequenceNumber ?? 0n), token: null })
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
          // Checkpoints are paused: nothing arrives, so the follower must reconnect on silence.
          n.faults.pauseCheckpoints()
          yield* until(() => Effect.map(events.stats, (s) => s.reconnects >= 2))
          const reconnects = (yield* events.stats).reconnects
          const created = yield* Effect.promise(() => createJobs(n.manifest, { count: 3, method: METHOD }))
          n.faults.resumeCheckpoints()
          yield* until(() => seen.length >= 3)
          yield* Fiber.interrupt(fiber)
          return { reconnects, created: created.jobSequences, seen }
        })
      ).pipe(Effect.provide(eventsLayer(n, { mode: "auto", silenceMs: 300, backoffInitialMs: 20, backoffMaxMs: 100 })))
    )
    expect(r.reconnects).toBeGreaterThanOrEqual(2)
    expect(r.seen).toEqual(r.created)
  })
})
