/**
 * How the embedded demo's state grows: runs `start` with no SUI_RPC_URL (the demo: localnet in
 * process, demo jobs every 2 s) in a fresh STATE_DIR for DEMO_MINUTES (default 20), samples the
 * size of the localnet's state (its state file and write-ahead log) and of all of STATE_DIR/embedded
 * (the coordinator's journal too) every 30 s, then stops it with SIGTERM. Prints the samples, the
 * final sizes and the growth over the second half (`demo_localnet_state_growth_mb_per_hour`, a
 * least-squares slope); exits 1 when the localnet's growth reaches 5 MB/hour. The localnet prunes all but its last
 * DEMO_RETAIN_CHECKPOINTS checkpoints, so after the first minutes the size levels off.
 *
 *   npx tsx scripts/demo-state.ts        (DEMO_MINUTES=60 for the hour)
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const minutes = Number(process.env["DEMO_MINUTES"] ?? 20)
const LIMIT_MB_PER_HOUR = 5

const sizeOf = (p: string): number => {
  if (!fs.existsSync(p)) return 0
  const st = fs.statSync(p)
  return st.isDirectory() ? fs.readdirSync(p).reduce((n, f) => n + sizeOf(path.join(p, f)), 0) : st.size
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "silvana-demo-state-"))
const stateDir = path.join(dir, "state")
const env: NodeJS.ProcessEnv = { ...process.env, STATE_DIR: stateDir, GRPC_SOCKET_PATH: path.join(dir, "coordinator.sock"), GRPC_TCP_ADDRESS: "127.0.0.1:0", HTTP_ADDRESS: "127.0.0.1:0", LOG_LEVEL: "warn" }
for (const k of ["SUI_RPC_URL", "SUI_PRIVATE_KEY", "SILVANA_REGISTRY_PACKAGE", "SILVANA_REGISTRY", "SILVANA_APP_INSTANCES"]) delete env[k]
const daemon = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "start"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] })
const exited = new Promise<number | null>((resolve) => daemon.once("exit", resolve))

interface Sample {
  readonly at: number
  /** The localnet's state file and write-ahead log. */
  readonly localnet: number
  /** Everything under STATE_DIR/embedded (the coordinator's journal too). */
  readonly all: number
}
const samples: Array<Sample> = []
const started = performance.now()
const embedded = path.join(stateDir, "embedded")
const localnetBytes = () =>
  fs.existsSync(embedded) ? fs.readdirSync(embedded).filter((f) => f.startsWith("localnet.json")).reduce((n, f) => n + sizeOf(path.join(embedded, f)), 0) : 0
while (performance.now() - started < minutes * 60_000 && daemon.exitCode === null) {
  await new Promise((r) => setTimeout(r, 30_000))
  const sample = { at: (performance.now() - started) / 60_000, localnet: localnetBytes(), all: sizeOf(embedded) }
  samples.push(sample)
  console.log(`${sample.at.toFixed(1)} min: localnet ${(sample.localnet / 1e6).toFixed(2)} MB, all ${(sample.all / 1e6).toFixed(2)} MB`)
}
daemon.kill("SIGTERM")
const code = await exited
if (samples.length < 4) {
  console.error(`the demo stopped early (exit ${code}) or ran too briefly to measure`)
  process.exit(2)
}
/** MB per hour: the least-squares slope over the second half (single samples are noisy: saves, log rotation). */
const growth = (of: (s: Sample) => number) => {
  const xs = samples.slice(Math.floor(samples.length / 2))
  const mx = xs.reduce((n, s) => n + s.at, 0) / xs.length
  const my = xs.reduce((n, s) => n + of(s), 0) / xs.length
  const slope = xs.reduce((n, s) => n + (s.at - mx) * (of(s) - my), 0) / xs.reduce((n, s) => n + (s.at - mx) ** 2, 0)
  return (slope / 1e6) * 60
}
const last = samples[samples.length - 1]!
const localnetGrowth = growth((s) => s.localnet)
console.log(`demo_localnet_state_mb=${(last.localnet / 1e6).toFixed(2)}`)
console.log(`demo_localnet_state_growth_mb_per_hour=${localnetGrowth.toFixed(2)}`)
console.log(`demo_state_mb=${(last.all / 1e6).toFixed(2)}`)
console.log(`demo_state_growth_mb_per_hour=${growth((s) => s.all).toFixed(2)}`)
fs.rmSync(dir, { recursive: true, force: true })
process.exit(localnetGrowth < LIMIT_MB_PER_HOUR ? 0 : 1)
