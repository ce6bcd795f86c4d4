/**
 * bench:e2e — the coordinator end to end against a localnet in its own process (checkpoints every
 * 250 ms, as mainnet), with warm no-op agents (process runtime, an agent that keeps polling; 32
 * loops, each backing off from 5 ms to BENCH_AGENT_IDLE_MAX_MS — default 100 — while it finds no job;
 * 5 gives the fixed 5 ms pace of earlier runs).
 *
 * - dispatch latency: from the timestamp of the checkpoint carrying a JobCreatedEvent to the
 *   agent's GetJob returning that job (jobs created one per transaction, spaced out);
 * - sustained throughput: jobs created (in batches) → completed on chain, per second;
 * - RSS of a coordinator process holding 100,000 pending jobs (of a TEE-only method this
 *   coordinator leaves alone, so they stay pending);
 * - start-up: from spawning the daemon to its "coordinator running" line, fresh and restarted on
 *   the state it left (what a crash costs), median of BENCH_STARTUP_RUNS (`BENCH_ONLY=startup`
 *   measures only this; `BENCH_STARTUP_RUNS=0` skips it);
 * - `e2e_cpu_ms_per_job`: the daemon's user + system CPU over the throughput part, per job;
 *   `e2e_idle_cpu_ms_per_s` is its CPU while the warm agents poll with no job (measured just
 *   before), and `e2e_cpu_ms_per_job_busy` the per-job figure with that idle rate taken out over
 *   the whole throughput part (a lower bound: agents busy with jobs poll empty less often).
 * `BENCH_ONLY=idle` measures only an idle daemon's CPU (`daemon_idle_cpu_ms_per_s`), `BENCH_ONLY=rss` only the memory, `BENCH_ONLY=loop` only latency and throughput; `BENCH_PROFILE_DIR` profiles the daemon (`npm run profile:e2e`), `BENCH_NODE_PROF_DIR` the localnet, `BENCH_AGENT_PROF_DIR` the agent.
 * `e2e_localnet_cpu_ms_per_job`, `e2e_agents_cpu_ms_per_job` and `e2e_bench_cpu_ms_per_job` are the other processes' CPU over the throughput part.
 * Prints `name=value` lines. A benchmark, not a test.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { createInterface } from "node:readline"
import { buildSync } from "esbuild"
import { coordinationEventName, decodeCoordinationEvent } from "../src/chain/events.js"
import { createJobs, makeSuiClient } from "../src/localnet/client.js"
import type { LocalnetManifest } from "../src/localnet/index.js"
import { agentBundle, chainJobsOf, daemonEnv, readRecords } from "../test/e2e/fixture.js"
import { ownCpuMs, processCpuMs } from "./procCpu.js"

const LATENCY_JOBS = Number(process.env["BENCH_LATENCY_JOBS"] ?? 100)
const THROUGHPUT_JOBS = Number(process.env["BENCH_THROUGHPUT_JOBS"] ?? 5000)
const PENDING_JOBS = Number(process.env["BENCH_PENDING_JOBS"] ?? 100_000)

const node = process.execPath
const tsx = ["--import", "tsx"]

/**
 * BENCH_AGENT_PROF_DIR: the warm agent writes a CPU profile there when it exits (10 s after its
 * last job); the directory is opened to the unprivileged user agents run as under a root daemon.
 */
const agentProfFlags = () => {
  const dir = process.env["BENCH_AGENT_PROF_DIR"]
  if (dir === undefined) return []
  mkdirSync(dir, { recursive: true })
  chmodSync(dir, 0o777)
  return ["--cpu-prof", `--cpu-prof-dir=${path.resolve(dir)}`]
}

/** bench/e2e-node.ts bundled (packages left to node_modules) beside a source map, in .tmp/. */
const bundleNode = () => {
  const out = path.resolve(".tmp", "e2e-node.mjs")
  buildSync({
    entryPoints: ["bench/e2e-node.ts"],
    outfile: out,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node22",
    sourcemap: "linked",
    logLevel: "warning"
  })
  return out
}

