/**
 * End to end with the coordinator's own parts: the real AgentApi (JobStore, Sessions, reports)
 * and the example agent image in a real container started by the Docker runtime — reaching the
 * API through the mounted socket and through host.docker.internal — and as a process.
 */
import Docker from "dockerode"
import { Effect, Exit, Option, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { EXAMPLE_AGENT_IMAGE } from "../../src/domain/exampleAgent.js"
import type { Triple } from "../../src/domain/ids.js"
import type { AgentRuntimeService, AgentSpec } from "../../src/layers/AgentRuntime.js"
import { bridgeGateway, makeDockerRuntime } from "../../src/layers/runtime/docker.js"
import { defaultProcessCommands, makeProcessRuntime } from "../../src/layers/runtime/process.js"
import { makeJob, startApi } from "../api/fixture.js"
import { describeDocker, dockerContext, requireDockerAndImage } from "./dockerSuite.js"
import { AGENT_IMAGE } from "./helpers.js"

const docker = new Docker()
const coordinatorId = `0x${"e2".repeat(32)}`
let api: Awaited<ReturnType<typeof startApi>>
let dockerRuntime: AgentRuntimeService
let processRuntime: AgentRuntimeService
const scope = Effect.runSync(Scope.make())
let seq = 7000
const options = { stopGraceMs: 1000, logTailBytes: 64 * 1024 }

beforeAll(async () => {
  // Containers reach the TCP listener on the Docker bridge gateway; without an engine only the
  // process test runs, over loopback.
  const gateway = dockerContext.available
    ? Option.getOrThrowWith(await Effect.runPromise(bridgeGateway(docker)), () => new Error("no Docker bridge gateway"))
    : "127.0.0.1"
  api = await startApi({ tcp: { host: gateway, port: 0 } })
  const { mkdtempSync } = await import("node:fs")
  const { tmpdir } = await import("node:os")
  const stateDir = mkdtempSync(`${tmpdir()}/silvana-e2e-`)
  processRuntime = await Effect.runPromise(
    makeProcessRuntime({ ...options, stateDir, commands: defaultProcessCommands }).pipe(Scope.extend(scope))
  )
})

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await api?.close()
})

/** A session on the real Sessions service, its jobs in the real JobStore, and the spec the daemon would build. */
const prepare = async (triple: Triple, data: ReadonlyArray<string>, via: "socket" | "tcp") => {
  const session = await api.newSession(triple)
  const jobIds: Array<string> = []
  for (const d of data) jobIds.push(await api.addStarted(makeJob(seq++, triple, d)))
  const spec: AgentSpec = {
    image: AGENT_IMAGE,
    env: {
      CHAIN: "testnet",
      COORDINATOR_ID: coordinatorId,
      SESSION_ID: session.id,
      SESSION_PRIVATE_KEY: Redacted.value(session.privateKey),
      DEVELOPER: triple.developer,
      AGENT: triple.agent,
      AGENT_METHOD: triple.agentMethod,
      COORDINATION_LAYER_ID: "sui",
      COORDINATION_LAYER_TYPE: "sui",
      OPERATION_MODE: "multicall",
      COORDINATOR_URL: `http://host.docker.internal:${api.api.tcp.port}`
    },
    memoryGb: 1,
    cpus: 1,
    requiresTee: false,
    labels: { coordinatorId, sessionId: session.id, ...triple },
    timeoutMs: 60_000,
    ...(via === "socket" ? { socketPath: api.options.socketPath } : {})
  }
  return { session, jobIds, spec }
}

const runToExit = (runtime: AgentRuntimeService, spec: AgentSpec) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(runtime.start(spec), (h) => Effect.zip(h.exit, h.logs))))

describe("example agent against the coordinator's AgentApi", () => {
  describeDocker("in a container", () => {
    beforeAll(async () => {
      await requireDockerAndImage(docker)
      dockerRuntime = await Effect.runPromise(makeDockerRuntime({ ...options, credentials: Option.none() }).pipe(Scope.extend(scope)))
    })

    for (const via of ["socket", "tcp"] as const) {
      it(`completes its jobs from a container over the ${via === "socket" ? "mounted socket" : "host.docker.internal TCP listener"}`, async () => {
        const triple = { developer: "e2e", agent: "adder", agentMethod: `add-${via}` } as Triple
        const { session, jobIds, spec } = await prepare(triple, ["[1,2,3]", "40,2", "not numbers"], via)
        const [exit, logs] = await runToExit(dockerRuntime, spec)
        expect(exit, logs.stderr).toMatchObject({ reason: "exited", exitCode: 0 })
        const reports = (await api.reports()).filter((r) => r.sessionId === session.id)
        expect(reports.map((r) => [r.jobId, r.kind])).toEqual(
          expect.arrayContaining([
            [jobIds[0], "complete"],
            [jobIds[1], "complete"],
            [jobIds[2], "fail"]
          ])
        )
        expect(reports).toHaveLength(3)
      })
    }
  })

  it("completes its jobs as a local process", async () => {
    const triple = { developer: "e2e", agent: "adder", agentMethod: "add-process" } as Triple
    const { session, jobIds, spec } = await prepare(triple, ["5,5"], "socket")
    // the process runtime serves the example agent under its published name (the test image's tag is per checkout)
    const [exit, logs] = await runToExit(processRuntime, { ...spec, image: EXAMPLE_AGENT_IMAGE })
    expect(exit, logs.stderr).toMatchObject({ reason: "exited", exitCode: 0 })
    const reports = (await api.reports()).filter((r) => r.sessionId === session.id)
    expect(reports.map((r) => [r.jobId, r.kind])).toEqual([[jobIds[0], "complete"]])
  })
})
