/**
 * Another Effect app embedding the coordinator's layers from the package surface (src/index.ts):
 * the agent API, the store, sessions, health and the HTTP endpoint composed in a small program.
 */
import { mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Duration, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { createChannel, createClient } from "nice-grpc"
import { describe, expect, it } from "vitest"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import {
  AgentApi,
  Config,
  Health,
  HttpApi,
  JobStore,
  Metrics,
  registerStandardChecks,
  Reports,
  Sessions
} from "../../src/index.js"
import { makeJob, tripleA } from "../api/fixture.js"

describe("the library surface", () => {
  it("composes the exported layers into a working program", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-lib-"))
    const socketPath = path.join(dir, "c.sock")
    const services = AgentApi.layerWith({
      socketPath,
      tcp: { host: "127.0.0.1", port: 0 },
      maxMessageBytes: 1 << 20,
      chain: "devnet",
      maxInFlight: 64,
      drainTimeout: Duration.seconds(1)
    }).pipe(
      Layer.provideMerge(Layer.mergeAll(Sessions.layer, Reports.layerMemory)),
      Layer.provideMerge(JobStore.layerMemory({ coordinatorId: "embedder", chain: "devnet" }))
    )
    const ops = Layer.scopedDiscard(registerStandardChecks).pipe(
      Layer.provideMerge(HttpApi.layerWith({ host: "127.0.0.1", port: 0 })),
      Layer.provideMerge(Health.layer)
    )
    const app = ops.pipe(
      Layer.provideMerge(services),
      Layer.provideMerge(Config.layerFromEnv({ MAX_CONCURRENT_AGENTS: "5", STATE_DIR: path.join(dir, "state") })),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
    )

    const program = Effect.gen(function* () {
      const sessions = yield* Sessions
      const store = yield* JobStore
      const api = yield* AgentApi
      const http = yield* HttpApi
      const session = yield* sessions.create(tripleA)
      const jobId = yield* store.addStarted(makeJob(42, tripleA))
      const channel = createChannel(api.socketUrl)
      const client = createClient(CoordinatorServiceDefinition, channel)
      const got = yield* Effect.promise(() =>
        client.getJob({ sessionId: session.id, developer: tripleA.developer, agent: tripleA.agent, agentMethod: tripleA.agentMethod })
      )
      channel.close()
      const status = yield* Effect.promise(() => fetch(`${http.url}/v1/status`, { headers: { authorization: `Bearer ${Redacted.value(http.auth.token)}` } }).then((r) => r.json() as Promise<Record<string, unknown>>))
      const metrics = yield* Metrics.prometheusText
      return { jobId, got, status, metrics }
    })

    const { got, jobId, metrics, status } = await Effect.runPromise(Effect.scoped(Effect.provide(program, app)))
    expect(got.job?.jobId).toBe(jobId)
    expect(got.job?.chain).toBe("devnet")
    expect(status).toMatchObject({ healthy: true, agents: { active: 1, max: 5 }, jobs: expect.objectContaining({ held: 1 }) })
    expect(metrics).toMatch(/^silvana_grpc_requests_total\{method="GetJob",code="OK"\} \d+$/m)
  })
})
