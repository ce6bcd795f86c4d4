/**
 * `npm run bench:pipeline`: the proving pipeline sustained on the localnet with real agent
 * processes and 4 agent permits — demo-app actions over 2 app instances, sent as fast as the
 * localnet takes them, measured until every action is in a block that is proved and settled on the
 * ledger. Prints pipeline_actions_per_s= (actions settled / time from the first action to the last
 * settlement) and the p50 / p99 from an action's transaction to the settlement of its block, then
 * where that time went: action → its block closed → block proved → block settled (p50 each, from
 * the chain's instance state polled every 200 ms), and the daemon's pipeline counters.
 *
 * Bounded: after BENCH_MAX_SECS it stops waiting and prints the same figures over the actions
 * settled by then, with `complete=false`.
 *
 * Env: BENCH_ACTIONS (default 2000), BENCH_BATCH (actions per transaction, 20), BENCH_BLOCK_MS
 * (the localnet-only min_time_between_blocks, 1000), BENCH_MAX_SECS (600), BENCH_RATE (actions offered
 * a second, paced batch by batch; 0, the default, sends them as fast as the localnet takes them — a
 * burst, whose latency is mostly queueing; a rate the pipeline keeps up with shows its own latency), BENCH_DAEMON:
 * `in-process` (default: localnet, coordinator and bench share one Node process) or `process` (the
 * coordinator is a daemon process of its own, `src/main.ts start`, as it is deployed beside a node
 * it does not share a thread with; its counters are then read from its /metrics). A daemon process
 * also gives daemon_cpu_ms_per_action= (its user + system CPU over the run, per action settled: the
 * figure a busy machine does not move) and, with BENCH_DAEMON_PROF=<dir>, a V8 CPU profile of it
 * (`npx tsx scripts/profile-top.ts <dir>`). BENCH_TIMELINE=<file> writes every transaction of the run
 * as a line (checkpoint time, the Move calls, the jobs it created, started or ended) to read where
 * a block's time went. BENCH_IDLE_SECS=<n> first measures the daemon process idle for n seconds
 * (following the chain, no actions): daemon_idle_cpu_ms_per_s=. BENCH_TIMERS: the pipeline
 * programs' fallback periods, `deployed` (default: the daemon's own) or `test` (as the tests set
 * them, 200-500 ms). BENCH_CHECKPOINT_MS sets the
 * localnet's checkpoint interval (default 50; a Sui network seals one every 200-300 ms).
 */
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Metric } from "effect"
import { decodeProof } from "../examples/pipeline-agent/hashProof.js"
import { coordinationEventName, decodeCoordinationEvent } from "../src/chain/events.js"
import { normalizeAppInstance } from "../src/domain/ids.js"
import * as Metrics from "../src/layers/Metrics.js"
import { daemonEnv } from "../test/e2e/fixture.js"
import { freePort } from "../test/ops/processes.js"
import { parsePrometheus } from "../test/ops/prometheus.js"
import { startPipeline, TEST_PIPELINE_TIMERS } from "../test/support/pipeline.js"
import { machineCpuMs, ownCpuMs, processCpuMs } from "./procCpu.js"