const startNode = () =>
  new Promise<{ child: ChildProcess; manifest: LocalnetManifest }>((resolve, reject) => {
    // BENCH_NODE_PROF_DIR: the localnet writes a CPU profile there when it stops; it runs bundled
    // with a linked source map then, so that scripts/profile-top.ts names its source lines
    const prof = process.env["BENCH_NODE_PROF_DIR"]
    const args = prof === undefined ? [...tsx, "bench/e2e-node.ts"] : ["--cpu-prof", `--cpu-prof-dir=${prof}`, bundleNode()]
    const child = spawn(node, args, { stdio: ["pipe", "pipe", "inherit"] })
    createInterface({ input: child.stdout! }).once("line", (line) => resolve({ child, manifest: JSON.parse(line).manifest }))
    child.once("exit", (code) => reject(new Error(`localnet exited with ${code}`)))
  })

/**
 * Checkpoint timestamp (ms) of each JobCreatedEvent, by job sequence, from a live subscription;
 * `stop` ends the subscription (the throughput part does not need it, and a second subscriber
 * would be load on the node that no deployment puts there).
 */
const watchCreated = (manifest: LocalnetManifest) => {
  const client = makeSuiClient(manifest.grpcUrl)
  const createdAt = new Map<bigint, number>()
  const abort = new AbortController()
  const call = client.subscriptionService.subscribeCheckpoints(
    {
      readMask: { paths: ["sequence_number", "summary.timestamp", "transactions.events.events.event_type", "transactions.events.events.contents"] }
    },
    { abort: abort.signal }
  )
  void (async () => {
    try {
      for await (const msg of call.responses) {
        const cp = msg.checkpoint
        const ts = cp?.summary?.timestamp
        const ms = ts === undefined ? Date.now() : Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6)
        for (const tx of cp?.transactions ?? []) {
          for (const ev of tx.events?.events ?? []) {
            if (ev.eventType === undefined || ev.contents?.value === undefined) continue
            if (coordinationEventName(ev.eventType, manifest.packageId) !== "JobCreatedEvent") continue
            const e = decodeCoordinationEvent("JobCreatedEvent", ev.contents.value)
            if (e._tag === "JobCreatedEvent") createdAt.set(e.jobSequence, ms)
          }
        }
      }
    } catch {
      // the stream ends when the bench stops it or closes the node
    }
  })()
  return { createdAt, stop: () => abort.abort() }
}

/**
 * The number of lines the agents have recorded so far, reading only what was appended since the
 * last call (the throughput part asks every 50 ms; parsing the whole file each time cost the bench
 * more CPU than the agents spent on the jobs).
 */
const recordCounter = (file: string) => {
  let offset = 0
  let lines = 0
  const chunk = Buffer.alloc(1 << 16)
  return () => {
    if (!existsSync(file)) return 0
    const fd = openSync(file, "r")
    try {
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, offset)
        if (n === 0) break
        for (let i = 0; i < n; i++) if (chunk[i] === 10) lines++
        offset += n
      }
    } finally {
      closeSync(fd)
    }
    return lines
  }
}

/** The daemon as production runs it (the bundled `dist/silvana.mjs`) when built, else through tsx. */
const daemonArgs = () =>
  existsSync("dist/silvana.mjs") ? ["dist/silvana.mjs", "start"] : existsSync("dist/main.js") ? ["dist/main.js", "start"] : [...tsx, "src/main.ts", "start"]

/**
 * `BENCH_PROFILE_DIR` (set by `npm run profile:e2e`): the throughput daemon writes a CPU profile and
 * a sampling heap profile there when it stops, and the 100k-pending daemon a heap snapshot.
 */
const PROFILE_DIR = process.env["BENCH_PROFILE_DIR"]
const profileFlags = (kind: "cpu" | "snapshot"): Array<string> =>
  PROFILE_DIR === undefined
    ? []
    : kind === "cpu"
      ? [`--cpu-prof`, `--cpu-prof-dir=${PROFILE_DIR}`, `--heap-prof`, `--heap-prof-dir=${PROFILE_DIR}`]
      : [`--heapsnapshot-signal=SIGUSR2`, `--diagnostic-dir=${PROFILE_DIR}`]

