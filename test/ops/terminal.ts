/**
 * Ctrl-C on `npm start` in a real terminal: runs `npm start` (the embedded demo) under a pseudo
 * terminal made by util-linux `script`, waits until an agent runs, types Ctrl-C into the terminal
 * (the line discipline sends SIGINT to the whole foreground process group: npm and the daemon, as
 * a terminal does), and checks the graceful stop: its log lines, the exit code, no socket file, no
 * agent record, no SQLite WAL file left. (A stop that is not graceful — the old npm → tsx → node
 * chain under load — ends in a fraction of a second without the shutdown lines, leaving them.)
 *
 * Used by test/ops/ctrlC.test.ts and, for the 10-in-a-row check, as a script:
 *   npm run check:ctrl-c            (10 tries; `-- 3` for another count)
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { cleanEnv, freePort, ROOT } from "./processes.js"

export interface CtrlCResult {
  readonly exitCode: number | null
  /** What was wrong; empty when the stop was graceful. */
  readonly problems: ReadonlyArray<string>
  readonly seconds: number
  readonly output: string
}

const SHUTDOWN_LINES = ["shutting down: no new jobs are started", "coordinator stopped", "agent API closed"]

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")

/** Resolves when `test` holds for the output so far; rejects when the process ends first or after `guardMs`. */
const waitForOutput = (child: ChildProcess, output: () => string, test: (s: string) => boolean, what: string, guardMs: number) =>
  new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!test(plain(output()))) return
      done()
      resolve()
    }
    const onExit = () => {
      done()
      reject(new Error(`npm start ended before ${what}`))
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`no ${what} within ${guardMs / 1000} s (hang guard)`))
    }, guardMs)
    const done = () => {
      clearTimeout(timer)
      child.stdout!.off("data", check)
      child.off("exit", onExit)
    }
    child.stdout!.on("data", check)
    child.once("exit", onExit)
    check()
  })

const filesUnder = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    : []

/** One `npm start` in a terminal, stopped with Ctrl-C once an agent runs. */
export const ctrlCOnce = async (options: { readonly guardMs?: number } = {}): Promise<CtrlCResult> => {
  const guardMs = options.guardMs ?? 180_000
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "silvana-ctrlc-"))
  const stateDir = path.join(dir, "state")
  const socketPath = path.join(dir, "coordinator.sock")
  const env = cleanEnv({
    STATE_DIR: stateDir,
    GRPC_SOCKET_PATH: socketPath,
    GRPC_TCP_ADDRESS: "127.0.0.1:0",
    HTTP_ADDRESS: `127.0.0.1:${await freePort()}`,
    AGENT_RUNTIME: "process",
    TERM: "dumb"
  })
  delete env["NODE_NO_WARNINGS"]
  // script -e: exit with the command's status; -f: flush output at once; -q: no banner.
  const child = spawn("script", ["-qfec", "npm start", "/dev/null"], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] })
  let output = ""
  child.stdout.on("data", (c: Buffer) => (output += c.toString()))
  child.stderr.on("data", (c: Buffer) => (output += c.toString()))
  const exited = new Promise<number | null>((resolve) => {
    child.once("error", (e) => {
      output += `\ncannot run script(1): ${e.message}`
      resolve(null)
    })
    child.once("exit", (code) => resolve(code))
  })
  const started = process.hrtime.bigint()
  const problems: string[] = []
  try {
    await waitForOutput(child, () => output, (s) => /agent started/.test(s), "agent start", guardMs)
    // The terminal's interrupt character: the pty's line discipline turns it into SIGINT for the
    // foreground process group.
    child.stdin.write("\x03")
    let timer: NodeJS.Timeout | undefined
    const guard = new Promise<"guard">((resolve) => (timer = setTimeout(() => resolve("guard"), guardMs)))
    const ended = await Promise.race([exited, guard])
    clearTimeout(timer)
    if (ended === "guard") problems.push(`still running ${guardMs / 1000} s after Ctrl-C (hang guard); killed`)
  } catch (e) {
    problems.push((e as Error).message)
  }
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  const exitCode = await exited
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const text = plain(output)
  // The daemon exits 0 after a graceful stop; npm, once its script has ended, re-raises the SIGINT
  // it got on itself (so a calling shell sees an interrupt): `npm start` itself ends with 130.
  if (exitCode !== 0 && exitCode !== 130) problems.push(`exit code ${exitCode} (expected 0, or 130 from npm re-raising SIGINT)`)
  for (const line of SHUTDOWN_LINES) if (!text.includes(line)) problems.push(`no "${line}" line`)
  if (fs.existsSync(socketPath)) problems.push("the agent API socket file was left behind")
  const left = filesUnder(stateDir).filter((f) => f.includes(`${path.sep}agents${path.sep}`) || /-(wal|shm)$/.test(f))
  if (left.length > 0) problems.push(`left in STATE_DIR: ${left.map((f) => path.relative(stateDir, f)).join(", ")}`)
  if (problems.length === 0) fs.rmSync(dir, { recursive: true, force: true })
  else problems.push(`state kept in ${dir}`)
  return { exitCode, problems, seconds, output: text }
}

const main = async (tries: number) => {
  let graceful = 0
  for (let i = 1; i <= tries; i++) {
    const r = await ctrlCOnce()
    if (r.problems.length === 0) graceful++
    console.log(
      `try ${i}/${tries}: ${r.problems.length === 0 ? "graceful" : "NOT graceful"} (exit ${r.exitCode}, ${r.seconds.toFixed(1)} s)` +
        (r.problems.length === 0 ? "" : `\n  ${r.problems.join("\n  ")}\n  last output:\n${r.output.split("\n").slice(-15).join("\n")}`)
    )
  }
  console.log(`ctrl_c_graceful=${graceful}/${tries}`)
  process.exitCode = graceful === tries ? 0 : 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void main(Number(process.argv[2] ?? "10"))
}
