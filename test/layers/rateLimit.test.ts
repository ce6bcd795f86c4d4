/** The AgentMessage token buckets: burst, refill, one report per burst, and no bucket kept for an ended session. */
import { describe, expect, it } from "@effect/vitest"
import { makeRateLimiter, SWEEP_EVERY_MS } from "../../src/layers/AgentApi/rateLimit.js"

describe("AgentMessage rate limit", () => {
  it("allows a burst of `capacity`, then `perSecond`; reports the first drop of each burst once", () => {
    const limiter = makeRateLimiter({ capacity: 3, perSecond: 1 })
    const takes = Array.from({ length: 5 }, () => limiter.take("a", 0))
    expect(takes.map((t) => t.allowed)).toEqual([true, true, true, false, false])
    expect(takes.map((t) => t.firstDrop)).toEqual([false, false, false, true, false])
    expect(limiter.take("a", 1_000)).toEqual({ allowed: true, firstDrop: false })
    expect(limiter.take("a", 1_000)).toEqual({ allowed: false, firstDrop: true })
    // another session has its own bucket
    expect(limiter.take("b", 1_000).allowed).toBe(true)
  })

  it("drops the buckets of sessions that stopped logging once they refilled, and keeps those still drawing", () => {
    const limiter = makeRateLimiter({ capacity: 10, perSecond: 10 })
    for (let i = 0; i < 1_000; i++) for (let k = 0; k < 10; k++) limiter.take(`ended-${i}`, 0)
    expect(limiter.size()).toBe(1_000)
    // a live session keeps logging; the 1,000 others have ended (their buckets refill in 1 s)
    let t = 0
    for (; t <= SWEEP_EVERY_MS; t += 50) limiter.take("live", t)
    expect(limiter.size()).toBe(1)
    // the live one's bucket is the same bucket: its last draw is still counted
    for (let k = 0; k < 10; k++) limiter.take("live", t)
    expect(limiter.take("live", t).allowed).toBe(false)
  })
})