/** True once a heap snapshot in `dir` has stopped growing (the daemon writes it on SIGUSR2). */
const snapshotWritten = (dir: string) => {
  let last = -1
  return async () => {
    const file = readdirSync(dir).find((f) => f.endsWith(".heapsnapshot"))
    if (file === undefined) return false
    await sleep(1000)
    const size = statSync(path.join(dir, file)).size
    const done = size > 0 && size === last
    last = size
    return done
  }
}

/** Node flags for the daemon under test (`BENCH_DAEMON_FLAGS`, space-separated), to compare heap settings. */
const DAEMON_FLAGS = (process.env["BENCH_DAEMON_FLAGS"] ?? "").split(" ").filter((f) => f !== "")

const startCoordinator = (
  manifest: LocalnetManifest,
  dir: string,
  extraEnv: Record<string, string>,
  flags: Array<string> = [],
  args: Array<string> = daemonArgs()
) =>
  spawn(node, [...DAEMON_FLAGS, ...flags, ...args], {
    stdio: ["ignore", "ignore", "inherit"],
    env: daemonEnv(manifest, dir, extraEnv)
  })

const rssMb = (pid: number, field: "VmRSS" | "VmHWM" = "VmRSS") => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const until = async (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) => {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await sleep(50)
  }
}
/** CPU time (user + system) a process has used so far, in ms: it must be running. */
const cpuMs = (pid: number) => {
  const ms = processCpuMs(pid)
  if (ms === undefined) throw new Error(`no CPU time for process ${pid}: it has exited`)
  return ms
}

/** The pids of a process's descendants (its agents and their wrappers), from /proc. */
const descendants = (pid: number): Array<number> => {
  const parent = new Map<number, number>()
  for (const name of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(name)) continue
    try {
      parent.set(Number(name), Number(readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1]!.split(" ")[1]))
    } catch {
      // exited while listed
    }
  }
  const out: Array<number> = []
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) (out.push(child), walk(child))
  }
  walk(pid)
  return out
}
/** CPU ms of these pids together; a pid that has exited counts as 0. */
const cpuMsOf = (pids: ReadonlyArray<number>) =>
  pids.reduce((sum, pid) => {
    try {
      return sum + cpuMs(pid)
    } catch {
      return sum
    }
  }, 0)

/** Wall and CPU milliseconds from spawning the daemon to its "coordinator running" log line; then stops it. */
const timeStartup = async (manifest: LocalnetManifest, dir: string) => {
  const t0 = performance.now()
  const child = spawn(node, daemonArgs(), { stdio: ["ignore", "pipe", "pipe"], env: daemonEnv(manifest, dir, { LOG_LEVEL: "info" }) })
  try {
    return await new Promise<{ wall: number; cpu: number }>((resolve, reject) => {
      const watch = (stream: NodeJS.ReadableStream) =>
        createInterface({ input: stream }).on("line", (line) => {
          if (line.includes("coordinator running")) resolve({ wall: performance.now() - t0, cpu: cpuMs(child.pid!) })
        })
      watch(child.stdout!)
      watch(child.stderr!)
      child.once("exit", (code) => reject(new Error(`the daemon exited with ${code} before it was running`)))
    })
  } finally {
    child.kill("SIGTERM")
    await new Promise((r) => child.once("exit", r))
  }
}

const measureStartup = async (manifest: LocalnetManifest) => {
  const runs = Number(process.env["BENCH_STARTUP_RUNS"] ?? 5)
  const fresh: Array<{ wall: number; cpu: number }> = []
  const again: Array<{ wall: number; cpu: number }> = []
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-bench-startup-"))
    fresh.push(await timeStartup(manifest, dir))
    again.push(await timeStartup(manifest, dir))
  }
  const wall = (xs: typeof fresh) => pct(xs.map((x) => x.wall), 50).toFixed(0)
  console.log(`startup_daemon=${daemonArgs()[0]!.startsWith("dist/") ? daemonArgs()[0] : "tsx"}`)
  console.log(`startup_ms=${wall(fresh)}`)
  console.log(`startup_ms_restart=${wall(again)}`)
  // CPU is what a busy machine stretches: on a quiet one, start-up takes about this long.
  console.log(`startup_cpu_ms=${pct(fresh.map((x) => x.cpu), 50).toFixed(0)}`)
  console.log(`startup_ms_runs=${fresh.map((x) => x.wall.toFixed(0)).join(",")}`)
}

