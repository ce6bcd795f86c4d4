/**
 * Crash safety: the coordinator runs as a child process against a localnet in this process and is
 * killed with SIGKILL at random moments while 200 jobs flow, then restarted each time. In the end
 * every job is completed on chain exactly once and no agent process is left behind.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { seedAgentMethod } from "../../src/localnet/client.js"
import { type LocalnetHandle, startLocalnet } from "../../src/localnet/index.js"
import { STALL_MS } from "../support/wait.js"
import { agentBundle, chainJobsOf, createJobsOn, daemonEnv, eventually, readRecords } from "./fixture.js"

const agentsAlive = (bundle: string) => {
  try {
    return execFileSync("pgrep", ["-f", bundle], { encoding: "utf8" }).split("\n").filter((l) => l.trim() !== "").length
  } catch {
    return 0
  }
}

describe("crash safety", () => {
  let localnet: LocalnetHandle | undefined
  let child: ChildProcess | undefined
  afterAll(async () => {
    child?.kill("SIGKILL")
    await localnet?.close()
  })

  it("SIGKILL at 10 random moments during 200 jobs: every job completed exactly once on chain, no agent left", async () => {
    localnet = await startLocalnet({ port: 0, checkpointMs: 100 })
    const manifest = localnet.manifest
    const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-crash-"))
    // agents run unprivileged (AGENT_PROCESS_USER) when the daemon is root: their record file lives
    // in a directory they may write to, outside the daemon's private STATE_DIR
    const recordDir = path.join(dir, "records")
    mkdirSync(recordDir, { mode: 0o777 })
    chmodSync(dir, 0o755)
    chmodSync(recordDir, 0o777)
    const recordFile = path.join(recordDir, "records.txt")
    const bundle = await agentBundle()
    await seedAgentMethod(manifest, { developer: "crash", agent: "rec", method: "work", image: "test/crash-ok", appMethod: "work" })
    const env = daemonEnv(manifest, dir, {
      AGENT_PROCESS_COMMANDS: JSON.stringify({ "test/crash-ok": [process.execPath, bundle, recordFile, "slow"] })
    })
    const startCoordinator = () => {
      child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "start"], { env, stdio: ["ignore", "ignore", "inherit"] })
      return child
    }
    const chainJobs = chainJobsOf(manifest)
    const createJobs = createJobsOn(manifest)
    const recorded = () => readRecords(recordFile).length

    const seqs: Array<bigint> = []
    // retried jobs are due 60 s after a failure: keep the chain clock moving
    const advance = setInterval(() => localnet!.chain.advanceClock(61_000), 1_000)
    try {
      startCoordinator()
      for (let kill = 0; kill < 10; kill++) {
        seqs.push(...(await createJobs("work", 20)))
        // each kill lands while this coordinator works: after its agents recorded a job, at a
        // random moment of the next 0–2 s (however long the start took on this machine)
        const before = recorded()
        await eventually(() => recorded() > before, STALL_MS, `a job recorded under coordinator #${kill + 1}`)
        await new Promise((r) => setTimeout(r, Math.random() * 2_000))
        child!.kill("SIGKILL")
        await new Promise((r) => child!.once("exit", r))
        startCoordinator()
      }
      expect(seqs).toHaveLength(200)
      let left = seqs.length
      await eventually(async () => (left = (await chainJobs(seqs)).length) === 0, STALL_MS, "all 200 jobs completed on chain", () => left)
    } finally {
      clearInterval(advance)
    }
    // graceful stop of the last coordinator, then nothing may be left
    child!.kill("SIGTERM")
    await new Promise((r) => child!.once("exit", r))
    await eventually(() => agentsAlive(bundle) === 0, STALL_MS, "no agent process left")
    // every job was completed (deleted) exactly once: none is left Failed or Pending, and the chain
    // refuses a second completion of a deleted job, so each was completed once
    expect(await chainJobs(seqs)).toEqual([])
    // and by the agents: a coordinator killed after making a completion durable but before its
    // answer reached the agent settles it after the restart, while the agent, without an answer,
    // wrote no line; at most one such job per agent alive at a kill (2 agents, 10 kills)
    const completed = new Set(readRecords(recordFile).filter((r) => r.outcome === "completed").map((r) => r.seq))
    const unrecorded = seqs.filter((seq) => !completed.has(seq))
    expect(unrecorded.length).toBeLessThanOrEqual(2 * 10)
  }, 1_800_000)
})
