/**
 * Shared parts of the runtime tests: the image name, a spec builder. Also imported by child processes
 * (crashingCoordinator.ts), so nothing here may import vitest: see ./dockerSuite.ts for that.
 */
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import Docker from "dockerode"
import type { AgentSpec } from "../../src/layers/AgentRuntime.js"
import { TEST_AGENT_IMAGE } from "../support/agentImage.js"
import { type FakeCoordinator, type FakeSession, newSessionId } from "./fakeCoordinator.js"

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
export const AGENT_IMAGE = TEST_AGENT_IMAGE

/**
 * Outside vitest (the benchmarks): fails loudly when no Docker engine answers, then builds the
 * example image (idempotent: returns at once when it is current). Tests get both from the global
 * set-up instead (./dockerSuite.ts).
 */
export const ensureDockerAndImage = async (docker: Docker): Promise<void> => {
  try {
    await docker.ping()
  } catch (e) {
    throw new Error(`a Docker engine is needed and none answered (${(e as Error).message}); start one with scripts/start-dockerd.sh`)
  }
  execFileSync(path.join(repoRoot, "scripts", "build-agent-image.sh"), [AGENT_IMAGE], { cwd: repoRoot, stdio: "pipe" })
}

export const triple = { developer: "Test Dev", agent: "add/agent", agentMethod: "Sum!" }

export const newSession = (): FakeSession => ({ sessionId: newSessionId(), ...triple })

/** The environment spec/runtime.md gives an agent. */
export const agentEnv = (coordinatorId: string, s: FakeSession, extra: Record<string, string> = {}): Record<string, string> => ({
  CHAIN: "localnet",
  COORDINATOR_ID: coordinatorId,
  SESSION_ID: s.sessionId,
  // a well-formed key (the SDK signs with it); the fake coordinator does not check signatures
  SESSION_PRIVATE_KEY: Ed25519Keypair.generate().getSecretKey(),
  DEVELOPER: s.developer,
  AGENT: s.agent,
  AGENT_METHOD: s.agentMethod,
  COORDINATION_LAYER_ID: "sui",
  COORDINATION_LAYER_TYPE: "sui",
  OPERATION_MODE: "multicall",
  ...extra
})

export const specFor = (
  coordinatorId: string,
  s: FakeSession,
  fake: FakeCoordinator | undefined,
  over: Partial<AgentSpec> = {}
): AgentSpec => ({
  image: AGENT_IMAGE,
  env: agentEnv(coordinatorId, s),
  memoryGb: 1,
  cpus: 1,
  requiresTee: false,
  labels: { coordinatorId, ...s },
  timeoutMs: 60_000,
  ...(fake === undefined ? {} : { socketPath: fake.socketPath }),
  ...over
})

/** Node one-liners run as the agent's command (the image's entrypoint is node). */
export const scripts = {
  hang: ["-e", "setInterval(() => {}, 1000)"],
  ignoreTerm: ["-e", "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000)"],
  flood100MbThenExit3: [
    "-e",
    "const b = Buffer.alloc(1 << 20, 97); let i = 0; const w = () => { while (i < 100) { i++; if (!process.stdout.write(b)) return process.stdout.once('drain', w) } console.error('done flooding'); process.exitCode = 3 }; w()"
  ]
}

/**
 * Runs test/runtime/crashingCoordinator.ts, waits until it has started its agent, then kills it
 * with SIGKILL (no finalizer runs: a coordinator crash). Returns the agent's id.
 */
export const crashACoordinator = async (
  kind: "docker" | "process",
  stateDir: string,
  coordinatorId: string,
  sessionId: string,
  command?: ReadonlyArray<string>
): Promise<string> => {
  const { spawn } = await import("node:child_process")
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(repoRoot, "test", "runtime", "crashingCoordinator.ts"), kind, stateDir, coordinatorId, sessionId, ...(command === undefined ? [] : [JSON.stringify(command)])],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] }
  )
  let err = ""
  child.stderr.on("data", (c: Buffer) => (err += c.toString()))
  const id = await new Promise<string>((resolve, reject) => {
    let out = ""
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString()
      const line = out.split("\n").find((l) => l.startsWith("{"))
      if (line !== undefined) resolve((JSON.parse(line) as { id: string }).id)
    })
    child.once("exit", (code) => reject(new Error(`stand-in coordinator exited early (${code}): ${err}`)))
  })
  const exited = new Promise((r) => child.once("exit", r))
  child.kill("SIGKILL")
  await exited
  return id
}