const pct = (xs: Array<number>, p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!

const main = async () => {
  const { child: localnet, manifest } = await startNode()
  if (Number(process.env["BENCH_STARTUP_RUNS"] ?? 5) > 0) await measureStartup(manifest)
  if (process.env["BENCH_ONLY"] === "startup") {
    localnet.stdin!.end()
    return
  }
  if (process.env["BENCH_ONLY"] === "idle") {
    await measureIdle(manifest)
    localnet.stdin!.end()
    return
  }
  if (process.env["BENCH_ONLY"] !== "rss") await measureLoop(manifest, localnet)
  if (process.env["BENCH_ONLY"] === "loop") {
    localnet.stdin!.end()
    return
  }
  await measureRss(manifest, localnet)
}

/**
 * `BENCH_ONLY=idle`: the CPU a daemon uses following a quiet chain (checkpoints every 250 ms, no
 * job, no agent) over BENCH_IDLE_SECONDS after a 5 s settle-in: `daemon_idle_cpu_ms_per_s`, what
 * running it beside other work costs when it has nothing to do. BENCH_PROFILE_DIR profiles it.
 */
const measureIdle = async (manifest: LocalnetManifest) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-bench-idle-"))
  const coordinator = startCoordinator(manifest, dir, {}, profileFlags("cpu"))
  try {
    await sleep(5000)
    const seconds = Number(process.env["BENCH_IDLE_SECONDS"] ?? 20)
    const c0 = cpuMs(coordinator.pid!)
    const t0 = performance.now()
    await sleep(seconds * 1000)
    console.log(`daemon_idle_cpu_ms_per_s=${((cpuMs(coordinator.pid!) - c0) / ((performance.now() - t0) / 1000)).toFixed(1)}`)
  } finally {
    coordinator.kill("SIGTERM")
    await new Promise((r) => coordinator.once("exit", r))
  }
}

