/**
 * A prove job that fails for good (the jobs module's max attempts, 3), on the localnet with a real
 * coordinator daemon and the pipeline agent as processes. The deployed coordinator runs such a job
 * no more (only its operator's restart does), so its block cannot be proved: ours says so on
 * `/v1/status` (`pipeline.stalls`, with the job and its error) and in `status`, and once the
 * operator restarts the job (`app_instance::restart_failed_app_jobs`) the block is proved and
 * settled and the stall is gone. The restart is the operator's command (`failed-jobs restart`),
 * through the daemon's HTTP API and its settlement.
 */
import { readdirSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { normalizeAppInstance } from "../../src/domain/ids.js"
import type { PipelineStall } from "../../src/domain/stalls.js"
import { daemonEnv } from "./fixture.js"
import { apiToken, type Daemon, get, runCli, startDaemon } from "../ops/processes.js"
import { startPipeline, type Pipeline, TEST_PIPELINE_TIMERS, waitAllSettled } from "../support/pipeline.js"
import { expectLedgerComplete } from "../support/pipelineExpect.js"
import { waitUntil } from "../support/wait.js"

/** The sequence whose prove job fails every attempt (3 failures: the chain's max attempts). */
const FAILING = 3

let p: Pipeline
let daemon: Daemon | undefined

const stalls = async (): Promise<ReadonlyArray<PipelineStall>> => {
  const r = await get(daemon!.base, "/v1/status", apiToken(daemon!.env["STATE_DIR"]!))
  if (r.status !== 200) throw new Error(`/v1/status answered ${r.status}: ${r.text}`)
  return (JSON.parse(r.text) as { pipeline: { stalls: ReadonlyArray<PipelineStall> } | null }).pipeline?.stalls ?? []
}

const failuresClaimed = () => readdirSync(p.dir).filter((f) => f.startsWith("ledger.jsonl.fault-prove-")).length

describe("a prove job that failed for good", () => {
  beforeAll(async () => {
    p = await startPipeline({ instances: 1, blockIntervalMs: 300, coordinator: "none", faults: { failProveSequences: [FAILING] } })
    const env: Record<string, string | undefined> = daemonEnv(p.localnet.manifest, p.dir, {
      SILVANA_APP_INSTANCES: p.instances.join(","),
      AGENT_PROCESS_COMMANDS: p.processCommands,
      MAX_CONCURRENT_AGENTS: "4",
      CONTAINER_TIMEOUT_SECS: "3600",
      ...TEST_PIPELINE_TIMERS
    })
    const keep = ["SUI_RPC_URL", "SUI_CHAIN", "SUI_PRIVATE_KEY", "SILVANA_REGISTRY_PACKAGE", "SILVANA_REGISTRY", "SILVANA_APP_INSTANCES", "AGENT_PROCESS_COMMANDS", "MAX_CONCURRENT_AGENTS", "CONTAINER_TIMEOUT_SECS", "PIPELINE_BLOCKS_EVERY_MS", "PIPELINE_MERGES_EVERY_MS", "PIPELINE_SETTLE_EVERY_MS"] as const
    daemon = await startDaemon("silvana-stall-", { ...Object.fromEntries(keep.map((k) => [k, String(env[k])])), LOG_LEVEL: "warn" }, 120_000)
  }, 180_000)
  afterAll(async () => {
    await daemon?.child.stop()
    await p?.close()
  })

  it("stalls its block with the reason on /v1/status and `status`, and the block is proved and settled once the operator restarts it", async () => {
    const ai = p.instances[0]!
    // sequences 1..4 in one block, 5..8 in a later one
    await p.add(ai, 4)
    await waitUntil("the first block closed", async () => (await p.report(ai)).fields.blockNumber > 1n, { pollMs: 100 })
    await p.add(ai, 4)

    // three attempts a minute apart (the chain's retry interval), then the stall is reported
    let reported: ReadonlyArray<PipelineStall> = []
    await waitUntil("the stall reported", async () => (reported = await stalls()).length > 0, { progress: failuresClaimed, pollMs: 500 })
    const stall = reported[0]
    expect(failuresClaimed()).toBe(3)
    expect(stall).toMatchObject({ instance: `0x${normalizeAppInstance(ai)}`, sequences: [FAILING], method: "prove" })
    expect(stall!.reason).toContain("failed for good after 3 attempts")
    expect(stall!.reason).toContain(`injected fault: cannot prove sequence ${FAILING}`)
    // the block is not proved, and nothing settles
    const f = await p.report(ai)
    expect(f.fields.lastProvedBlockNumber).toBeLessThan(BigInt(stall!.block))
    expect(f.fields.failedJobs).toEqual([BigInt(stall!.job)])
    const status = await runCli(["status", "--url", daemon!.base], { ...daemon!.env, SILVANA_API_TOKEN: apiToken(daemon!.env["STATE_DIR"]!) })
    expect(status.output).toContain(`STALLED block ${stall!.block}`)
    expect(status.output).toContain("failed for good after 3 attempts")

    // the operator's restart: the fault is spent, so the fourth attempt proves it
    const cliEnv = { ...daemon!.env, SILVANA_API_TOKEN: apiToken(daemon!.env["STATE_DIR"]!) }
    const bad = await runCli(["failed-jobs", "restart", ai, "--job", "x1", "--url", daemon!.base], cliEnv)
    expect(bad.code).toBe(2)
    expect(bad.output).toContain("--job: expected a job sequence")
    // a job that is not failed is left alone, and nothing is sent
    const notFailed = await runCli(["failed-jobs", "restart", ai, "--job", "1", "--url", daemon!.base], cliEnv)
    expect(notFailed.code).toBe(0)
    expect(notFailed.output).toContain("nothing to do: none of the jobs asked for is failed")
    expect(notFailed.output).toContain("not failed, left alone: 1")
    expect((await p.report(ai)).fields.failedJobs).toEqual([BigInt(stall!.job)])
    // an object that is no app instance: refused with the node's reason, nothing sent
    const missing = await fetch(`${daemon!.base}/v1/failed-jobs/restart`, {
      method: "POST",
      headers: { authorization: `Bearer ${cliEnv.SILVANA_API_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ app_instance: "0x1234" })
    })
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { error: string }).error).toContain("reading app instance 0x1234")
    const restart = await runCli(["failed-jobs", "restart", ai, "--url", daemon!.base, "--json"], cliEnv)
    expect(restart.code).toBe(0)
    const answer = JSON.parse(restart.output.slice(restart.output.indexOf("{"), restart.output.lastIndexOf("}") + 1)) as { restarted: string[]; failed_before: string[]; tx_digest: string | null }
    expect(answer.restarted).toEqual([String(stall!.job)])
    expect(answer.failed_before).toEqual([String(stall!.job)])
    expect(answer.tx_digest).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/)
    await waitAllSettled(p)
    await expectLedgerComplete(p)
    expect((await p.report(ai)).fields.failedJobs).toEqual([])
    await waitUntil("the stall cleared", async () => (await stalls()).length === 0, { pollMs: 500 })
  }, 900_000)
})
