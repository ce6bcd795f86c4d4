/**
 * The chain is the truth: divergence between the coordinator's journal and the chain, injected
 * through the localnet's admin faults (a settlement transaction answered and then lost; the node
 * rolled back N checkpoints), is found, repaired, counted per kind, and `/health` fails its
 * `chain_truth` check until the repair is done.
 */
import { writeFileSync } from "node:fs"
import { Effect, Metric, MetricState } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { chainRepairs } from "../../src/chain/metrics.js"
import { startLocalnet } from "../../src/localnet/index.js"
import type { RepairKind } from "../../src/programs/chainTruth.js"
import { type E2E, eventually, startE2E } from "./fixture.js"

const TRIPLE = { developer: "truth-dev", agent: "truth-agent", method: "gated", mode: "gated" as const }

const repairs = (kind: RepairKind): number => {
  const state = Effect.runSync(Metric.value(Metric.tagged(chainRepairs, "kind", kind)))
  return MetricState.isCounterState(state) ? Number(state.count) : 0
}

/** Polls `chain_truth` in the background: whether it was ever seen failing. */
const watchTruth = (e2e: E2E) => {
  const seen = { failing: false, polls: 0 }
  let on = true
  const loop = async () => {
    while (on) {
      const report = await e2e.health()
      seen.polls += 1
      if (report.checks["chain_truth"]?.healthy === false) seen.failing = true
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const done = loop()
  return {
    seen,
    stop: async () => {
      on = false
      await done
    }
  }
}

let e2e: E2E | undefined
afterEach(async () => {
  await e2e?.close()
  await e2e?.localnet.close()
  e2e = undefined
})

const start = async () => {
  const localnet = await startLocalnet({ port: 0, checkpointMs: 100, rewindDepth: 10_000 })
  e2e = await startE2E({ localnet, triples: [TRIPLE], env: { CHAIN_TRUTH_EVERY_SECS: "1", MAX_CONCURRENT_AGENTS: "2" } })
  return e2e
}

const fault = async (e: E2E, path: string) => {
  const res = await fetch(`${e.localnet.adminUrl}/faults/${path}`, { method: "POST" })
  expect(res.status, await res.clone().text()).toBe(200)
}

/**
 * Rolls the node back to checkpoint `target`. Sealing is paused around it, so the count is taken
 * against the tip the rollback really starts from (a checkpoint sealed in between would otherwise
 * leave the node one checkpoint later than `target`).
 */
const rollbackTo = async (e: E2E, target: bigint) => {
  await fault(e, "pause-checkpoints")
  try {
    await fault(e, `rollback?count=${e.localnet.chain.latestSealed() - target}`)
  } finally {
    await fault(e, "resume-checkpoints")
  }
}

const openGate = (e: E2E) => writeFileSync(`${e.recordFile}.go`, "")
const statuses = async (e: E2E, seqs: ReadonlyArray<bigint>) => (await e.chainJobs(seqs)).map((j) => j.status)
const allGone = (e: E2E, seqs: ReadonlyArray<bigint>) => async () => (await e.chainJobs(seqs)).length === 0
const allRunning = (e: E2E, seqs: ReadonlyArray<bigint>) => async () => {
  const s = await statuses(e, seqs)
  return s.length === seqs.length && s.every((x) => x === "Running")
}
/** Waits until `n` more checkpoints are sealed (what was executed is then in history). */
const sealed = async (e: E2E, n: number) => {
  const from = e.localnet.chain.latestSealed()
  await eventually(() => e.localnet.chain.latestSealed() >= from + BigInt(n), 30_000, `${n} checkpoints`)
  return e.localnet.chain.latestSealed()
}
const completedOnce = (e: E2E, seqs: ReadonlyArray<bigint>) => {
  for (const seq of seqs) expect(e.records().filter((r) => r.seq === seq && r.outcome === "completed").length, `job ${seq}`).toBeGreaterThanOrEqual(1)
}

describe("journal and chain divergence, injected through the localnet's admin faults", () => {
  it("a completion the node answered and then lost is submitted again; chain_truth fails until then", async () => {
    const e = await start()
    const before = repairs("resubmit_complete")
    const seqs = await e.createJobs(TRIPLE.method, 2)
    await eventually(allRunning(e, seqs), 60_000, "both jobs Running")
    await sealed(e, 2)
    // The next settlement transaction carries the completions: the node answers it, then loses it.
    await fault(e, "drop-executed?count=1&function=multicall_app_job_operations")
    const watch = watchTruth(e)
    openGate(e)
    await eventually(allGone(e, seqs), 90_000, "both jobs completed on chain")
    await eventually(async () => (await e.health()).checks["chain_truth"]?.healthy === true, 30_000, "chain_truth healthy again")
    await watch.stop()
    expect(e.localnet.chain.dropsPending).toBe(0)
    expect(repairs("resubmit_complete")).toBeGreaterThan(before)
    expect(watch.seen.failing).toBe(true)
    // Re-submitting the completion, not re-running the job: each agent run completed once.
    for (const seq of seqs) expect(e.records().filter((r) => r.seq === seq).map((r) => r.outcome)).toEqual(["completed"])
  }, 180_000)

  it("a start the node answered and then lost: the rejected completion leads to the job being run again", async () => {
    const e = await start()
    const before = repairs("redispatch") + repairs("resubmit_start")
    openGate(e)
    await fault(e, "drop-executed?count=1&function=multicall_app_job_operations")
    const seqs = await e.createJobs(TRIPLE.method, 2)
    await eventually(allGone(e, seqs), 120_000, "both jobs completed on chain")
    expect(e.localnet.chain.dropsPending).toBe(0)
    expect(repairs("redispatch") + repairs("resubmit_start")).toBeGreaterThan(before)
    completedOnce(e, seqs)
    await eventually(async () => (await e.health()).checks["chain_truth"]?.healthy === true, 30_000, "chain_truth healthy")
  }, 180_000)

  it("a node rolled back past completions: the jobs Running again are completed again without re-running them", async () => {
    const e = await start()
    const before = repairs("resubmit_complete")
    const seqs = await e.createJobs(TRIPLE.method, 2)
    await eventually(allRunning(e, seqs), 60_000, "both jobs Running")
    const startedAt = await sealed(e, 2)
    openGate(e)
    await eventually(allGone(e, seqs), 60_000, "both jobs completed on chain")
    await sealed(e, 5)
    const watch = watchTruth(e)
    // Executions held: the coordinator's repairs wait, so the rolled-back state can be read as it is.
    await fault(e, "hold-executions")
    await rollbackTo(e, startedAt)
    // The rollback brought the jobs back as they were: started, not completed.
    expect(await statuses(e, seqs)).toEqual(["Running", "Running"])
    await fault(e, "release-executions")
    await eventually(allGone(e, seqs), 90_000, "both jobs completed again")
    await eventually(async () => (await e.health()).checks["chain_truth"]?.healthy === true, 30_000, "chain_truth healthy again")
    await watch.stop()
    expect(repairs("resubmit_complete")).toBeGreaterThan(before)
    expect(watch.seen.failing).toBe(true)
    for (const seq of seqs) expect(e.records().filter((r) => r.seq === seq).map((r) => r.outcome)).toEqual(["completed"])
  }, 180_000)

  it("a node rolled back past starts and completions: the jobs Pending again are run again", async () => {
    const e = await start()
    const before = repairs("redispatch") + repairs("resubmit_start")
    const h0 = await sealed(e, 1)
    const seqs = await e.createJobs(TRIPLE.method, 2)
    await eventually(() => e.localnet.chain.latestSealed() > h0 + 1n, 30_000, "creation sealed")
    const created = await sealed(e, 2)
    // Completions only after the checkpoint rolled back to: with the gate open from the start, a
    // quiet machine completed both jobs within it, and the rollback found nothing to bring back.
    openGate(e)
    await eventually(allGone(e, seqs), 60_000, "both jobs completed on chain")
    await sealed(e, 5)
    const watch = watchTruth(e)
    await fault(e, "hold-executions")
    await rollbackTo(e, created)
    expect((await statuses(e, seqs)).length).toBe(2)
    await fault(e, "release-executions")
    await eventually(allGone(e, seqs), 90_000, "both jobs completed again")
    await eventually(async () => (await e.health()).checks["chain_truth"]?.healthy === true, 30_000, "chain_truth healthy again")
    await watch.stop()
    expect(repairs("redispatch") + repairs("resubmit_start") + repairs("resubmit_complete")).toBeGreaterThan(before)
    expect(watch.seen.failing).toBe(true)
    completedOnce(e, seqs)
  }, 180_000)

  it("a start whose transaction the node has pruned is not taken for lost: the job stays with its agent", async () => {
    const e = await start()
    const before = repairs("lost_start") + repairs("redispatch") + repairs("resubmit_start")
    const seqs = await e.createJobs(TRIPLE.method, 2)
    await eventually(allRunning(e, seqs), 60_000, "both jobs Running")
    // The node's pruner drops every checkpoint but the latest, with the start transactions in them.
    const tip = await sealed(e, 2)
    await fault(e, `prune-below?checkpoint=${tip}`)
    // A reconnect makes the next pass ask the node about every transaction again.
    await fault(e, "drop-subscriptions")
    const passes = async () => Number((await e.health()).checks["chain_truth"]?.details?.["passes"] ?? 0)
    const seen = await passes()
    await eventually(async () => (await passes()) >= seen + 3, 60_000, "three comparison passes after the prune")
    expect(repairs("lost_start") + repairs("redispatch") + repairs("resubmit_start")).toBe(before)
    expect((await e.health()).checks["chain_truth"]?.healthy).toBe(true)
    openGate(e)
    await eventually(allGone(e, seqs), 90_000, "both jobs completed on chain")
    for (const seq of seqs) expect(e.records().filter((r) => r.seq === seq).map((r) => r.outcome)).toEqual(["completed"])
  }, 180_000)
})