/** Dispatch latency, then sustained throughput and CPU per job, of one daemon with warm agents. */
const measureLoop = async (manifest: LocalnetManifest, localnet: ChildProcess) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-bench-e2e-"))
  // agents run unprivileged (AGENT_PROCESS_USER) when the daemon is root: their record file lives
  // in a directory they may write to, outside the daemon's private STATE_DIR
  const recordDir = path.join(dir, "records")
  mkdirSync(recordDir)
  chmodSync(dir, 0o755)
  chmodSync(recordDir, 0o777)
  const records = path.join(recordDir, "records.txt")
  const bundle = await agentBundle()
  const { createdAt, stop: stopWatching } = watchCreated(manifest)
  const coordinator = startCoordinator(manifest, dir, {
    AGENT_PROCESS_COMMANDS: JSON.stringify({ "bench/warm": [node, ...agentProfFlags(), bundle, records, "warm", process.env["BENCH_AGENT_LOOPS"] ?? "32", process.env["BENCH_AGENT_IDLE_MAX_MS"] ?? "100"] }),
    DISPATCH_PREFETCH: process.env["BENCH_PREFETCH"] ?? "256"
  }, profileFlags("cpu"))
  const completed = recordCounter(records)
  try {
    // warm up: the first job starts the agent session
    await createJobs(manifest, { count: 1, method: "run" })
    await until(() => completed() >= 1, 60_000, "first job")

    // dispatch latency: one job per transaction, spaced so they land in different checkpoints
    const latencySeqs: Array<bigint> = []
    for (let i = 0; i < LATENCY_JOBS; i++) {
      latencySeqs.push(...(await createJobs(manifest, { count: 1, method: "run" })).jobSequences)
      await sleep(40 + Math.random() * 80)
    }
    await until(() => completed() >= 1 + LATENCY_JOBS, 120_000, "latency jobs")
    const got = new Map(readRecords(records).map((r) => [r.seq, Number(r.outcome.slice(4))]))
    const latencies = latencySeqs.flatMap((s) => (createdAt.has(s) && got.has(s) ? [got.get(s)! - createdAt.get(s)!] : []))
    stopWatching()

    // the warm agents' empty polling, with no job anywhere: the daemon's CPU per second of it
    const idleSeconds = Number(process.env["BENCH_IDLE_SECONDS"] ?? 5)
    const idle0 = cpuMs(coordinator.pid!)
    const idleT0 = performance.now()
    await sleep(idleSeconds * 1000)
    const idleCpuPerS = (cpuMs(coordinator.pid!) - idle0) / ((performance.now() - idleT0) / 1000)

    // sustained throughput: batches of creations, until everything is completed on chain
    const before = completed()
    const t0 = performance.now()
    const cpu0 = cpuMs(coordinator.pid!)
    // the other processes' share of the machine over the same part: the localnet, the agents, this
    // bench (creating the jobs and watching the records)
    const agents = descendants(coordinator.pid!)
    const others0 = { localnet: cpuMs(localnet.pid!), agents: cpuMsOf(agents), bench: ownCpuMs() }
    const seqs: Array<bigint> = []
    for (let made = 0; made < THROUGHPUT_JOBS; made += 500) {
      seqs.push(...(await createJobs(manifest, { count: Math.min(500, THROUGHPUT_JOBS - made), method: "run", perTransaction: 100 })).jobSequences)
    }
    await until(() => completed() - before >= THROUGHPUT_JOBS, 600_000, "throughput jobs")
    const chainJobs = chainJobsOf(manifest)
    await until(async () => (await chainJobs(seqs.slice(-200))).length === 0, 120_000, "settled on chain")
    const seconds = (performance.now() - t0) / 1000
    const cpu = cpuMs(coordinator.pid!) - cpu0
    const others = {
      localnet: cpuMs(localnet.pid!) - others0.localnet,
      agents: cpuMsOf(agents) - others0.agents,
      bench: ownCpuMs() - others0.bench
    }
    const cpuPerJob = cpu / THROUGHPUT_JOBS
    const busyCpuPerJob = Math.max(0, cpu - idleCpuPerS * seconds) / THROUGHPUT_JOBS

    console.log(`dispatch_p50_ms=${pct(latencies, 50).toFixed(0)}`)
    console.log(`dispatch_p99_ms=${pct(latencies, 99).toFixed(0)}`)
    console.log(`dispatch_samples=${latencies.length}`)
    console.log(`e2e_jobs_per_s=${(THROUGHPUT_JOBS / seconds).toFixed(0)}`)
    // daemon user + system CPU per job created → completed on chain: what a busy machine does not change
    console.log(`e2e_cpu_ms_per_job=${cpuPerJob.toFixed(2)}`)
    console.log(`e2e_idle_cpu_ms_per_s=${idleCpuPerS.toFixed(1)}`)
    console.log(`e2e_cpu_ms_per_job_busy=${busyCpuPerJob.toFixed(2)}`)
    // where the rest of the machine goes, per job: with 2 cores, 2,000 ms / (the sum of these and
    // e2e_cpu_ms_per_job) is the most jobs per second the machine can give
    console.log(`e2e_localnet_cpu_ms_per_job=${(others.localnet / THROUGHPUT_JOBS).toFixed(2)}`)
    console.log(`e2e_agents_cpu_ms_per_job=${(others.agents / THROUGHPUT_JOBS).toFixed(2)}`)
    console.log(`e2e_bench_cpu_ms_per_job=${(others.bench / THROUGHPUT_JOBS).toFixed(2)}`)
    console.log(`e2e_load_avg=${os.loadavg()[0]!.toFixed(1)}`)
    // the warm agent leaves by itself 10 s after its last job, writing its profile on the way out
    if (process.env["BENCH_AGENT_PROF_DIR"] !== undefined) await sleep(12_000)
  } finally {
    coordinator.kill("SIGTERM")
    await new Promise((r) => coordinator.once("exit", r))
  }

}

