import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  afterStartFailure,
  backoffDelay,
  healthyStart,
  isDegraded,
  type StartHealth,
  startBatch
} from "../../src/programs/startBackoff.js"

const policy = { baseMillis: 1_000, maxMillis: 60_000, giveUpAfter: 5 }

describe("start back-off", () => {
  it("delays double from the base and stop at the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => backoffDelay(policy, n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000
    ])
  })

  it("retries until the give-up count, then gives up with the reason on every further failure", () => {
    let h: StartHealth = healthyStart
    const tags: Array<string> = []
    let now = 0
    for (let i = 0; i < 7; i++) {
      const [next, decision] = afterStartFailure(policy, h, now, "no such image")
      expect(next.retryAt).toBe(now + decision.delayMillis)
      tags.push(decision._tag)
      if (decision._tag === "GiveUp") expect(decision.reason).toBe(`agent could not start (${i + 1} attempts): no such image`)
      h = next
      now = next.retryAt
    }
    expect(tags).toEqual(["Retry", "Retry", "Retry", "Retry", "GiveUp", "GiveUp", "GiveUp"])
    expect(isDegraded(policy, h)).toBe(true)
    expect(h.lastError).toBe("no such image")
  })

  it("a degraded triple probes with one job; a healthy or backing-off one gets the prefetch", () => {
    expect(startBatch(policy, healthyStart, 32)).toBe(32)
    expect(startBatch(policy, { failures: 4, lastError: "x", retryAt: 0 }, 32)).toBe(32)
    expect(startBatch(policy, { failures: 5, lastError: "x", retryAt: 0 }, 32)).toBe(1)
  })

  it.prop(
    "the log lines per hour of a never-starting agent are bounded by the cap",
    [fc.integer({ min: 1_000, max: 5_000 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 64 })],
    ([baseMillis, giveUpAfter, capFactor]) => {
      const p = { baseMillis, maxMillis: baseMillis * capFactor, giveUpAfter }
      let h: StartHealth = healthyStart
      let steps = 0
      while (h.retryAt < 3_600_000) {
        const [next, decision] = afterStartFailure(p, h, h.retryAt, "e")
        expect(decision.delayMillis).toBeGreaterThanOrEqual(baseMillis)
        expect(decision.delayMillis).toBeLessThanOrEqual(p.maxMillis)
        h = next
        steps += 1
      }
      // one line per step: no more than the steps of the exponential ramp plus one per cap interval
      expect(steps).toBeLessThanOrEqual(Math.ceil(Math.log2(capFactor)) + 1 + Math.ceil(3_600_000 / p.maxMillis))
    }
  )
})
