/**
 * A hung agent does not keep its triple's started jobs waiting: with a prefetch of 32, the agent
 * that takes the first job and never answers (nor asks for another) is left with that one job,
 * and the other 31 are completed by a fresh agent of the same triple long before the hung one's
 * container timeout.
 */
import { afterEach, describe, expect, it } from "vitest"
import { type E2E, eventually, startE2E } from "./fixture.js"

let e2e: E2E | undefined
afterEach(async () => {
  await e2e?.close()
  e2e = undefined
})

describe("hung agent hand-off", () => {
  it("the 31 jobs waiting behind a hung agent (prefetch 32) are completed by another agent before the hang times out", async () => {
    const run = (e2e = await startE2E({
      triples: [{ developer: "handoff", agent: "rec", method: "hangs-first", mode: "hang-first" }],
      env: { DISPATCH_PREFETCH: "32", MAX_CONCURRENT_AGENTS: "2", CONTAINER_TIMEOUT_SECS: "600", AGENT_IDLE_HANDOFF_SECS: "2" }
    }))
    const seqs = await run.createJobs("hangs-first", 32)
    await eventually(() => run.records().filter((r) => r.outcome === "completed").length >= 31, 300_000, "31 jobs completed")
    const records = run.records()
    const hung = records.filter((r) => r.outcome === "hang")
    expect(hung).toHaveLength(1)
    const completed = records.filter((r) => r.outcome === "completed")
    // the hung agent kept only the job it held; the rest went to other sessions
    expect(completed.some((r) => r.session === hung[0]!.session)).toBe(false)
    expect(new Set(completed.map((r) => r.seq)).size).toBe(31)
    expect([...completed.map((r) => r.seq), hung[0]!.seq].sort((a, b) => (a < b ? -1 : 1))).toEqual([...seqs])
    // before the hang timed out: no agent was stopped by its timeout
    expect(run.counts.timeouts).toBe(0)
    // on chain: the 31 are gone (completed), the hung one still Running
    await eventually(async () => (await run.chainJobs(seqs)).length === 1, 60_000, "31 settled on chain")
    expect((await run.chainJobs(seqs)).map((j) => [j.seq, j.status])).toEqual([[hung[0]!.seq, "Running"]])
  }, 420_000)
})
