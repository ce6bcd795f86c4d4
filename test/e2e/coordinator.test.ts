/**
 * The coordinator end to end: localnet over gRPC, all layers, real agent processes.
 */
import { afterEach, describe, expect, it } from "vitest"
import { STALL_MS } from "../support/wait.js"
import { type E2E, eventually, startE2E } from "./fixture.js"

/** Backstop of a whole test; the waits inside fail sooner when the work stops moving. */
const BACKSTOP_MS = 900_000

let e2e: E2E | undefined
afterEach(async () => {
  await e2e?.close()
  e2e = undefined
})

/** Waits for `n` distinct completed jobs in the agents' records; the backstop restarts with every record. */
const completions = (run: E2E, n: number) =>
  eventually(
    () => new Set(run.records().filter((r) => r.outcome === "completed").map((r) => r.seq)).size === n,
    STALL_MS,
    `${n} completions`,
    () => run.records().length
  )

/** Waits until none of `seqs` is left on chain; the backstop restarts whenever one goes. */
const settled = (run: E2E, seqs: ReadonlyArray<bigint>) => {
  let left = seqs.length
  return eventually(async () => (left = (await run.chainJobs(seqs)).length) === 0, STALL_MS, "all jobs settled on chain", () => left)
}

describe("coordinator end to end", () => {
  it("300 jobs over 3 triples with MAX_CONCURRENT_AGENTS=2: all completed on chain, never more than 2 agents, each job run by one session", async () => {
    const triples = ["alpha", "beta", "gamma"].map((method) => ({ developer: "e2e", agent: "rec", method, mode: "ok" as const }))
    e2e = await startE2E({ triples, env: { MAX_CONCURRENT_AGENTS: "2" } })
    const run = e2e
    const seqs: Array<bigint> = []
    // one sender: job creations go one after another (parallel ones would race for its gas coins)
    for (const t of triples) seqs.push(...(await run.createJobs(t.method, 100)))
    expect(seqs).toHaveLength(300)
    await completions(run, 300)
    // on chain: completed non-periodic jobs are deleted, so none of them is left
    await settled(run, seqs)
    const records = run.records()
    const bySeq = new Map<bigint, Array<string>>()
    for (const r of records) bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), r.session])
    for (const seq of seqs) expect(bySeq.get(seq)).toHaveLength(1)
    expect(run.counts.maxAlive).toBeLessThanOrEqual(2)
    expect(run.counts.maxAlive).toBeGreaterThanOrEqual(1)
    // every triple was served by its own sessions
    const sessionsUsed = new Set(records.map((r) => r.session))
    expect(sessionsUsed.size).toBeGreaterThanOrEqual(3)
  }, BACKSTOP_MS)

  it("failed attempts are retried by the contract and then completed; always-failing jobs end Failed", async () => {
    const triples = [
      { developer: "e2e", agent: "rec", method: "flaky", mode: "fail-odd" as const },
      { developer: "e2e", agent: "rec", method: "broken", mode: "always-fail" as const }
    ]
    e2e = await startE2E({ triples })
    const run = e2e
    const flaky = await run.createJobs("flaky", 6)
    const broken = await run.createJobs("broken", 2)
    // the contract delays a retry by 60 s: move the localnet clock on instead of waiting
    const advance = setInterval(() => run.localnet.chain.advanceClock(61_000), 1_000)
    try {
      await settled(run, flaky)
      let attempts = 0
      await eventually(
        async () => {
          const jobs = await run.chainJobs(broken)
          attempts = jobs.reduce((n, j) => n + j.attempts, 0)
          return jobs.every((j) => j.status === "Failed")
        },
        STALL_MS,
        "broken jobs Failed after max attempts",
        () => attempts
      )
    } finally {
      clearInterval(advance)
    }
    const odd = flaky.filter((s) => s % 2n === 1n)
    for (const s of odd) {
      const outcomes = run.records().filter((r) => r.seq === s).map((r) => r.outcome)
      expect(outcomes).toEqual(["failed", "completed"])
    }
    const brokenJobs = await run.chainJobs(broken)
    expect(brokenJobs.map((j) => j.attempts)).toEqual([3, 3])
  }, BACKSTOP_MS)

  it("a hanging agent is stopped at the timeout and its job failed with `timeout`; a crashing agent's job is retried", async () => {
    const triples = [
      { developer: "e2e", agent: "rec", method: "hangs", mode: "hang" as const },
      { developer: "e2e", agent: "rec", method: "crashes", mode: "crash" as const }
    ]
    // long enough for the crashing agent to start and take its job on a loaded machine
    e2e = await startE2E({ triples, env: { CONTAINER_TIMEOUT_SECS: "15" } })
    const run = e2e
    const [hung] = await run.createJobs("hangs", 1)
    const [crashed] = await run.createJobs("crashes", 1)
    await eventually(
      async () => {
        const jobs = await run.chainJobs([hung!, crashed!])
        return jobs.length === 2 && jobs.every((j) => j.status === "Pending" && j.attempts === 1)
      },
      STALL_MS,
      "both jobs back to Pending after one failed attempt"
    )
    expect(run.records().map((r) => r.outcome).sort()).toEqual(["crash", "hang"])
    // the hanging agent was stopped by the timeout, not by exiting on its own
    expect(run.counts.timeouts).toBeGreaterThanOrEqual(1)
    expect(run.counts.alive).toBe(0)
  }, BACKSTOP_MS)
})

