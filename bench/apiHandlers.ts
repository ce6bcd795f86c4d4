/**
 * bench:api (third part) — the CPU time of the coordinator's own GetJob + CompleteJob handling,
 * without gRPC: the service table the AgentApi layer serves (AgentApi/service.ts: signature check,
 * session binding, admission, the fast path, the store, the report, metrics) called in-process, for
 * BENCH_HANDLER_PAIRS pairs after a warm-up, over BENCH_JOBS started jobs. bench:api's ratio moves
 * with whatever else the machine runs; this figure is CPU time, and is the part of a pair's cost
 * that is the coordinator's alone. Runs from an esbuild bundle, as the daemon ships (tsx's
 * `keepNames` would add a property write per closure made). Prints
 * `api_handlers_cpu_ns_per_pair=` (the median of 5 runs) and the runs themselves.
 */
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { buildSync } from "esbuild"
import type { CallContext } from "../src/layers/AgentApi/routes.js"
import { makeAgentService } from "../src/layers/AgentApi/service.js"
import { Sessions } from "../src/layers/Sessions.js"
import { addStartedJobs, apiStores, benchTriple } from "./apiJobs.js"

const JOBS = Number(process.env["BENCH_JOBS"] ?? 200_000)
const PAIRS = Number(process.env["BENCH_HANDLER_PAIRS"] ?? 30_000)
const triple = benchTriple

const measure = async () => {
  const rt = ManagedRuntime.make(apiStores.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))))
  const sessionId = await rt.runPromise(
    Effect.gen(function* () {
      yield* addStartedJobs(JOBS)
      return (yield* (yield* Sessions).create(triple)).id
    })
  )
  // the table the layer serves on every listener (no tracer: the fast path is on)
  const service = await rt.runPromise(makeAgentService({ chain: "bench", maxInFlight: 4096 }))
  const table = service.implementation(() => ({ _tag: "SharedSocket" }))
  const ctx = { signal: new AbortController().signal, peer: "unix:", metadata: { get: () => undefined } } as CallContext as never
  const run = async (n: number) => {
    const t = process.cpuUsage()
    for (let i = 0; i < n; i++) {
      const got = await table.getJob({ ...triple, sessionId }, ctx)
      if (got.job?.jobId === undefined) throw new Error(`bench ran out of jobs: ${got.message}`)
      const done = await table.completeJob({ jobId: got.job.jobId, sessionId }, ctx)
      if (done.success !== true) throw new Error(`complete refused: ${done.message}`)
    }
    const u = process.cpuUsage(t)
    return ((u.user + u.system) * 1000) / n
  }
  await run(PAIRS)
  const runs: Array<number> = []
  for (let k = 0; k < 5; k++) runs.push(await run(PAIRS))
  const sorted = [...runs].sort((a, b) => a - b)
  console.log(`api_handlers_cpu_ns_per_pair=${sorted[2]!.toFixed(0)}`)
  console.log(`api_handlers_cpu_ns_per_pair_runs=${runs.map((x) => x.toFixed(0)).join(",")}`)
  await rt.dispose()
}

if (process.argv[2] === "measure") {
  measure().then(() => process.exit(0), (e) => {
    console.error(e)
    process.exit(1)
  })
} else {
  const file = path.resolve(".tmp", "bench-api", "handlers.mjs")
  buildSync({ entryPoints: [fileURLToPath(import.meta.url)], outfile: file, bundle: true, packages: "external", platform: "node", format: "esm", target: "node22", logLevel: "warning" })
  const r = spawnSync(process.execPath, [file, "measure"], { stdio: "inherit" })
  process.exit(r.status ?? 1)
}