const ACTIONS = Number(process.env.BENCH_ACTIONS ?? 2000)
const BATCH = Number(process.env.BENCH_BATCH ?? 20)
const BLOCK_MS = Number(process.env.BENCH_BLOCK_MS ?? 1000)
const MAX_SECS = Number(process.env.BENCH_MAX_SECS ?? 600)
const RATE = Number(process.env.BENCH_RATE ?? 0)
const CHECKPOINT_MS = Number(process.env.BENCH_CHECKPOINT_MS ?? 50)
if (!(Number.isInteger(CHECKPOINT_MS) && CHECKPOINT_MS > 0)) throw new Error(`BENCH_CHECKPOINT_MS must be a positive whole number of ms, not ${process.env.BENCH_CHECKPOINT_MS}`)
if (!(RATE >= 0)) throw new Error(`BENCH_RATE must be a number of actions a second (0: as fast as possible), not ${process.env.BENCH_RATE}`)
const DAEMON = process.env.BENCH_DAEMON ?? "in-process"
if (DAEMON !== "in-process" && DAEMON !== "process") throw new Error(`BENCH_DAEMON must be in-process or process, not ${DAEMON}`)
const MAX_AGENTS = 4
// BENCH_TIMERS: the pipeline programs' fallback periods — `deployed` (the daemon's defaults, seconds:
// the programs run on events) or `test` (200-500 ms, as the tests run them; they cost the daemon
// some 170 ms of CPU a second while idle, and a fifth of its CPU per action).
const TIMERS = process.env.BENCH_TIMERS ?? "deployed"
if (TIMERS !== "deployed" && TIMERS !== "test") throw new Error(`BENCH_TIMERS must be deployed or test, not ${TIMERS}`)
const COUNTERS = ["silvana_grpc_requests_total", "silvana_pipeline_", "silvana_settlement_transactions_total", "silvana_settlement_ops_total", "silvana_container_exits_total", "silvana_jobs_", "silvana_node_requests_total"]

