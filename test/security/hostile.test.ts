/**
 * The daemon as a hostile local user meets it: `tsx src/main.ts start` (embedded localnet, demo
 * jobs, the example agent on the process runtime as uid 65533), and a process running as uid
 * 65534 that reads what it can and tries every RPC (all 31) with a live session id and a held job id
 * (stolen here by the test, as root, from the agent's environment). Everything is refused and
 * the jobs keep completing. Also: a /metrics flood, listeners on all interfaces, URL credentials.
 */
import { spawn } from "node:child_process"
import { readdirSync, statSync } from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parsePrometheus, sampleValue } from "../ops/prometheus.js"
import { environs } from "./environs.js"
import { apiToken, type Child, cleanEnv, get, ROOT, runCli, startDaemon, waitFor } from "../ops/processes.js"

const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs")
const isRoot = process.getuid?.() === 0

const runAs = (uid: number, args: ReadonlyArray<string>) =>
  new Promise<string>((resolve) => {
    const p = spawn(process.execPath, [TSX, path.join(ROOT, "test", "security", "hostile.ts"), ...args], {
      uid,
      gid: uid,
      cwd: "/",
      env: { PATH: process.env["PATH"], HOME: "/tmp", NODE_NO_WARNINGS: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    p.stdout.on("data", (c) => (out += c))
    p.stderr.on("data", (c) => (out += c))
    p.once("exit", () => resolve(out))
  })

describe.skipIf(!isRoot)("a hostile local user (uid 65534) against the daemon", () => {
  let daemon: Child
  let base: string
  let env: NodeJS.ProcessEnv
  let dir: string
  const completed = async () => sampleValue(parsePrometheus((await get(base, "/metrics")).text), "silvana_jobs_completed_total")

  beforeAll(async () => {
    // the daemon's files live under a directory the hostile user can enter, as /var/lib would be
    ;({ child: daemon, base, env, dir } = await startDaemon("silvana-hostile-", { AGENT_PROCESS_USER: "65533" }, 540_000))
  }, 600_000)

  afterAll(async () => {
    await daemon?.stop()
  })

  it("reads nothing, and every RPC with a stolen session id is refused; jobs keep completing", async () => {
    const token = apiToken(env["STATE_DIR"]!)
    const agent = await waitFor("an agent with a held job", 60_000, async () => {
      // only this daemon's agents: other suites on the machine may run agents of their own
      const agents = environs("SESSION_PRIVATE_KEY=").filter((p) => p.env["COORDINATOR_SOCKET"]?.startsWith(env["GRPC_SOCKET_PATH"]!) === true)
      const held = JSON.parse((await get(base, "/v1/jobs?state=held&limit=1", token)).text).jobs[0]
      return agents.length > 0 && held !== undefined ? { agent: agents[0]!, jobId: held.job_id as string } : undefined
    })
    // the agent runs as AGENT_PROCESS_USER with the contract's variables plus PATH/HOME/TMPDIR only
    expect(statSync(`/proc/${agent.agent.pid}`).uid).toBe(65533)
    expect(Object.keys(agent.agent.env).sort()).not.toContain("SUI_PRIVATE_KEY")
    expect(Object.keys(agent.agent.env).filter((k) => !/^(PATH|HOME|TMPDIR)$/.test(k)).sort()).toEqual(
      ["AGENT", "AGENT_METHOD", "CHAIN", "COORDINATION_LAYER_ID", "COORDINATION_LAYER_TYPE", "COORDINATOR_ID", "COORDINATOR_SOCKET", "COORDINATOR_URL", "DEVELOPER", "OPERATION_MODE", "SESSION_CALL_PROOF", "SESSION_ID", "SESSION_PRIVATE_KEY"]
    )
    const daemonPids = environs(`STATE_DIR=${env["STATE_DIR"]}`).map((p) => p.pid)
    expect((await get(base, "/v1/status", token)).status).toBe(200)
    const tcpAddress = await waitFor("the TCP port", 5000, async () => {
      const line = daemon.output().split("\n").find((l) => l.includes('"agent API listening"'))
      return line === undefined ? undefined : (JSON.parse(line) as { tcp: string }).tcp
    })
    const sessionId = agent.agent.env["SESSION_ID"]!
    const before = await completed()

    const out = await runAs(65534, [
      base,
      env["STATE_DIR"]!,
      tcpAddress,
      env["GRPC_SOCKET_PATH"]!,
      sessionId,
      agent.jobId,
      `${agent.agent.env["DEVELOPER"]}/${agent.agent.env["AGENT"]}/${agent.agent.env["AGENT_METHOD"]}`,
      [...daemonPids, agent.agent.pid].join(",")
    ])
    const r = JSON.parse(out.split("\n").find((l) => l.startsWith("{"))!)
    expect(r.uid).toBe(65534)
    for (const answer of Object.values(r.http) as Array<string>) expect(answer).toMatch(/^401 /)
    expect(r.files.listState).toMatch(/EACCES/)
    expect(r.files.token).toMatch(/EACCES/)
    expect(r.files.journal).toMatch(/EACCES/)
    expect(Object.keys(r.files.environ).length).toBeGreaterThanOrEqual(2)
    // every listed process: refused, or already gone (a launcher that exec'd away) — never read
    const environ = Object.values(r.files.environ) as Array<string>
    for (const answer of environ) expect(answer).toMatch(/EACCES|ENOENT/)
    expect(environ.filter((a) => /EACCES/.test(a)).length).toBeGreaterThanOrEqual(2)
    expect(Object.keys(r.tcpCalls)).toHaveLength(31)
    expect(Object.keys(r.socketCalls)).toHaveLength(31)
    for (const [rpc, answer] of Object.entries(r.tcpCalls) as Array<[string, string]>) {
      // a refusal: success=false, or — for a job-scoped RPC once the victim's session ended — PERMISSION_DENIED
      expect(answer, rpc).toMatch(/"success":false|PERMISSION_DENIED/)
      // refused for the binding, or — when the victim agent already ended on a fast machine — as an unknown session
      expect(answer, rpc).toMatch(/bound to its agent; calls from 127\.0\.0\.1 are not accepted|unknown session/)
    }
    // the shared socket is 0660 root: the hostile user cannot even connect
    for (const answer of Object.values(r.socketCalls) as Array<string>) expect(answer).toMatch(/^error: .*(EACCES|UNAVAILABLE|permission)/i)
    expect(out).not.toMatch(/suiprivkey/)
    // no refusal names the whole session id
    expect(out).not.toContain(sessionId)

    // nothing was settled for it: the job it named is completed by its own agent, and jobs keep flowing
    await waitFor("more jobs completed", 60_000, async () => ((await completed()) > before ? true : undefined))
    const job = JSON.parse((await get(base, `/v1/jobs?limit=10000`, token)).text).jobs.find((j: { job_id: string }) => j.job_id === agent.jobId)
    expect(job?.error ?? null).not.toBe("hostile")

    // on disk: the state directory 0700, every file in it 0600
    const walk = (d: string): Array<string> =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [path.join(d, e.name), ...walk(path.join(d, e.name))] : e.isFile() ? [path.join(d, e.name)] : []))
    expect(statSync(env["STATE_DIR"]!).mode & 0o777).toBe(0o700)
    const files = walk(env["STATE_DIR"]!)
    expect(files.some((f) => f.endsWith("journal.sqlite-wal"))).toBe(true)
    // (a file may be renamed away between the walk and its stat: an atomic write's temporary file)
    const modes = files.flatMap((f) => {
      try {
        const st = statSync(f)
        return [[f, st.mode & 0o777, st.isDirectory() ? 0o700 : 0o600] as const]
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return []
        throw e
      }
    })
    expect(modes.length).toBeGreaterThan(0)
    for (const [f, mode, want] of modes) expect([f, mode]).toEqual([f, want])
    // and no whole session id in anything the daemon printed or served
    const served = (await Promise.all(["/v1/agents", "/v1/jobs?limit=10000", "/metrics", "/health"].map((p) => get(base, p, token)))).map((x) => x.text)
    expect([daemon.output(), ...served].join("\n")).not.toContain(sessionId)
  }, 240_000)

  it("1,000 concurrent GET /metrics while jobs flow: /health stays 200, the event stream is not cut", async () => {
    const streamOf = async () => JSON.parse((await get(base, "/health")).text).checks.chain.details.stream as { reconnects: number } | undefined
    const reconnectsBefore = (await streamOf())?.reconnects ?? 0
    const before = await completed()
    // The flood starts from a healthy daemon (on its own, this test may run right after start-up).
    await waitFor("a healthy daemon before the flood", 240_000, async () => {
      const health = await get(base, "/health")
      if (health.status === 200) return true
      // kept as the reason the wait gives if it runs out: which checks failed, and why
      throw new Error(`/health ${health.status}: ${health.text.slice(0, 600)}`)
    })
    const flood = Promise.all(Array.from({ length: 1000 }, () => fetch(`${base}/metrics`).then((res) => res.status, () => 0)))
    const healths: Array<number> = []
    const notOk: Array<string> = []
    const probing = (async () => {
      // a probe's connection may be reset like a scrape's when the accept queue overflows; an answer must be 200
      for (let i = 0; i < 10; i++) {
        const r = await get(base, "/health").catch(() => undefined)
        healths.push(r?.status ?? 0)
        if (r !== undefined && r.status !== 200) notOk.push(`${r.status} ${r.text.slice(0, 800)}`)
      }
    })()
    const [statuses] = await Promise.all([flood, probing])
    // every scrape that was answered was answered 200 (connections beyond the listen queue may be reset)
    expect(statuses.filter((s) => s !== 200 && s !== 0)).toEqual([])
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0)
    expect(notOk, "every /health answered during the flood is 200").toEqual([])
    expect(healths.filter((s) => s !== 0).every((s) => s === 200)).toBe(true)
    expect((await get(base, "/health")).status).toBe(200)
    await waitFor("jobs still completing", 240_000, async () => ((await completed()) > before ? true : undefined))
    expect((await streamOf())?.reconnects ?? 0).toBe(reconnectsBefore)
  }, 600_000)

  it("refuses listeners on all interfaces with one line and exit 2; never prints URL credentials", async () => {
    const open = await runCli(["start"], cleanEnv({ HTTP_ADDRESS: "0.0.0.0:0", STATE_DIR: path.join(dir, "s2") }))
    expect(open.code).toBe(2)
    expect(open.output.trim().split("\n")).toEqual([expect.stringMatching(/^invalid configuration: HTTP_ADDRESS: listening on all interfaces/)])
    const creds = await runCli(["config"], cleanEnv({ SUI_RPC_URL: "https://user:s3cr3tpw@node.example/?apikey=KEY", STATE_DIR: path.join(dir, "s3") }))
    expect(creds.output).toContain("https://<redacted>@node.example/?apikey=<redacted>")
    expect(creds.output).not.toMatch(/s3cr3tpw|=KEY|user:/)
    // backstops, not deadlines: each CLI run is a Node process, slow on a loaded machine
  }, 600_000)
})
