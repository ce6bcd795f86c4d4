/**
 * How the embedded demo's state grows: runs `start` with no SUI_RPC_URL (the demo: localnet in
 * process, demo jobs every 2 s) in a fresh STATE_DIR for DEMO_MINUTES (default 20), samples the
 * size of STATE_DIR/embedded (the localnet's state file and write-ahead log, and the coordinator's
 * journal beside them) every 30 s, then stops it with SIGTERM. Prints the samples and
 * `demo_state_mb=<final>` and `demo_state_growth_mb_per_hour=<rate over the second half>`; exits 1
 * when the growth reaches 5 MB/hour. The localnet prunes all but its last
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

const samples: Array<{ at: number; bytes: number }> = []
const started = performance.now()
const embedded = path.join(stateDir, "embedded")
while (performance.now() - started < minutes * 60_000 && daemon.exitCode === null) {
  await new Promise((r) => setTimeout(r, 30_000))
  const sample = { at: (performance.now() - started) / 60_000, bytes: sizeOf(embedded) }
  samples.push(sample)
  console.log(`${sample.at.toFixed(1)} min: ${(sample.bytes / 1e6).toFixed(2)} MB`)
}
daemon.kill("SIGTERM")
const code = await exited
if (samples.length < 4) {
  console.error(`the demo stopped early (exit ${code}) or ran too briefly to measure`)
  process.exit(2)
}
const half = samples[Math.floor(samples.length / 2)]!
const last = samples[samples.length - 1]!
const perHour = ((last.bytes - half.bytes) / 1e6 / (last.at - half.at)) * 60
console.log(`demo_state_mb=${(last.bytes / 1e6).toFixed(2)}`)
console.log(`demo_state_growth_mb_per_hour=${perHour.toFixed(2)}`)
fs.rmSync(dir, { recursive: true, force: true })
process.exit(perHour < LIMIT_MB_PER_HOUR ? 0 : 1)
