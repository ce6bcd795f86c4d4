/**
 * The daemon as operators run it: `tsx src/main.ts start` as a child process (the embedded demo:
 * localnet in-process, demo jobs served by the example agent on the process runtime), with a
 * coordinator key and registry password in its environment. The operator endpoint and the CLI are
 * exercised against it, and everything it printed or served is scanned for secrets.
 */
import { randomBytes } from "node:crypto"
import { decodeSuiPrivateKey } from "@mysten/sui/cryptography"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { agentsCommand, configCommand, jobsCommand, statusCommand } from "../../src/cli/commands.js"
import { parsePrometheus, sampleValue } from "./prometheus.js"
import { apiToken, type Child, get, runCli, startDaemon, waitFor } from "./processes.js"
import { STALL_MS } from "../support/wait.js"

/** Backstop of a test on a loaded machine; its waits give up sooner when nothing moves. */
const BACKSTOP_MS = 600_000

const SUI_PRIVATE_KEY = Ed25519Keypair.generate().getSecretKey()
const DOCKER_PASSWORD = `pw-${randomBytes(12).toString("hex")}`

describe("the daemon process", () => {
  let daemon: Child
  let base: string
  let env: NodeJS.ProcessEnv
  const served: Array<string> = []
  const printed: Array<string> = []

  beforeAll(async () => {
    ;({ child: daemon, base, env } = await startDaemon(
      "silvana-ops-daemon-",
      { LOG_LEVEL: "debug", SUI_PRIVATE_KEY, DOCKER_USERNAME: "ops-test", DOCKER_PASSWORD },
      STALL_MS
    ))
  }, BACKSTOP_MS)

  afterAll(async () => {
    await daemon?.stop()
  })

  const fetchAll = async (p: string) => {
    const r = await get(base, p, apiToken(env["STATE_DIR"]!))
    served.push(r.text)
    return r
  }

  it("serves health and Prometheus metrics whose counters move while jobs flow", async () => {
    // A loaded machine may lag a check for a moment; the daemon must come back to healthy by itself.
    const health = await waitFor("a healthy report", STALL_MS, async () => {
      const r = await fetchAll("/health")
      return r.status === 200 ? r : undefined
    })
    const checks = JSON.parse(health.text).checks
    expect(Object.keys(checks)).toEqual(expect.arrayContaining(["grpc", "store", "journal", "agent_runtime", "chain"]))
    expect(checks.chain.details.connected).toBe(true)

    const first = parsePrometheus((await fetchAll("/metrics")).text)
    const completedAt = (m: ReturnType<typeof parsePrometheus>) => sampleValue(m, "silvana_jobs_completed_total")
    const later = await waitFor("demo jobs to complete", STALL_MS, async () => {
      const m = parsePrometheus((await fetchAll("/metrics")).text)
      // gauges come from the health report, refreshed on a timer (a scrape never calls the node)
      // and the health gauges up in the same scrape (a loaded machine may lag a check for a moment)
      return completedAt(m) > completedAt(first) &&
        sampleValue(m, "silvana_grpc_requests_total", { method: "GetJob", code: "OK" }) > 0 &&
        sampleValue(m, "silvana_checkpoint_last") > 0 &&
        sampleValue(m, "silvana_health_check_up", { check: "chain" }) === 1 &&
        sampleValue(m, "silvana_health_check_up", { check: "grpc" }) === 1
        ? m
        : undefined
    })
    expect(sampleValue(later, "silvana_grpc_request_duration_ms_count", { method: "CompleteJob" })).toBeGreaterThan(0)
    expect(sampleValue(later, "silvana_checkpoint_last")).toBeGreaterThan(0)
    expect(sampleValue(later, "silvana_health_check_up", { check: "chain" })).toBe(1)
    expect(sampleValue(later, "silvana_health_check_up", { check: "grpc" })).toBe(1)
    // agents were started and ended through the instrumented runtime; settlement sent transactions
    expect(sampleValue(later, "silvana_container_start_ms_count")).toBeGreaterThan(0)
    const withExits = await waitFor("an agent to end", STALL_MS, async () => {
      const m = parsePrometheus((await fetchAll("/metrics")).text)
      return sampleValue(m, "silvana_container_exits_total", { reason: "exited" }) > 0 &&
        sampleValue(m, "silvana_health_check_up", { check: "settlement" }) === 1
        ? m
        : undefined
    })
    expect(sampleValue(withExits, "silvana_transactions_total", { kind: "settlement", outcome: "success" })).toBeGreaterThan(0)
    expect(sampleValue(withExits, "silvana_gas_balance_mist")).toBeGreaterThan(0)
    expect(sampleValue(withExits, "silvana_health_check_up", { check: "settlement" })).toBe(1)
  }, BACKSTOP_MS)

  it("answers the operator commands as processes: tables, --json, exit codes", async () => {
    // one after the other: each is a Node process, and this machine has two cores
    const results: Array<{ code: number | null; output: string }> = []
    // `status` exits 1 while a check is failing; on a loaded machine it is asked again until healthy.
    const status = await waitFor("`status` to report healthy", STALL_MS, async () => {
      const r = await runCli(["status"], env)
      printed.push(r.output)
      return r.code === 0 ? r : undefined
    })
    for (const args of [["jobs", "--state", "bogus"], ["status", "--url", "http://127.0.0.1:1"]]) {
      const r = await runCli(args, env)
      printed.push(r.output)
      results.push(r)
    }
    const [badState, unreachable] = results as [(typeof results)[0], (typeof results)[0]]
    expect(status.code).toBe(0)
    expect(status.output).toMatch(/healthy, ready/)
    expect(status.output).toMatch(/^chain +ok +connected=true/m)
    expect(status.output).toMatch(/^CHECK +STATUS +DETAILS$/m)
    expect(badState.code).toBe(2)
    expect(badState.output).toMatch(/Expected one of the following cases: pending, starting/)
    expect(unreachable.code).toBe(1)
    expect(unreachable.output).toMatch(/cannot reach the coordinator at http:\/\/127\.0\.0\.1:1/)
  }, BACKSTOP_MS)

  it("answers the other operator commands (run in this process against the daemon)", async () => {
    const run = async (args: Array<string>) => {
      const out: Array<string> = []
      const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")))
      const err = vi.spyOn(console, "error").mockImplementation((...a) => void out.push(a.join(" ")))
      process.exitCode = undefined
      // the operator's token, as the CLI finds it (SILVANA_API_TOKEN, else STATE_DIR/api-token)
      const savedToken = process.env["SILVANA_API_TOKEN"]
      process.env["SILVANA_API_TOKEN"] = apiToken(env["STATE_DIR"]!)
      try {
        await Effect.runPromise(
          Command.run(Command.make("silvana-coordinator").pipe(Command.withSubcommands([statusCommand, jobsCommand, agentsCommand, configCommand])), {
            name: "silvana-coordinator",
            version: "test"
          })(["node", "silvana-coordinator", ...args]).pipe(Effect.provide(NodeContext.layer), Effect.either)
        )
        return { code: process.exitCode ?? 0, output: out.join("\n") }
      } finally {
        if (savedToken === undefined) delete process.env["SILVANA_API_TOKEN"]
        else process.env["SILVANA_API_TOKEN"] = savedToken
        process.exitCode = undefined
        log.mockRestore()
        err.mockRestore()
      }
    }
    const statusJson = await waitFor("`status --json` to report healthy", STALL_MS, async () => {
      const r = await run(["status", "--json", "--url", base])
      return r.code === 0 ? r : undefined
    })
    // MAX_CONCURRENT_AGENTS unset: the embedded demo with its proving pipeline runs 4 agents at once
    expect(JSON.parse(statusJson.output)).toMatchObject({ healthy: true, chain: "localnet", agents: { max: 4 } })
    const jobsJson = await run(["jobs", "--json", "--limit", "5", "--url", base])
    expect(jobsJson.code).toBe(0)
    const jobList = JSON.parse(jobsJson.output)
    expect(jobList.jobs.length).toBeLessThanOrEqual(5)
    // every job the daemon lists has its id, whatever its state
    for (const j of jobList.jobs) expect(j.job_id).toMatch(/^sn[1-9A-Za-z]+$/)
    expect(jobList.total).toBeGreaterThanOrEqual(jobList.jobs.length)
    const agents = await run(["agents", "--url", base])
    expect(agents.code).toBe(0)
    expect(agents.output).toMatch(/^SESSION +DEVELOPER\/AGENT\/METHOD +CONTAINER +HELD_JOBS +AGE$/m)
    expect(agents.output).toMatch(/agents? running$/m)
    const jobs = await run(["jobs", "--url", base, "--state", "started", "--limit", "3"])
    expect(jobs.code).toBe(0)
    expect(jobs.output).toMatch(/^JOB_ID +STATE/m)
    expect(jobs.output).toMatch(/shown of \d+$/m)
    const config = await run(["config", "--url", base])
    expect(config.code).toBe(0)
    expect(JSON.parse(config.output)).toMatchObject({ SUI_PRIVATE_KEY: "<redacted>", DOCKER_PASSWORD: "<redacted>", DOCKER_USERNAME: "ops-test" })
    // the values in use, not "unset": the runtime chosen and the port the agent API listens on
    expect(JSON.parse(config.output)).toMatchObject({ AGENT_RUNTIME: "process", GRPC_TCP_ADDRESS: expect.stringMatching(/^127\.0\.0\.1:[1-9]\d*$/) })
    // status and the live line count the same jobs: /v1/status totals are the Prometheus counters
    const status = await run(["status", "--url", base])
    const totals = JSON.parse((await fetchAll("/v1/status")).text).totals
    const m = parsePrometheus((await fetchAll("/metrics")).text)
    expect(sampleValue(m, "silvana_jobs_completed_total")).toBeGreaterThanOrEqual(totals.completed)
    expect(totals.completed).toBeGreaterThan(0)
    const shown = /jobs since start: started (\d+), completed (\d+), failed (\d+)/.exec(status.output)
    expect(shown, status.output).not.toBeNull()
    expect(Number(shown![2])).toBeGreaterThan(0)
    expect(Number(shown![2])).toBeLessThanOrEqual(totals.completed)
    const limit = await run(["jobs", "--url", base, "--limit", "0"])
    expect(limit.code).toBe(2)
    for (const r of [statusJson, jobsJson, agents, jobs, config]) printed.push(r.output)
  }, BACKSTOP_MS)

  it("refuses a second start on the same STATE_DIR at once, naming the running daemon", async () => {
    const second = await runCli(["start"], { ...env, HTTP_ADDRESS: "127.0.0.1:0", GRPC_SOCKET_PATH: `${env["GRPC_SOCKET_PATH"]}.2` })
    printed.push(second.output)
    expect(second.code).toBe(2)
    expect(second.output.trim().split("\n")).toHaveLength(1)
    expect(second.output).toMatch(/another coordinator is running on STATE_DIR .* \(pid \d+, started at \d{4}-/)
    // and the running one is unaffected
    expect((await get(base, "/ready")).status).toBe(200)
  }, BACKSTOP_MS)

  it("never shows the coordinator key, session keys or the registry password anywhere", async () => {
    // agents have run: sessions (each with its own private key) were created through the agent API
    const m = parsePrometheus((await fetchAll("/metrics")).text)
    expect(sampleValue(m, "silvana_grpc_requests_total", { method: "GetJob", code: "OK" })).toBeGreaterThan(0)
    for (const p of ["/health", "/ready", "/v1/status", "/v1/jobs?limit=10000", "/v1/agents", "/v1/config", "/nope", "/v1/jobs?state=x"]) {
      await fetchAll(p)
    }
    await daemon.stop("SIGTERM")
    if (process.env["TEST_LOGS"] !== undefined) console.log(daemon.output().slice(-3000))
    const everything = [daemon.output(), ...served, ...printed].join("\n")
    expect(daemon.output()).toMatch(/"message":"agent API listening"/)
    expect(everything.length).toBeGreaterThan(10_000)
    expect(everything).not.toContain(SUI_PRIVATE_KEY)
    expect(everything).not.toContain(DOCKER_PASSWORD)
    expect(everything).not.toMatch(/suiprivkey1/i)
    // the raw 32-byte secret in hex or base64 would be just as bad
    const raw = Buffer.from(decodeSuiPrivateKey(SUI_PRIVATE_KEY).secretKey)
    expect(raw).toHaveLength(32)
    expect(everything).not.toContain(raw.toString("hex"))
    expect(everything).not.toContain(raw.toString("base64"))
  }, BACKSTOP_MS)
})