const pct = (xs: ReadonlyArray<number>, q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const load = () => os.loadavg().map((l) => l.toFixed(1)).join("/")

/** The in-process daemon's counters: name → value, for the names given. */
const counters = (prefixes: ReadonlyArray<string>) =>
  Effect.runSync(Effect.zipRight(Metrics.flushHot, Metric.snapshot))
    .filter((p) => prefixes.some((x) => p.metricKey.name.startsWith(x)) && "count" in p.metricState && typeof p.metricState.count === "number")
    .map((p) => `${p.metricKey.name}=${(p.metricState as unknown as { count: number }).count}`)
    .sort()

/** A daemon process's counters, from its /metrics: each sample name's value summed over its labels (no histogram buckets or sums). */
const scrapeCounters = async (base: string, token: string, prefixes: ReadonlyArray<string>) => {
  const families = parsePrometheus(await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text())
  const sums = new Map<string, number>()
  for (const f of families.values()) {
    for (const x of f.samples) {
      if (!prefixes.some((p) => x.name.startsWith(p)) || x.name.endsWith("_bucket") || x.name.endsWith("_sum")) continue
      // agent API calls per method: what the agents ask of the daemon per action
      // and the daemon's requests to the node per method: what a full node's rate limit sees
      const byMethod = (x.name === "silvana_grpc_requests_total" || x.name === "silvana_node_requests_total") && x.labels["method"] !== undefined
      const key = byMethod ? `${x.name}{method=${x.labels["method"]}}` : x.name
      sums.set(key, (sums.get(key) ?? 0) + x.value)
    }
  }
  return [...sums].map(([k, v]) => `${k}=${v}`).sort()
}


interface BlockTimes {
  closedAt?: number
  provedAt?: number
  settledAt?: number
  first?: number
  last?: number
}

const main = async () => {
  console.log(`load_avg_start=${load()}`)
  const p = await startPipeline({ instances: 2, blockIntervalMs: BLOCK_MS, maxAgents: MAX_AGENTS, checkpointMs: CHECKPOINT_MS, coordinator: DAEMON === "process" ? "none" : "in-process", timers: TIMERS })
  let daemon:
    | {
        readonly stop: () => Promise<void>
        readonly counters: () => Promise<Array<string>>
        readonly healthy: () => Promise<void>
        readonly cpuMs: () => number | undefined
      }
    | undefined
  if (DAEMON === "process") {
    // the settings startPipeline gives its in-process coordinator
    const dir = path.join(p.dir, "daemon")
    mkdirSync(dir, { recursive: true })
    const port = await freePort()
    const env = daemonEnv(p.localnet.manifest, dir, {
      SILVANA_APP_INSTANCES: p.instances.join(","),
      AGENT_PROCESS_COMMANDS: p.processCommands,
      MAX_CONCURRENT_AGENTS: String(MAX_AGENTS),
      ...(process.env.BENCH_LOG_LEVEL === undefined ? {} : { LOG_LEVEL: process.env.BENCH_LOG_LEVEL }),
      ...(process.env.BENCH_AGENTS_PER_TRIPLE === undefined ? {} : { MAX_AGENTS_PER_TRIPLE: process.env.BENCH_AGENTS_PER_TRIPLE }),
      CONTAINER_TIMEOUT_SECS: "3600",
      ...(TIMERS === "test" ? TEST_PIPELINE_TIMERS : {}),
      HTTP_ADDRESS: `127.0.0.1:${port}`
    })
    const log = openSync(path.join(dir, "daemon.log"), "a")
    const prof = process.env.BENCH_DAEMON_PROF
    // the daemon as production runs it (the bundle) when built, else through tsx
    const main = existsSync("dist/silvana.mjs") ? ["dist/silvana.mjs"] : ["--import", "tsx", "src/main.ts"]
    const child = spawn(process.execPath, [...(prof === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${path.resolve(prof)}`]), ...main, "start"], {
      env,
      stdio: ["ignore", log, log]
    })
    console.log(`daemon=process daemon_main=${main.at(-1)} log=${path.join(dir, "daemon.log")}`)
    daemon = {
      // SIGTERM, then its orderly stop (the profile is written at exit) while the node still answers
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          const hard = setTimeout(() => child.kill("SIGKILL"), 90_000)
          child.once("exit", () => {
            clearTimeout(hard)
            resolve()
          })
          child.kill("SIGTERM")
        }),
      /** The daemon's CPU time so far (user + system, from /proc; undefined where there is none). */
      cpuMs: () => processCpuMs(child.pid),
      counters: () => scrapeCounters(`http://127.0.0.1:${port}`, readFileSync(path.join(env.STATE_DIR, "api-token"), "utf8").trim(), COUNTERS),
      // actions start once the daemon answers its health check (it follows the chain by then)
      healthy: async () => {
        const until = Date.now() + 120_000
        while ((await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0)) !== 200) {
          if (child.exitCode !== null || Date.now() > until) throw new Error(`the daemon did not become healthy (see ${path.join(dir, "daemon.log")})`)
          await sleep(250)
        }
      }
    }
  }
  const timeline: Array<string> = []
  const timelineFile = process.env.BENCH_TIMELINE
  const unwatch = timelineFile === undefined ? () => undefined : p.localnet.chain.onCheckpoint((cp) => {
    const ts = cp.summary?.timestamp
    const ms = ts === undefined ? 0 : Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6)
    for (const tx of cp.transactions) {
      const kind = tx.transaction?.kind?.data
      const calls = kind?.oneofKind === "programmableTransaction" ? kind.programmableTransaction.commands.flatMap((c) => c.command.oneofKind === "moveCall" ? [c.command.moveCall.function ?? "?"] : []) : []
      const jobs = (tx.events?.events ?? []).flatMap((ev) => {
        const name = ev.eventType === undefined ? undefined : coordinationEventName(ev.eventType, p.localnet.manifest.packageId)
        if (name === undefined || ev.contents?.value === undefined) return []
        const e = decodeCoordinationEvent(name, ev.contents.value) as { _tag: string; jobSequence?: bigint; appInstanceMethod?: string; sequences?: { _tag: string; value?: ReadonlyArray<bigint> } }
        const seqs = e.sequences?._tag === "Some" ? `[${e.sequences.value![0]}..${e.sequences.value!.at(-1)}]` : ""
        return [`${e._tag.replace(/^Job|Event$/g, "")}:${e.jobSequence ?? ""}${e.appInstanceMethod === undefined ? "" : `:${e.appInstanceMethod}${seqs}`}`]
      })
      timeline.push(`${ms} cp=${cp.sequenceNumber} calls=${calls.join(",")} ${jobs.join(" ")}`)
    }
  })
  try {
    await daemon?.healthy()
    // BENCH_IDLE_SECS: the daemon's CPU while it only follows the chain (checkpoints, no actions),
    // measured before the first action: the part of daemon_cpu_ms_per_action that is not per action.
    const idleSecs = Number(process.env.BENCH_IDLE_SECS ?? 0)
    if (daemon !== undefined && idleSecs > 0) {
      const before = daemon.cpuMs()
      await sleep(idleSecs * 1000)
      const after = daemon.cpuMs()
      if (before !== undefined && after !== undefined) console.log(`daemon_idle_cpu_ms_per_s=${((after - before) / idleSecs).toFixed(1)}`)
    }
    const cpuAtStart = daemon?.cpuMs()
    const machineAtStart = machineCpuMs()
    const ownAtStart = ownCpuMs()
    const keys = p.instances.map(normalizeAppInstance)
    // per instance: when sequence k was sent (k-th action) and each block's milestones
    const sentAt = new Map<string, Array<number>>(keys.map((k) => [k, [0]]))
    const blocks = new Map<string, Map<number, BlockTimes>>(keys.map((k) => [k, new Map()]))
    const blockOf = (ai: string, n: number) => {
      const m = blocks.get(ai)!
      if (!m.has(n)) m.set(n, {})
      return m.get(n)!
    }
    let seen = 0
    let running = true
    const watchLedger = () => {
      const entries = p.ledger.entries()
      const now = Date.now()
      for (const e of entries.slice(seen)) {
        const proof = decodeProof(e.proof)
        const ai = normalizeAppInstance(e.appInstance)
        if (proof === undefined || !blocks.has(ai)) continue
        const b = blockOf(ai, Number(e.block))
        b.settledAt = now
        b.first = Number(proof.first)
        b.last = Number(proof.last)
      }
      seen = entries.length
    }
    // the chain's view: blocks closed (block_number moves on) and proved (last_proved_block_number)
    const watchChain = async () => {
      while (running) {
        for (const ai of p.instances) {
          const f = await p.report(ai).then((r) => r.fields, () => undefined)
          if (f === undefined) continue
          const now = Date.now()
          const key = normalizeAppInstance(ai)
          for (let n = 1; n < Number(f.blockNumber); n++) blockOf(key, n).closedAt ??= now
          for (let n = 1; n <= Number(f.lastProvedBlockNumber); n++) blockOf(key, n).provedAt ??= now
        }
        watchLedger()
        await sleep(200)
      }
    }
    const watcher = watchChain()
    const t0 = Date.now()
    let sent = 0
    let k = 0
    while (sent < ACTIONS && Date.now() - t0 < MAX_SECS * 1000) {
      const ai = p.instances[k++ % p.instances.length]!
      const n = Math.min(BATCH, ACTIONS - sent)
      // paced: this batch is due when the actions before it have had their share of time
      if (RATE > 0) await sleep(t0 + (sent * 1000) / RATE - Date.now())
      const before = Date.now()
      await p.add(ai, n)
      const times = sentAt.get(normalizeAppInstance(ai))!
      for (let i = 0; i < n; i++) times.push(before)
      sent += n
    }
    const sendSecs = (Date.now() - t0) / 1000
    let complete = false
    while (Date.now() - t0 < MAX_SECS * 1000) {
      if ((await Promise.all(p.instances.map((ai) => p.settledAll(ai)))).every(Boolean)) {
        complete = true
        break
      }
      await sleep(250)
    }
    running = false
    await watcher
    watchLedger()

    const total: Array<number> = []
    const toClosed: Array<number> = []
    const toProved: Array<number> = []
    const toSettled: Array<number> = []
    let settled = 0
    let lastSettled = t0
    for (const ai of keys) {
      const times = sentAt.get(ai)!
      for (const b of blocks.get(ai)!.values()) {
        if (b.settledAt === undefined || b.first === undefined || b.last === undefined) continue
        lastSettled = Math.max(lastSettled, b.settledAt)
        const closed = b.closedAt ?? b.settledAt
        const proved = Math.max(closed, b.provedAt ?? b.settledAt)
        for (let s = b.first; s <= b.last; s++) {
          const at = times[s]
          if (at === undefined) continue
          settled++
          total.push(b.settledAt - at)
          toClosed.push(Math.max(0, closed - at))
          toProved.push(proved - closed)
          toSettled.push(b.settledAt - proved)
        }
      }
    }
    const secs = ((complete ? lastSettled : Date.now()) - t0) / 1000
    console.log(`actions=${ACTIONS} sent=${sent} batch=${BATCH} block_ms=${BLOCK_MS} checkpoint_ms=${CHECKPOINT_MS} instances=2 agent_permits=${MAX_AGENTS} daemon=${DAEMON} timers=${TIMERS} rate=${RATE} offered_actions_per_s=${(sent / sendSecs).toFixed(1)}`)
    console.log(`complete=${complete} actions_settled=${settled} blocks_settled=${p.ledger.entries().length} ledger_intact=${p.ledger.intact()} elapsed_s=${secs.toFixed(1)}`)
    console.log(`pipeline_actions_per_s=${(settled / secs).toFixed(1)}`)
    console.log(`action_to_settled_p50_ms=${pct(total, 0.5)}`)
    console.log(`action_to_settled_p99_ms=${pct(total, 0.99)}`)
    console.log(`stage_p50_ms action_to_block_closed=${pct(toClosed, 0.5)} closed_to_proved=${pct(toProved, 0.5)} proved_to_settled=${pct(toSettled, 0.5)}`)
    const cpuAtEnd = daemon?.cpuMs()
    const machineAtEnd = machineCpuMs()
    const ownMs = ownCpuMs() - ownAtStart
    // the daemon's CPU per action settled, the figure that does not depend on how busy the machine is
    const daemonMs = cpuAtStart !== undefined && cpuAtEnd !== undefined ? cpuAtEnd - cpuAtStart : undefined
    if (daemonMs !== undefined && settled > 0) console.log(`daemon_cpu_ms_per_action=${(daemonMs / settled).toFixed(1)}`)
    // Where the whole machine's CPU went, per action settled. The goal of 200 actions a second
    // leaves os.availableParallelism() × 1000 / 200 ms of CPU per action for everything together.
    if (machineAtStart !== undefined && machineAtEnd !== undefined && settled > 0) {
      const machineMs = machineAtEnd - machineAtStart
      const per = (ms: number) => (ms / settled).toFixed(1)
      console.log(`cpu_budget_ms_per_action_at_goal=${((os.availableParallelism() * 1000) / 200).toFixed(1)}`)
      console.log(`machine_cpu_ms_per_action=${per(machineMs)}`)
      // this process: the localnet (its execution, checkpoints, subscriptions) and the bench's own
      // watchers — and the coordinator too when it runs in-process
      console.log(`${daemon === undefined ? "localnet_and_coordinator" : "localnet"}_cpu_ms_per_action=${per(ownMs)}`)
      // the rest: the agent processes, their runtime, and whatever else the machine ran
      console.log(`agents_and_rest_cpu_ms_per_action=${per(machineMs - ownMs - (daemonMs ?? 0))}`)
    }
    console.log(`load_avg_end=${load()}`)
    const lines = daemon === undefined ? counters(COUNTERS) : await daemon.counters()
    for (const c of lines) console.log(c)
    // node requests over the whole run (start-up included), per action settled
    const nodeRequests = lines.filter((c) => c.startsWith("silvana_node_requests_total")).reduce((n, c) => n + Number(c.split("=").at(-1)), 0)
    if (nodeRequests > 0 && settled > 0) console.log(`node_requests_per_action=${(nodeRequests / settled).toFixed(1)}`)
  } finally {
    unwatch()
    if (timelineFile !== undefined) writeFileSync(timelineFile, `${timeline.join("\n")}\n`)
    await daemon?.stop()
    await p.close()
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e)
    process.exit(1)
  }
)
