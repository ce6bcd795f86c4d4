/**
 * The `chain` health check reads when the node was last heard from; it never waits on the node.
 * Against a real TCP server that accepts the gRPC connection and never answers (a node, or a
 * daemon too busy to read the answer): while the checkpoint stream keeps delivering, the check is
 * healthy but degraded with the probe's error; once nothing has been heard for the silence window
 * it fails. Time is the TestClock (the probe's own timeout too); the stream is its counter only.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Ref, TestClock } from "effect"
import type { ChainEventsService, ChainEventsStats } from "../../src/layers/ChainEvents.js"
import { CHAIN_SILENCE_MS, chainWatch } from "../../src/layers/Health.js"
import { silentNode } from "./silentNode.js"

/** The stream's counters, moved by the test: the checkpoint stream as the check sees it. */
const streamCounter = Effect.map(Ref.make(0), (checkpoints) => ({
  deliver: Ref.update(checkpoints, (n) => n + 1),
  service: {
    stats: Effect.map(Ref.get(checkpoints), (n): ChainEventsStats => ({
      path: "checkpoints",
      events: 0,
      checkpoints: n,
      reconnects: 0,
      replayGaps: 0,
      rewinds: 0,
      lagged: 0,
      decodeErrors: 0
    }))
  } as unknown as ChainEventsService
}))

describe("the chain check", () => {
  it.scoped("stays healthy (degraded) while the stream delivers and the probe gets no answer; fails after the silence window", () =>
    Effect.gen(function* () {
      const sui = yield* silentNode
      const stream = yield* streamCounter
      // the first probe runs before chainWatch returns: let its 5 s pass on the TestClock
      const fiber = yield* Effect.fork(chainWatch(sui, Option.none(), Option.some(stream.service), { silenceMs: CHAIN_SILENCE_MS }))
      yield* TestClock.adjust("6 seconds")
      const check = yield* fiber.await.pipe(Effect.flatten)

      // nothing heard at all yet: failing, with the probe's reason
      const never = yield* check
      expect(never.healthy).toBe(false)
      expect(String(never.details["error"])).toMatch(/^full node at http:\/\/127\.0\.0\.1:\d+ does not answer: no answer within 5 s$/)

      // checkpoints arrive: heard from, though the probe still gets nothing
      yield* stream.deliver
      const flowing = yield* check
      expect(flowing).toMatchObject({ healthy: true, degraded: true })
      expect(String(flowing.details["error"])).toContain("does not answer")

      // still within the window without a new checkpoint
      yield* TestClock.adjust(CHAIN_SILENCE_MS - 1_000)
      expect((yield* check).healthy).toBe(true)
      // (the check notes a delivery when it looks: each refresh, every 2 s in the daemon)
      yield* stream.deliver
      expect((yield* check).healthy).toBe(true)
      yield* TestClock.adjust(CHAIN_SILENCE_MS - 1_000)
      expect((yield* check).healthy).toBe(true)

      // the stream stops too: failing once the window has passed since the last checkpoint
      yield* TestClock.adjust(2_000)
      const silent = yield* check
      expect(silent.healthy).toBe(false)
      expect(silent.details["silent_ms"]).toBeGreaterThan(CHAIN_SILENCE_MS)
      expect(String(silent.details["error"])).toContain("does not answer")
    })
  )
})
