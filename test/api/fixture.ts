/**
 * A real AgentApi on a temporary Unix socket and a free loopback TCP port, with an in-memory
 * store, sessions and report sink, plus helpers to fill the store as the chain side would.
 */
import { mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Duration, Effect, Layer, Logger, LogLevel, ManagedRuntime, Ref } from "effect"
import { type AppInstanceId, Triple } from "../../src/domain/ids.js"
import type { JobData } from "../../src/domain/job.js"
import { AgentApi, type AgentApiOptions } from "../../src/layers/AgentApi.js"
import { JobStore } from "../../src/layers/JobStore.js"
import { MemoryReports, Reports } from "../../src/layers/Reports.js"
import { Sessions } from "../../src/layers/Sessions.js"

export const APP_INSTANCE = "ab".repeat(32) as AppInstanceId

export const makeJob = (seq: number, triple: { developer: string; agent: string; agentMethod: string }, data = `[${seq},1]`): JobData => ({
  appInstance: APP_INSTANCE,
  jobSequence: BigInt(seq),
  developer: triple.developer,
  agent: triple.agent,
  agentMethod: triple.agentMethod,
  app: "demo-app",
  appInstanceMethod: triple.agentMethod,
  sequences: [1n, 2n],
  sequences1: [],
  sequences2: [],
  data: new TextEncoder().encode(data),
  attempts: 1,
  createdAt: 1_700_000_000_000n,
  updatedAt: 1_700_000_000_000n
})

export const tripleA = Triple.make({ developer: "dev", agent: "adder", agentMethod: "add" })
export const tripleB = Triple.make({ developer: "dev", agent: "adder", agentMethod: "mul" })

/**
 * `logging` replaces the default (warnings and errors only, or everything with TEST_LOGS): e.g. a
 * capturing logger and a minimum level, for tests of what the API logs.
 */
export const startApi = async (overrides: Partial<AgentApiOptions> = {}, logging?: Layer.Layer<never>) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-api-"))
  const options: AgentApiOptions = {
    socketPath: path.join(dir, "coordinator.sock"),
    tcp: { host: "127.0.0.1", port: 0 },
    maxMessageBytes: 16 * 1024 * 1024,
    chain: "testnet",
    maxInFlight: 4096,
    drainTimeout: Duration.seconds(2),
    ...overrides
  }
  const base = Layer.mergeAll(Sessions.layer, Reports.layerMemory).pipe(Layer.provideMerge(JobStore.layerMemory()))
  const layer = AgentApi.layerWith(options).pipe(Layer.provideMerge(base))
  const quiet = logging ?? (process.env["TEST_LOGS"] === undefined ? Logger.minimumLogLevel(LogLevel.Warning) : Layer.empty)
  const runtime = ManagedRuntime.make(layer.pipe(Layer.provide(quiet)))
  const api = await runtime.runPromise(AgentApi)
  const run = <A, E>(eff: Effect.Effect<A, E, JobStore | Sessions | AgentApi | MemoryReports | Reports>) => runtime.runPromise(eff)
  return {
    options,
    api,
    run,
    socketUrl: `unix://${options.socketPath}`,
    tcpUrl: `127.0.0.1:${api.tcp.port}`,
    newSession: (t: Triple) => run(Effect.flatMap(Sessions, (s) => s.create(t))),
    addStarted: (job: JobData) => run(Effect.flatMap(JobStore, (s) => s.addStarted(job))),
    reports: () => run(Effect.flatMap(MemoryReports, Ref.get)),
    close: () => runtime.dispose()
  }
}
