/** Child processes of the real command line (`tsx src/main.ts …`) for the ops tests. */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs")

/** Env without anything that could point the child at a real network or another test's files. */
export const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"], HOME: process.env["HOME"], NODE_NO_WARNINGS: "1" }
  return { ...env, ...extra }
}

export interface Child {
  readonly proc: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** Starts `tsx src/main.ts <args>`; stdout and stderr are collected together. */
export const spawnCli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Child => {
  const proc = spawn(process.execPath, [TSX, "src/main.ts", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  proc.stdout!.on("data", (c) => (out += c))
  proc.stderr!.on("data", (c) => (out += c))
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)))
  return {
    proc,
    output: () => out,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000)
      const code = await exited
      clearTimeout(timer)
      return code
    }
  }
}

/** Runs a CLI command to its end: exit code and everything it printed. */
export const runCli = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => {
  const child = spawnCli(args, env)
  const code = await child.exited
  return { code, output: child.output() }
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

/** Polls `check` every 250 ms until it returns a value, or fails after `ms`. */
export const waitFor = async <A>(what: string, ms: number, check: () => Promise<A | undefined>): Promise<A> => {
  const deadline = Date.now() + ms
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (e) {
      last = e
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`)
}

/** GET; `token` (the daemon's STATE_DIR/api-token, see `apiToken`) is sent as the bearer token. */
export const get = async (base: string, p: string, token?: string) => {
  const res = await fetch(`${base}${p}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, text: await res.text() }
}

/** The operator token a daemon created in its state directory. */
export const apiToken = (stateDir: string) => readFileSync(path.join(stateDir, "api-token"), "utf8").trim()

/** A daemon (`start`, embedded localnet) running in its own temp dir. */
export interface Daemon {
  readonly child: Child
  /** `http://127.0.0.1:<port>` of its HTTP listener. */
  readonly base: string
  readonly env: NodeJS.ProcessEnv
  /** Its temp dir: `state/`, `coordinator.sock`. */
  readonly dir: string
}

/**
 * Starts a daemon with everything in a fresh temp dir (`prefix…`): STATE_DIR, the agent socket,
 * HTTP on a free port, agent TCP on port 0, the process runtime; `extra` adds or overrides
 * settings. Resolves once `/ready` answers 200; fails after `readyMs` with the daemon's last output.
 */
export const startDaemon = async (prefix: string, extra: Record<string, string>, readyMs: number): Promise<Daemon> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const env = cleanEnv({
    HTTP_ADDRESS: `127.0.0.1:${port}`,
    STATE_DIR: path.join(dir, "state"),
    GRPC_SOCKET_PATH: path.join(dir, "coordinator.sock"),
    GRPC_TCP_ADDRESS: "127.0.0.1:0",
    AGENT_RUNTIME: "process",
    ...extra
  })
  const child = spawnCli(["start"], env)
  await waitFor("the daemon to be ready", readyMs, async () => ((await get(base, "/ready")).status === 200 ? true : undefined)).catch((e) => {
    throw new Error(`${(e as Error).message}\n${child.output().slice(-3000)}`)
  })
  return { child, base, env, dir }
}
