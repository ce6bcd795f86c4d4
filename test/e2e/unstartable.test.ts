/**
 * An agent that cannot start (here: an image the process runtime has no command for): the
 * dispatcher backs off per triple with one log line per step, fails the started jobs on chain with
 * the reason once the back-off gives up, and `/health` shows the triple as degraded. Nothing is
 * left Running.
 */
import { afterEach, describe, expect, it } from "vitest"
import { type E2E, eventually, startE2E } from "./fixture.js"

let e2e: E2E | undefined
afterEach(async () => {
  await e2e?.close()
  e2e = undefined
})

describe("an agent that cannot start", () => {
  it("bounded log lines, jobs failed on chain with the reason, the triple degraded in /health, a healthy triple unaffected", async () => {
    const triples = [
      { developer: "e2e", agent: "rec", method: "broken", mode: "unstartable" as const },
      { developer: "e2e", agent: "rec", method: "fine", mode: "ok" as const }
    ]
    e2e = await startE2E({ triples, env: { AGENT_START_ATTEMPTS: "3", AGENT_START_BACKOFF_MAX_SECS: "2" } })
    const run = e2e
    const broken = await run.createJobs("broken", 5)
    const fine = await run.createJobs("fine", 5)
    const startedAt = Date.now()
    // the contract delays a retry by 60 s: move the localnet clock on instead of waiting
    const advance = setInterval(() => run.localnet.chain.advanceClock(61_000), 1_000)
    try {
      await eventually(async () => (await run.chainJobs(fine)).length === 0, 60_000, "the healthy triple's jobs completed")
      await eventually(
        async () => {
          const jobs = await run.chainJobs(broken)
          return jobs.length === 5 && jobs.every((j) => j.status === "Failed")
        },
        120_000,
        "the unstartable triple's jobs Failed on chain after their attempts"
      )
    } finally {
      clearInterval(advance)
    }
    const elapsedSecs = (Date.now() - startedAt) / 1000
    const jobs = await run.chainJobs(broken)
    for (const j of jobs) {
      expect(j.attempts).toBe(3)
      expect(j.error).toMatch(/^agent could not start \(\d+ attempts\): no process command for image test\/unstartable/)
    }
    const health = await run.health()
    expect(health.healthy).toBe(true)
    expect(health.degraded).toContain("agents")
    const trouble = health.checks["agents"]!.details["triples_failing_to_start"] as ReadonlyArray<Record<string, unknown>>
    expect(trouble).toHaveLength(1)
    expect(trouble[0]).toMatchObject({ agent_method: "broken", state: "degraded" })
    expect(String(trouble[0]!["last_error"])).toMatch(/no process command for image test\/unstartable/)

    const startLines = run.logs.filter((l) => /could not start/.test(l.message))
    console.log(`unstartable: ${startLines.length} start-failure lines, ${run.logs.length} warning+ lines in ${elapsedSecs.toFixed(1)} s`)
    // Back-off: 2 retries then give-up lines (one per failed start), then one probe per 2 s at most.
    expect(startLines.length).toBeGreaterThanOrEqual(3)
    expect(startLines.length).toBeLessThanOrEqual(3 + Math.ceil(elapsedSecs / 2) + 1)
    expect(startLines.filter((l) => l.level === "ERROR").length).toBeGreaterThanOrEqual(1)
    for (const l of startLines) expect(l.annotations["agent_method"]).toBe("broken")
    // after the first give-up the triple is probed with one job at a time
    const failedPerGiveUp = startLines
      .filter((l) => l.level === "ERROR")
      .map((l) => JSON.parse(l.message.slice(l.message.indexOf("{"))) as { failed_jobs: number })
      .map((f) => f.failed_jobs)
    expect(failedPerGiveUp[0]).toBe(5)
    for (const n of failedPerGiveUp.slice(1)) expect(n).toBeLessThanOrEqual(1)
    expect(run.counts.alive).toBe(0)
  }, 200_000)
})
