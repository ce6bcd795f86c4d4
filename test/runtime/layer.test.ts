/** `agentRuntimeLayer` picks the implementation from Config, and a missing engine is a clear error. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Docker from "dockerode"
import { Effect, Exit, Layer } from "effect"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { AgentRuntime } from "../../src/layers/AgentRuntime.js"
import { Config } from "../../src/layers/Config.js"
import { agentRuntimeLayer } from "../../src/layers/runtime/index.js"
import { dockerContext, requireDockerAndImage } from "./dockerSuite.js"

const kindWith = (env: Record<string, string>) =>
  Effect.runPromiseExit(
    Effect.scoped(
      Effect.flatMap(Layer.build(agentRuntimeLayer.pipe(Layer.provide(Config.layerFromEnv(env)))), (ctx) =>
        Effect.succeed(ctx.unsafeMap.get(AgentRuntime.key) as AgentRuntime["Type"])
      ).pipe(Effect.flatMap((rt) => Effect.map(rt.health, (h) => [rt.kind, h.kind] as const)))
    )
  )

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "silvana-layer-"))
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }))

const savedDockerHost = process.env["DOCKER_HOST"]
afterEach(() => {
  if (savedDockerHost === undefined) delete process.env["DOCKER_HOST"]
  else process.env["DOCKER_HOST"] = savedDockerHost
})

describe("agentRuntimeLayer", () => {
  it("uses the process runtime when asked", async () => {
    const exit = await kindWith({ AGENT_RUNTIME: "process", STATE_DIR: stateDir })
    expect(exit).toEqual(Exit.succeed(["process", "process"]))
  })

  it.skipIf(dockerContext.skip)("uses Docker when asked, and when unset while an engine answers", async () => {
    await requireDockerAndImage(new Docker())
    expect(await kindWith({ AGENT_RUNTIME: "docker" })).toEqual(Exit.succeed(["docker", "docker"]))
    expect(await kindWith({ STATE_DIR: stateDir })).toEqual(Exit.succeed(["docker", "docker"]))
  })

  it("falls back to processes when no engine answers, but fails when Docker was asked for", async () => {
    process.env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
    expect(await kindWith({ STATE_DIR: stateDir })).toEqual(Exit.succeed(["process", "process"]))
    const exit = await kindWith({ AGENT_RUNTIME: "docker" })
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(exit)).toMatch(/EngineUnavailable/)
    expect(String(exit)).toMatch(/Docker engine/)
  })
})
