/**
 * Another Effect app embedding the whole coordinator from the package surface (src/index.ts):
 * `coordinatorLayer` built against a localnet over real gRPC, with the agent runtime chosen by
 * Config, and every service it provides answering from the chain — the registry, the chain state,
 * the event stream, settlement's gas coins, the agent slots.
 */
import { mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Logger, LogLevel, Stream } from "effect"
import {
  agentRuntimeLayer,
  AgentSlots,
  ChainEvents,
  ChainState,
  Config,
  coordinatorLayer,
  Registry,
  Settlement
} from "../../src/index.js"
import { createJobs, seedAgentMethod } from "../../src/localnet/client.js"
import { startLocalnet } from "../../src/localnet/index.js"

const appHex = (id: string) => id.toLowerCase().replace(/^0x/, "").padStart(64, "0")

describe("embedding the coordinator", () => {
  it.live("coordinatorLayer builds against a node and its services answer from the chain", () =>
    Effect.gen(function* () {
      const net = yield* Effect.acquireRelease(
        Effect.promise(() => startLocalnet({ port: 0, checkpointMs: 50 })),
        (n) => Effect.promise(() => n.close())
      )
      const { manifest } = net
      yield* Effect.promise(() =>
        seedAgentMethod(manifest, { developer: "dev", agent: "agent", method: "prove", image: "example/embedded:1", appMethod: "prove" })
      )
      const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-embed-"))
      const config = Config.layerFromEnv({
        SUI_RPC_URL: manifest.grpcUrl,
        SUI_CHAIN: "localnet",
        SUI_PRIVATE_KEY: manifest.keys.coordinator,
        SILVANA_REGISTRY_PACKAGE: manifest.packageId,
        SILVANA_REGISTRY: manifest.registryId,
        SILVANA_APP_INSTANCES: manifest.appInstanceId,
        STATE_DIR: dir,
        GRPC_SOCKET_PATH: path.join(dir, "c.sock"),
        GRPC_TCP_ADDRESS: "127.0.0.1:0",
        AGENT_RUNTIME: "process",
        MAX_CONCURRENT_AGENTS: "3"
      })
      const services = coordinatorLayer(agentRuntimeLayer).pipe(
        Layer.provideMerge(config),
        Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
      )

      const program = Effect.gen(function* () {
        const events = yield* ChainEvents
        const app = appHex(manifest.appInstanceId)
        // Follow first: the jobs created below must come through the stream.
        const created = yield* events.stream.pipe(
          Stream.filter((item) => item._tag === "Event" && item.event._tag === "JobCreatedEvent"),
          Stream.take(2),
          Stream.runCollect,
          Effect.fork
        )
        yield* events.following
        const { jobSequences } = yield* Effect.promise(() => createJobs(manifest, { count: 2, method: "prove", perTransaction: 2 }))
        const delivered = Chunk.toReadonlyArray(yield* Fiber.join(created))
        const pending = yield* (yield* ChainState).pendingJobs(app)
        const method = yield* (yield* Registry).lookup("dev", "agent", "prove")
        const stats = yield* (yield* Settlement).stats
        const slots = yield* AgentSlots
        return { jobSequences, delivered, pending, method, stats, capacity: slots.capacity }
      })

      const out = yield* Effect.scoped(Effect.provide(program, services))
      expect(out.jobSequences).toHaveLength(2)
      expect(out.delivered.map((i) => (i._tag === "Event" && i.event._tag === "JobCreatedEvent" ? i.event.jobSequence : -1n))).toEqual(
        out.jobSequences
      )
      expect(out.pending.map((j) => j.jobSequence)).toEqual(expect.arrayContaining(out.jobSequences))
      expect(out.method.dockerImage).toBe("example/embedded:1")
      expect(out.stats.coins).toBeGreaterThanOrEqual(1)
      expect(out.capacity).toBe(3)
    }).pipe(Effect.scoped)
  )
})