/**
 * RSS of a daemon holding 100k pending jobs of a method no agent is registered for, read once it
 * has taken them all in (its CPU has gone quiet). `BENCH_RSS_VARIANTS` ("flags|flags|…") runs more
 * daemons beside it on the same chain, each with other Node flags, for a same-run comparison; a
 * variant whose first word ends in `.mjs` runs that bundle instead (another build, e.g. the base
 * commit's `dist/` copied aside), and `NAME=value` words set its environment. Each daemon's CPU over the burst is printed beside its RSS.
 */
const measureRss = async (manifest: LocalnetManifest, localnet: ChildProcess) => {
  const variants = (process.env["BENCH_RSS_VARIANTS"] ?? "").split("|").filter((v) => v.trim() !== "")
  const start = (words: Array<string>) => {
    // NAME=value words set the environment (MALLOC_ARENA_MAX=2), a first word ending in .mjs the bundle
    const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]))
    const flags = words.filter((w) => !/^[A-Z_]+=/.test(w))
    const bundle = flags[0]?.endsWith(".mjs") === true ? [flags[0], "start"] : undefined
    const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-bench-rss-"))
    return startCoordinator(manifest, dir, env, bundle === undefined ? flags : flags.slice(1), bundle)
  }
  const main = start(profileFlags("snapshot"))
  const others = variants.map((v) => ({ flags: v.trim(), child: start(v.trim().split(" ")) }))
  const all = [main, ...others.map((o) => o.child)]
  const cpu0 = all.map((c) => cpuMs(c.pid!))
  try {
    await sleep(3000)
    const baseline = rssMb(main.pid!)
    for (let made = 0; made < PENDING_JOBS; made += 2000) {
      await createJobs(manifest, { count: Math.min(2000, PENDING_JOBS - made), method: "unserved", perTransaction: 200 })
    }
    await until(quiet(all), 600_000, "daemons quiet after the burst")
    await sleep(5000)
    console.log(`rss_daemon=${daemonArgs()[0]!.startsWith("dist/") ? daemonArgs()[0] : "tsx"}`)
    console.log(`rss_mb_baseline=${baseline.toFixed(0)}`)
    console.log(`rss_mb_100k_pending=${rssMb(main.pid!).toFixed(0)}`)
    console.log(`rss_mb_peak=${rssMb(main.pid!, "VmHWM").toFixed(0)}`)
    console.log(`rss_burst_cpu_ms=${cpuMs(main.pid!) - cpu0[0]!}`)
    others.forEach((o, i) => {
      console.log(`rss_mb_100k_pending_variant${i + 1}=${rssMb(o.child.pid!).toFixed(0)} (${o.flags})`)
      console.log(`rss_mb_peak_variant${i + 1}=${rssMb(o.child.pid!, "VmHWM").toFixed(0)}`)
      console.log(`rss_burst_cpu_ms_variant${i + 1}=${cpuMs(o.child.pid!) - cpu0[i + 1]!}`)
    })
    console.log(`rss_load_avg=${os.loadavg()[0]!.toFixed(1)}`)
    if (PROFILE_DIR !== undefined) {
      main.kill("SIGUSR2")
      await until(snapshotWritten(PROFILE_DIR), 300_000, "heap snapshot")
    }
  } finally {
    for (const c of all) {
      c.kill("SIGTERM")
      await new Promise((r) => c.once("exit", r))
    }
    localnet.stdin!.end()
  }
}

/** True once none of the processes used more than 10 % of a core over the last two seconds. */
const quiet = (children: ReadonlyArray<ChildProcess>) => async () => {
  const before = children.map((c) => cpuMs(c.pid!))
  await sleep(2000)
  return children.every((c, i) => cpuMs(c.pid!) - before[i]! < 200)
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
