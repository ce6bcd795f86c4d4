/**
 * ChainEvents on the checkpoint path, chosen by itself because the node answers UNIMPLEMENTED to
 * the filtered calls: the stream is cut 20 times while 500 jobs are created at random moments, and
 * every JobCreatedEvent must arrive exactly once and in order.
 */
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { cutWhileCreating, eventsLayer, startNet } from "./fixture.js"

let net: LocalnetHandle | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

describe("ChainEvents (checkpoint path)", { timeout: 600_000 }, () => {
  it("checkpoint path (node without filtered events): 20 cuts during 500 job creations, exactly once and in order", async () => {
    net = await startNet({ filteredEventsUnimplemented: true })
    const n = net
    const r = await Effect.runPromise(
      Effect.scoped(cutWhileCreating(n, 500, 20)).pipe(
        Effect.provide(eventsLayer(n, { mode: "auto", backoffInitialMs: 20, backoffMaxMs: 200, silenceMs: 5_000 }))
      )
    )
    expect(r.created.length).toBe(500)
    expect(r.cutsDone).toBe(20)
    expect(r.stats.path).toBe("checkpoints")
    expect(r.stats.reconnects).toBeGreaterThanOrEqual(1)
    expect(r.seen).toEqual([...r.created].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
  })

})