describe("several coordinators", () => {
  it("two coordinators on one chain and 300 jobs: no job executed twice, both do work", async () => {
    const { startLocalnet } = await import("../../src/localnet/index.js")
    const { fundedKey } = await import("./fixture.js")
    const localnet = await startLocalnet({ port: 0, checkpointMs: 100 })
    const triples = ["one", "two", "three"].map((method) => ({ developer: "e2e", agent: "rec", method, mode: "ok" as const }))
    const a = await startE2E({ triples, localnet })
    const b = await startE2E({ triples, localnet, coordinatorKey: await fundedKey(localnet) })
    try {
      const seqs: Array<bigint> = []
      for (const t of triples) seqs.push(...(await a.createJobs(t.method, 100)))
      const done = () => [...a.records(), ...b.records()].filter((r) => r.outcome === "completed")
      await eventually(() => new Set(done().map((r) => r.seq)).size === 300, STALL_MS, "300 completions", () => done().length)
      await settled(a, seqs)
      const all = done()
      expect(all).toHaveLength(300)
      expect(new Set(all.map((r) => r.seq)).size).toBe(300)
      expect(a.records().length).toBeGreaterThan(0)
      expect(b.records().length).toBeGreaterThan(0)
    } finally {
      await a.close()
      await b.close()
      await localnet.close()
    }
  }, BACKSTOP_MS)
})

describe("graceful shutdown", () => {
  it("under load: everything acknowledged reaches the chain and nothing is left Running", async () => {
    const triples = ["s1", "s2"].map((method) => ({ developer: "e2e", agent: "rec", method, mode: "slow" as const }))
    e2e = await startE2E({ triples, coordinator: { shutdownGrace: "1 second" } })
    const run = e2e
    const seqs: Array<bigint> = []
    for (const t of triples) seqs.push(...(await run.createJobs(t.method, 150)))
    await eventually(() => run.records().filter((r) => r.outcome === "completed").length >= 30, STALL_MS, "some completions")
    await run.stop()
    const acknowledged = new Set(run.records().filter((r) => r.outcome === "completed").map((r) => r.seq))
    expect(acknowledged.size).toBeLessThan(300)
    // the coordinator flushed its outbox on its way out: every acknowledged job is gone from the
    // chain once the transactions in flight at the node have executed
    await eventually(() => run.localnet.callsInFlight() === 0, STALL_MS, "the node's calls in flight")
    const left = await run.chainJobs(seqs)
    const leftSeqs = new Set(left.map((j) => j.seq))
    for (const seq of acknowledged) expect(leftSeqs.has(seq)).toBe(false)
    expect(left.filter((j) => j.status === "Running")).toEqual([])
    // An agent stopped at shutdown may have had its last completion acknowledged just before it
    // could write its record line: at most one such job per running agent (2).
    expect(left.length).toBeLessThanOrEqual(300 - acknowledged.size)
    expect(left.length).toBeGreaterThanOrEqual(300 - acknowledged.size - 2)
  }, BACKSTOP_MS)
})
