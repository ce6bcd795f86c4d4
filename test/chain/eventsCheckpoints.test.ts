/**
 * ChainEvents on the checkpoint path, chosen by itself because the node answers UNIMPLEMENTED to
 * the filtered calls: the stream is cut 20 times while 500 jobs are created at random moments, and
 * every JobCreatedEvent must arrive exactly once and in order.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { cutWhileCreating, eventsLayer, scopedNet } from "./fixture.js"

describe("ChainEvents (checkpoint path)", { timeout: 600_000 }, () => {
  it.scopedLive("checkpoint path (node without filtered events): 20 cuts during 500 job creations, exactly once and in order", () =>
    Effect.gen(function* () {
      const n = yield* scopedNet({ filteredEventsUnimplemented: true })
      const r = yield* cutWhileCreating(n, 500, 20).pipe(
        Effect.provide(eventsLayer(n, { mode: "auto", backoffInitialMs: 20, backoffMaxMs: 200, silenceMs: 5_000 }))
      )
      expect(r.created.length).toBe(500)
      expect(r.cutsDone).toBe(20)
      expect(r.stats.path).toBe("checkpoints")
      expect(r.stats.reconnects).toBeGreaterThanOrEqual(1)
      expect(r.seen).toEqual([...r.created].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    })
  )
})
