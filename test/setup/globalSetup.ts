/**
 * vitest global set-up: makes `npm install && npm test` work on a fresh machine. Once per run it
 * probes for a Docker engine and, following `planDocker`, uses the one that answers, starts one
 * with scripts/start-dockerd.sh (and stops that one, only that one, at teardown), or marks the
 * Docker suites skipped with one loud line (never under CI). With an engine it builds the example
 * agent image once (scripts/build-agent-image.sh is idempotent). The Docker suites read the result
 * with `inject("docker")` (test/runtime/helpers.ts).
 */
import { spawn, spawnSync } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import Docker from "dockerode"
import type { TestProject } from "vitest/node"
import { TEST_AGENT_IMAGE } from "../support/agentImage.js"
import { type DockerPlan, type DockerProbes, type DockerTestContext, loudLine, planAfterFailedStart, planDocker } from "./dockerPlan.js"

declare module "vitest" {
  export interface ProvidedContext {
    docker: DockerTestContext
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
const AGENT_IMAGE = TEST_AGENT_IMAGE

const has = (command: string): boolean => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0

const engineAnswers = async (): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 10_000)))
  const ping = new Docker().ping().then(
    () => true,
    () => false
  )
  const answered = await Promise.race([ping, timeout])
  clearTimeout(timer)
  return answered
}

export const probe = async (env: NodeJS.ProcessEnv = process.env): Promise<DockerProbes> => {
  const host = env["DOCKER_HOST"]
  return {
    engineAnswers: await engineAnswers(),
    unixSocket: host === undefined || host === "" || host.startsWith("unix://"),
    isRoot: process.getuid?.() === 0,
    dockerdInstalled: has("dockerd"),
    aptGet: has("apt-get"),
    ci: /^(1|true|yes)$/i.test(env["CI"] ?? ""),
    optOut: env["SILVANA_TEST_DOCKER"] === "skip"
  }
}

/** Runs a repo script, its output collected; resolves with the exit code and the output. */
const runScript = (name: string, args: ReadonlyArray<string> = []) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    const child = spawn(path.join(repoRoot, "scripts", name), args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (d: Buffer) => (output += d.toString()))
    child.stderr.on("data", (d: Buffer) => (output += d.toString()))
    child.on("error", (e) => resolve({ code: 127, output: e.message }))
    child.on("close", (code) => resolve({ code: code ?? 1, output: output.trim() }))
  })

const lastLine = (text: string) => text.split("\n").filter((l) => l.trim() !== "").at(-1) ?? "no output"

type Settled = Exclude<DockerPlan, { _tag: "Start" }>

/** Carries out the plan's start, if any: whether an engine is now usable, and whether we started it. */
const settle = async (probes: DockerProbes): Promise<{ plan: Settled; started: boolean }> => {
  const plan = planDocker(probes)
  if (plan._tag !== "Start") return { plan, started: false }
  console.log("test setup: no Docker engine answers; starting one with scripts/start-dockerd.sh")
  const start = await runScript("start-dockerd.sh")
  if (start.code !== 0) return { plan: planAfterFailedStart(probes.ci, lastLine(start.output)), started: false }
  // The script prints "starting dockerd" only when it launched the engine itself (it is idempotent).
  return { plan: { _tag: "Use" }, started: /starting dockerd/.test(start.output) }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const probes = await probe()
  const { plan, started } = await settle(probes)
  let context: DockerTestContext
  if (plan._tag === "Use") {
    const build = await runScript("build-agent-image.sh", [AGENT_IMAGE])
    context =
      build.code === 0
        ? { available: true, skip: false, reason: "" }
        : { available: false, skip: false, reason: `scripts/build-agent-image.sh failed: ${build.output}` }
  } else {
    console.warn(`\x1b[1;33m${loudLine(plan)}\x1b[0m`)
    context = { available: false, skip: plan._tag === "Skip", reason: `${plan.reason}. ${plan.fix}` }
  }
  project.provide("docker", context)

  return async () => {
    if (!started) return
    const stop = await runScript("stop-dockerd.sh")
    if (stop.code !== 0) console.warn(`test teardown: stopping the Docker engine failed: ${stop.output}`)
  }
}
