/**
 * An agent API and the operator HTTP endpoint in this process, over one in-memory store: the real
 * nice-grpc server on a temporary socket and loopback TCP, the real HTTP server on a free port,
 * the Health registry with the standard checks. Optionally with a span exporter installed.
 */
import { mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Duration, Effect, Layer, Logger, LogLevel, ManagedRuntime, Redacted } from "effect"
import type { Triple } from "../../src/domain/ids.js"
import type { JobData } from "../../src/domain/job.js"
import { AgentApi } from "../../src/layers/AgentApi.js"
import { Config } from "../../src/layers/Config.js"
import { Health, registerStandardChecks } from "../../src/layers/Health.js"
import { HttpApi, refreshHealth } from "../../src/layers/HttpApi.js"
import { JobStore } from "../../src/layers/JobStore.js"
import { Reports } from "../../src/layers/Reports.js"
import { Sessions } from "../../src/layers/Sessions.js"
import { Tracing } from "../../src/layers/Tracing.js"

export const startOps = async (options: { readonly exporter?: SpanExporter; readonly env?: Record<string, string> } = {}) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-ops-"))
  const socketPath = path.join(dir, "coordinator.sock")
  const config = Config.layerFromEnv({ GRPC_SOCKET_PATH: socketPath, STATE_DIR: path.join(dir, "state"), ...options.env })
  const base = Layer.mergeAll(Sessions.layer, Reports.layerMemory).pipe(Layer.provideMerge(JobStore.layerMemory()))
  const api = AgentApi.layerWith({
    socketPath,
    tcp: { host: "127.0.0.1", port: 0 },
    maxMessageBytes: 16 * 1024 * 1024,
    chain: "testnet",
    maxInFlight: 4096,
    drainTimeout: Duration.seconds(2)
  }).pipe(Layer.provideMerge(base))
  const ops = Layer.scopedDiscard(
    Effect.andThen(registerStandardChecks, Effect.andThen(refreshHealth, Effect.flatMap(Health, (h) => h.setReady(true))))
  ).pipe(
    Layer.provideMerge(HttpApi.layerWith({ host: "127.0.0.1", port: 0 })),
    Layer.provideMerge(Health.layer)
  )
  const quiet = process.env["TEST_LOGS"] === undefined ? Logger.minimumLogLevel(LogLevel.Warning) : Layer.empty
  const tracing = options.exporter === undefined ? Layer.empty : Tracing.layerExporter(options.exporter)
  const layer = ops.pipe(Layer.provideMerge(api), Layer.provideMerge(config), Layer.provide(quiet), Layer.provide(tracing))
  const runtime = ManagedRuntime.make(layer)
  const http = await runtime.runPromise(HttpApi)
  const agentApi = await runtime.runPromise(AgentApi)
  const run = <A, E>(eff: Effect.Effect<A, E, Layer.Layer.Success<typeof layer>>) => runtime.runPromise(eff)
  const token = Redacted.value(http.auth.token)
  return {
    http,
    /** The endpoint's bearer token, as an operator's client sends it. */
    token,
    agentApi,
    run,
    get: async (p: string) => {
      const res = await fetch(`${http.url}${p}`, { headers: { authorization: `Bearer ${token}` } })
      return { status: res.status, contentType: res.headers.get("content-type"), text: await res.text() }
    },
    newSession: (t: Triple) => run(Effect.flatMap(Sessions, (s) => s.create(t))),
    addStarted: (job: JobData) => run(Effect.flatMap(JobStore, (s) => s.addStarted(job))),
    /** Runs the health checks now (the server otherwise refreshes them on its timer). */
    refresh: () => run(refreshHealth),
    close: () => runtime.dispose()
  }
}
