/**
 * The SDK's job loop on a virtual clock: how many jobs run at once, when it stops, how often it
 * asks while idle, how a failure ends it. The clock moves only when the loop or a job waits, so
 * nothing here depends on the machine's speed.
 */
import { describe, expect, it } from "vitest"
import { serveJobs } from "../../src/sdk/index.js"

/** A clock that moves by what is slept, each wait a macrotask so jobs and the loop interleave. */
const virtualClock = () => {
  let t = 0
  const tick = () => new Promise<void>((r) => setImmediate(r))
  return {
    now: () => t,
    sleep: async (ms: number) => {
      await tick()
      t += ms
    },
    /** Waits (moving the clock, as every waiter does) until it reads `at` or later. */
    until: async (at: number) => {
      while (t < at) {
        await tick()
        t += 10
      }
    }
  }
}

/** Counts jobs running at once and the most ever seen. */
const gauge = () => {
  let now = 0
  let max = 0
  return {
    enter: () => {
      now++
      max = Math.max(max, now)
    },
    leave: () => {
      now--
    },
    get max() {
      return max
    }
  }
}

// a hang is a failure here, not a 5-minute wait
describe("serveJobs", { timeout: 20_000 }, () => {
  it("runs up to `concurrency` jobs at once, never more, and every job offered", async () => {
    const clock = virtualClock()
    const offered = Array.from({ length: 20 }, (_, i) => i)
    const ran: Array<number> = []
    const g = gauge()
    await serveJobs(
      async () => offered.shift(),
      async (j) => {
        g.enter()
        await clock.sleep(10)
        ran.push(j)
        g.leave()
      },
      { concurrency: 4, lingerMs: 200, pollMs: 50, now: clock.now, sleep: clock.sleep }
    )
    expect(g.max).toBe(4)
    expect([...ran].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i))
  })

  it("keeps every slot after an idle spell while one job runs long (slots do not stop one by one)", async () => {
    const clock = virtualClock()
    const g = gauge()
    // one long job, then nothing for 3 lingers, then 4 jobs at once
    const script: Array<() => string | undefined> = [() => "long"]
    let later = 4
    const next = async () => script.shift()?.() ?? (clock.now() >= 3_000 && later > 0 ? `short-${later--}` : undefined)
    await serveJobs(
      next,
      async (j) => {
        g.enter()
        if (j === "long") await clock.until(6_000)
        else await clock.sleep(100)
        g.leave()
      },
      { concurrency: 4, lingerMs: 1_000, pollMs: 50, now: clock.now, sleep: clock.sleep }
    )
    // the long job and three of the four short ones at once: no slot was given up
    expect(g.max).toBe(4)
    expect(later).toBe(0)
  })

  it("returns once nothing has run or been offered for lingerMs, asking once per poll while idle", async () => {
    const clock = virtualClock()
    let asks = 0
    let lastJobEnded = 0
    let jobs = 3
    await serveJobs(
      async () => {
        asks++
        return jobs-- > 0 ? "job" : undefined
      },
      async () => {
        await clock.sleep(5)
        lastJobEnded = clock.now()
      },
      { concurrency: 8, lingerMs: 1_000, pollMs: 50, now: clock.now, sleep: clock.sleep }
    )
    const idle = clock.now() - lastJobEnded
    expect(idle).toBeGreaterThanOrEqual(1_000)
    expect(idle).toBeLessThan(1_000 + 2 * 50)
    // one loop asks, not one per slot: about lingerMs / pollMs asks while idle (8 slots would ask 8 times as often)
    expect(asks - 3).toBeLessThanOrEqual(1_000 / 50 + 3)
  })

  it("a job that throws ends the loop with its error, after the others finish; no job is asked for after it", async () => {
    const clock = virtualClock()
    const finished: Array<string> = []
    let asksAfterFailure = 0
    let failed = false
    const offered = ["slow", "bad", "x", "y"]
    const out = serveJobs(
      async () => {
        if (failed) asksAfterFailure++
        return offered.shift()
      },
      async (j) => {
        if (j === "bad") {
          failed = true
          throw new Error("bad job")
        }
        await clock.sleep(j === "slow" ? 500 : 1)
        finished.push(j)
      },
      { concurrency: 2, lingerMs: 1_000, pollMs: 50, now: clock.now, sleep: clock.sleep }
    )
    await expect(out).rejects.toThrow("bad job")
    expect(finished).toContain("slow")
    expect(asksAfterFailure).toBeLessThanOrEqual(1)
  })

  it("a failing GetJob ends the loop with its error once running jobs finish", async () => {
    const clock = virtualClock()
    const finished: Array<string> = []
    let calls = 0
    const out = serveJobs(
      async () => {
        if (++calls === 2) throw new Error("coordinator gone")
        return "job"
      },
      async (j) => {
        await clock.sleep(100)
        finished.push(j)
      },
      { concurrency: 4, lingerMs: 1_000, pollMs: 50, now: clock.now, sleep: clock.sleep }
    )
    await expect(out).rejects.toThrow("coordinator gone")
    expect(finished).toEqual(["job"])
  })
})
