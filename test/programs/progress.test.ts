import { describe, expect, it } from "@effect/vitest"
import { slidingRate } from "../../src/programs/progress.js"

describe("progress: jobs/s over a sliding window", () => {
  it("stays steady while jobs settle in batches (9 every 3 s is 3 jobs/s, not 0 then 9)", () => {
    const samples: Array<{ at: number; completed: number }> = []
    const rates: Array<number> = []
    let completed = 0
    for (let t = 0; t <= 120_000; t += 1000) {
      if (t > 0 && t % 3000 === 0) completed += 9
      samples.push({ at: t, completed })
      while (samples.length > 2 && samples[1]!.at <= t - 30_000) samples.shift()
      if (t >= 30_000) rates.push(slidingRate(samples))
    }
    for (const r of rates) {
      expect(r).toBeGreaterThan(2.6)
      expect(r).toBeLessThan(3.4)
    }
  })

  it("is 0 with fewer than two samples or no time between them", () => {
    expect(slidingRate([])).toBe(0)
    expect(slidingRate([{ at: 5, completed: 3 }])).toBe(0)
    expect(slidingRate([{ at: 5, completed: 3 }, { at: 5, completed: 9 }])).toBe(0)
  })
})
