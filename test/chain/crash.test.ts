/**
 * Crash between "agent acknowledged" and "transaction executed": a child process makes the
 * completions durable, is SIGKILLed, and a restarted Settlement on the same Journal file settles
 * every operation exactly once.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { fileURLToPath } from "node:url"
import { Effect, Layer } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { jobsEvents } from "../../src/chain/moveTypes.js"
import { createJobs } from "../../src/localnet/client.js"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { ChainState } from "../../src/layers/ChainState.js"
import { Journal } from "../../src/layers/Journal.js"
import { Settlement } from "../../src/layers/Settlement.js"
import { waitForOutput, waitUntil } from "../support/wait.js"
import { METHOD, startNet, suiLayer } from "./fixture.js"

let net: LocalnetHandle | undefined
let dir: string | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

const child = fileURLToPath(new URL("./crashChild.ts", import.meta.url))

const settlementOn = (n: LocalnetHandle, file: string) =>
  Layer.provideMerge(Layer.merge(Settlement.layer({ lingerMs: 5 }), ChainState.layer), Layer.merge(suiLayer(n), Journal.layerFile(file)))

/** Counts JobCompletedEvents per job sequence over the whole (unpruned) chain. */
const completions = (n: LocalnetHandle): Map<bigint, number> => {
  const out = new Map<bigint, number>()
  const tip = n.chain.latestCheckpoint().sequenceNumber ?? 0n
  for (let s = 0n; s <= tip; s++) {
    for (const tx of n.chain.getCheckpoint(s)?.transactions ?? []) {
      for (const ev of tx.events?.events ?? []) {
        if (ev.eventType?.endsWith("::jobs::JobCompletedEvent") !== true || ev.contents?.value === undefined) continue
        const seq = BigInt(jobsEvents.JobCompletedEvent.parse(ev.contents.value).job_sequence)
        out.set(seq, (out.get(seq) ?? 0) + 1)
      }
    }
  }
  return out
}

const journalCount = (file: string, sql: string): number => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return Number((db.prepare(sql).get() as { n: number }).n)
  } finally {
    db.close()
  }
}

describe.each(["after the acknowledgement", "while the transaction is in flight"] as const)("crash %s", (when) => {
  it("restart on the same Journal executes every acknowledged completion exactly once", async () => {
    net = await startNet()
    const n = net
    dir = mkdtempSync(join(tmpdir(), "chain-crash-"))
    const file = join(dir, "journal.sqlite")
    const { jobSequences } = await createJobs(n.manifest, { count: 20, method: METHOD, perTransaction: 10 })
    const started = await Effect.runPromise(
      Effect.scoped(Effect.flatMap(Settlement, (s) => s.start(n.manifest.appInstanceId, jobSequences))).pipe(
        Effect.provide(settlementOn(n, file))
      )
    )
    expect([...started.values()].every((v) => v)).toBe(true)

    // Hold executions at the node so the kill lands before the completion transaction executes,
    // however slow this machine is; releasing them later lets a held one execute.
    n.faults.holdExecutions()
    const proc = spawn(process.execPath, ["--import", "tsx", child], {
      env: {
        ...process.env,
        CRASH_URL: n.manifest.grpcUrl,
        CRASH_KEY: n.manifest.keys.coordinator,
        CRASH_PKG: n.manifest.packageId,
        CRASH_JOURNAL: file,
        CRASH_APP: n.manifest.appInstanceId,
        CRASH_SEQS: jobSequences.join(",")
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()))
    await waitForOutput(proc, "the child acknowledged every completion", (out) => out.includes("ACKED"))
    if (when === "while the transaction is in flight") {
      // the signed transaction is journaled, then submitted: wait for it to be held at the node
      await waitUntil("the completion transaction held at the node", () => n.executionsHeld() > 0)
      expect(journalCount(file, "SELECT count(*) AS n FROM txs")).toBe(1)
    }
    proc.kill("SIGKILL")
    await exited
    // Nothing executed yet for the completions, and all of them are durable in the outbox.
    expect(completions(n).size).toBe(0)
    expect(journalCount(file, "SELECT count(*) AS n FROM outbox WHERE kind = 'complete' AND state IN ('queued','inflight')")).toBe(20)

    n.faults.releaseExecutions()
    const after = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const settlement = yield* Settlement
          yield* settlement.awaitIdle
          const chain = yield* ChainState
          const jobs = yield* chain.jobs(n.manifest.appInstanceId, jobSequences)
          const open = yield* Effect.flatMap(Journal, (j) => j.openOps)
          return { jobs, open }
        })
      ).pipe(Effect.provide(settlementOn(n, file)))
    )
    // A transaction the node held when the child died executes once released: wait for it.
    await waitUntil("the node's calls in flight", () => n.callsInFlight() === 0)
    const counts = completions(n)
    expect(after.open).toHaveLength(0)
    expect(after.jobs).toHaveLength(0)
    for (const s of jobSequences) expect(counts.get(s)).toBe(1)
    expect(journalCount(file, "SELECT count(*) AS n FROM outbox WHERE kind = 'complete' AND state = 'done'")).toBe(20)
  }, 600_000)
})
