/**
 * The job-scoped RPCs end to end: a localnet over real gRPC, the chain layers (journal in a
 * file, settlement, app chain reads), the data-availability store in a temp dir, and the real
 * AgentApi on a Unix socket and TCP. `holdJob` creates a job on chain, starts it through
 * Settlement and hands it to a fresh session through GetJob, as the daemon does.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Duration, Effect, Layer, Logger, LogLevel, ManagedRuntime, Redacted } from "effect"
import { createChannel, createClient } from "nice-grpc"
import { Triple } from "../../src/domain/ids.js"
import type { JobData } from "../../src/domain/job.js"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { AgentApi, type AgentApiOptions } from "../../src/layers/AgentApi.js"
import { AppApi } from "../../src/layers/AppApi.js"
import { AppChain } from "../../src/layers/AppChain.js"
import { DataAvailability } from "../../src/layers/DataAvailability.js"
import { Journal } from "../../src/layers/Journal.js"
import { JobStore } from "../../src/layers/JobStore.js"
import { reportsFromSettlement } from "../../src/layers/Reports.js"
import { Secrets } from "../../src/layers/Secrets.js"
import { Sessions } from "../../src/layers/Sessions.js"
import { Settlement } from "../../src/layers/Settlement.js"
import { createJobs, makeSuiClient, seedAgentMethod } from "../../src/localnet/client.js"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { appHex, METHOD, startNet, suiLayer } from "../chain/fixture.js"

export const proveTriple = Triple.make({ developer: "dev", agent: "agent", agentMethod: METHOD })
export const mergeTriple = Triple.make({ developer: "dev", agent: "agent", agentMethod: "merge" })

/** A log line as a test reads it back. */
export interface LoggedLine {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

/** A logger that keeps every line at INFO and above in `into`. */
export const capturingLogger = (into: Array<LoggedLine>) =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ annotations, logLevel, message }) => {
        into.push({ level: logLevel.label, message: (Array.isArray(message) ? message : [message]).map(String).join(" "), annotations: Object.fromEntries(annotations) })
      })
    ),
    Logger.minimumLogLevel(LogLevel.Info)
  )

/** What the fixture needs of a node: its manifest and a way to stop it (a localnet in another process has no more). */
export type NodeHandle = Pick<LocalnetHandle, "manifest" | "close">

export const startAppApi = async <N extends NodeHandle = LocalnetHandle>(
  o: { net?: N; dir?: string; secretsKey?: Uint8Array; da?: Layer.Layer<DataAvailability>; logs?: Array<LoggedLine>; agentApi?: Partial<AgentApiOptions> } = {}
) => {
  const net: N | LocalnetHandle = o.net ?? (await startNet())
  await seedAgentMethod(net.manifest, { developer: "dev", agent: "agent", method: "merge", image: "docker.io/example/agent:1", memoryGb: 1, cpus: 1 })
  const dir = o.dir ?? mkdtempSync(path.join(os.tmpdir(), "silvana-app-api-"))
  const secretsKey = o.secretsKey ?? randomBytes(32)
  const chain = Layer.mergeAll(Settlement.layer({ lingerMs: 2 }), AppChain.layer).pipe(
    Layer.provideMerge(Layer.merge(suiLayer(net), Journal.layerFile(path.join(dir, "journal.sqlite"))))
  )
  const app = AppApi.layer.pipe(Layer.provideMerge(o.da ?? DataAvailability.layerWith({ dir: path.join(dir, "da"), network: "localnet", maxBytes: 1024 * 1024 })))
  const layer = AgentApi.layerWith({
    socketPath: path.join(dir, "coordinator.sock"),
    tcp: { host: "127.0.0.1", port: 0 },
    maxMessageBytes: 16 * 1024 * 1024,
    chain: "localnet",
    maxInFlight: 4096,
    drainTimeout: Duration.seconds(2),
    ...o.agentApi
  }).pipe(
    Layer.provideMerge(Layer.mergeAll(Sessions.layer, reportsFromSettlement, app, Secrets.layerWith(dir, secretsKey))),
    Layer.provideMerge(JobStore.layerMemory()),
    Layer.provideMerge(chain)
  )
  const quiet =
    o.logs !== undefined ? capturingLogger(o.logs) : process.env["TEST_LOGS"] === undefined ? Logger.minimumLogLevel(LogLevel.Warning) : Layer.empty
  const runtime = ManagedRuntime.make(layer.pipe(Layer.provide(quiet)))
  const api = await runtime.runPromise(AgentApi)
  const socketUrl = api.socketUrl
  const channel = createChannel(socketUrl)
  const client = createClient(CoordinatorServiceDefinition, channel)
  const appInstance = appHex(net.manifest.appInstanceId)
  const sui = makeSuiClient(net.manifest.grpcUrl)

  /** A job of `method` created on chain, started by us and taken by a new session of its triple. */
  const holdJob = async (method: string = METHOD, extra: Partial<JobData> = {}, take = true) => {
    const triple = method === "merge" ? mergeTriple : proveTriple
    const { jobSequences } = await createJobs(net.manifest, { count: 1, method })
    const seq = jobSequences[0]!
    const started = await runtime.runPromise(Effect.flatMap(Settlement, (s) => s.start(appInstance, [seq])))
    if (started.get(seq) !== true) throw new Error(`job ${seq} did not start`)
    const data: JobData = {
      appInstance, jobSequence: seq, developer: triple.developer, agent: triple.agent, agentMethod: triple.agentMethod,
      app: "silvana-localnet", appInstanceMethod: method, sequences: [], sequences1: [], sequences2: [],
      data: new Uint8Array(), attempts: 1, createdAt: 1n, updatedAt: 1n, ...extra
    }
    await runtime.runPromise(Effect.flatMap(JobStore, (s) => s.addStarted(data)))
    const session = await runtime.runPromise(Effect.flatMap(Sessions, (s) => s.create(triple)))
    const privateKey = Redacted.value(session.privateKey)
    if (!take) return { sessionId: session.id as string, privateKey, jobId: "", seq }
    const got = await client.getJob({ ...triple, sessionId: session.id })
    if (got.job === undefined) throw new Error("GetJob handed out nothing")
    return { sessionId: session.id as string, privateKey, jobId: got.job.jobId, seq }
  }

  return {
    net, dir, secretsKey, runtime, api, client, socketUrl, tcpUrl: `127.0.0.1:${api.tcp.port}`, appInstance, sui, holdJob,
    /** The AppInstance's `json` as the node renders it. */
    instanceJson: async () => (await sui.core.getObject({ objectId: net.manifest.appInstanceId, include: { json: true } })).object.json as Record<string, any>,
    idle: () => runtime.runPromise(Effect.flatMap(Settlement, (s) => s.awaitIdle)),
    close: async (stopNet = true) => {
      channel.close()
      await runtime.dispose()
      if (stopNet) await net.close()
    }
  }
}
export type AppApiFixture = Awaited<ReturnType<typeof startAppApi<LocalnetHandle>>>
