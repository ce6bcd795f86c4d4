/**
 * bench:api — GetJob+CompleteJob pairs per second through the coordinator's AgentApi over the Unix
 * socket, against a bare nice-grpc server whose handlers do nothing, with the same client and
 * concurrency in the same run. Each server runs in its own child process (as a daemon would).
 * Rounds come in pairs, one of each server back to back, in alternating order (coordinator first,
 * then bare first): `api_overhead_ratio` is the median of the pairs' ratios, so a burst of other
 * work on the machine moves one pair, not the figure. Prints `name=value` lines.
 */
import { type ChildProcess, fork } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Duration, Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { buildSync } from "esbuild"
import { createChannel, createClient, createServer } from "nice-grpc"
import {
  CoordinatorServiceDefinition,
  type CoordinatorServiceImplementation,
  type Job
} from "../src/gen/silvana/coordinator/v1/coordinator.js"
import { AgentApi } from "../src/layers/AgentApi.js"
import { Sessions } from "../src/layers/Sessions.js"
import { addStartedJobs, apiStores, benchTriple } from "./apiJobs.js"
import { type StopProfile, startAllocationProfile, startCpuProfile } from "./profile.js"

const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 32)
const ROUND_MS = Number(process.env["BENCH_ROUND_MS"] ?? 2000)
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 8)
const JOBS = Number(process.env["BENCH_JOBS"] ?? 200_000)
const triple = benchTriple

const sampleJob = (seq: number): Job => ({
  jobSequence: BigInt(seq),
  description: undefined,
  developer: triple.developer,
  agent: triple.agent,
  agentMethod: triple.agentMethod,
  app: "bench",
  appInstance: `0x${"ab".repeat(32)}`,
  appInstanceMethod: "run",
  blockNumber: undefined,
  sequences: [],
  sequences1: [],
  sequences2: [],
  data: Buffer.from("[1,2,3]"),
  jobId: `sn${"x".repeat(44)}`,
  attempts: 1,
  createdAt: 0n,
  updatedAt: 0n,
  chain: "bench"
})

/**
 * A server child answers the parent's requests: its CPU time so far (user + system, µs), and the
 * start / stop of a V8 CPU profile (BENCH_CPU_PROF: the measured rounds only, not start-up).
 */
const control = () => {
  let stopProfile: StopProfile | undefined
  process.on("message", async (m: { cmd: "cpu" } | { cmd: "profStart"; file: string; alloc: boolean } | { cmd: "profStop" }) => {
    if (m.cmd === "cpu") {
      const c = process.cpuUsage()
      process.send!({ cpu: c.user + c.system })
    } else if (m.cmd === "profStart") {
      stopProfile = await (m.alloc ? startAllocationProfile : startCpuProfile)(m.file)
      process.send!({ profiling: true })
    } else if (stopProfile !== undefined) {
      process.send!({ profiled: await stopProfile() })
    }
  })
}

/** Child process: serve one kind of server on `socketPath`, then report session ids. */
const serve = async (kind: string, socketPath: string) => {
  control()
  if (kind === "bare") {
    const server = createServer()
    const job = sampleJob(1)
    const impl: Partial<CoordinatorServiceImplementation> = {
      getJob: async () => ({ success: true, message: "", job }),
      completeJob: async () => ({ success: true, message: "" })
    }
    const full = Object.fromEntries(
      Object.keys(CoordinatorServiceDefinition.methods).map((k) => [
        k,
        impl[k as keyof CoordinatorServiceImplementation] ??
          (async () => {
            throw new Error("unused")
          })
      ])
    )
    server.add(CoordinatorServiceDefinition, full as unknown as CoordinatorServiceImplementation)
    await server.listen(`unix://${socketPath}`)
    process.send!({ ready: true, sessions: Array.from({ length: CONCURRENCY }, () => `0x${"1".repeat(64)}`) })
    return
  }
  const layer = AgentApi.layerWith({
    socketPath,
    tcp: { host: "127.0.0.1", port: 0 },
    maxMessageBytes: 4 * 1024 * 1024,
    chain: "bench",
    maxInFlight: 4096,
    drainTimeout: Duration.seconds(1)
  }).pipe(
    Layer.provideMerge(apiStores),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )
  const rt = ManagedRuntime.make(layer)
  const sessions = await rt.runPromise(
    Effect.gen(function* () {
      yield* addStartedJobs(JOBS)
      const s = yield* Sessions
      return yield* Effect.forEach(Array.from({ length: CONCURRENCY }), () => Effect.map(s.create(triple), (x) => x.id))
    })
  )
  // Loading the jobs grew the heap by some 150 MB: its first full collection belongs to start-up
  // (a daemon pays it once), not to the first measured round.
  ;(globalThis as { gc?: () => void }).gc?.()
  process.send!({ ready: true, sessions })
}

/** Sends `msg` to a server child and waits for its first answer having `key`. */
const ask = <T>(child: ChildProcess, msg: object, key: string) =>
  new Promise<T>((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (key in m) {
        child.off("message", on)
        resolve(m[key] as T)
      }
    }
    child.on("message", on)
    child.send(msg)
  })

interface Server {
  readonly socketUrl: string
  readonly sessions: Array<string>
  readonly kill: () => void
  /** The child's CPU time so far, µs. */
  readonly cpu: () => Promise<number>
  readonly child: ChildProcess
}

/**
 * The servers run from an esbuild bundle of this file, as the daemon ships (dist/silvana.mjs):
 * tsx compiles with `keepNames`, which renames every closure as it is made (a property write per
 * function a call creates), a cost the shipped code does not have. Both servers run the same way;
 * BENCH_TSX=1 runs them through tsx instead, BENCH_SERVER from a bundle built before (it needs a
 * `gen/descriptor.binpb` one level above it).
 */
const serverEntry = (): { readonly file: string; readonly execArgv: Array<string> } => {
  if (process.env["BENCH_TSX"] === "1") return { file: fileURLToPath(import.meta.url), execArgv: ["--import", "tsx"] }
  // BENCH_SERVER=<file>: a server bundle built before (another commit's, to compare two builds).
  const prebuilt = process.env["BENCH_SERVER"]
  if (prebuilt !== undefined) return { file: path.resolve(prebuilt), execArgv: [] }
  // One level below a gen/ with the descriptor set, as the daemon's chunks sit below dist/gen.
  const file = path.resolve(".tmp", "bench-api", "server.mjs")
  mkdirSync(path.resolve(".tmp", "gen"), { recursive: true })
  copyFileSync(path.resolve("src", "gen", "descriptor.binpb"), path.resolve(".tmp", "gen", "descriptor.binpb"))
  buildSync({
    entryPoints: [fileURLToPath(import.meta.url)],
    outfile: file,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node22",
    sourcemap: "linked",
    logLevel: "warning"
  })
  return { file, execArgv: [] }
}

const startServer = (kind: "coordinator" | "bare", entry: { readonly file: string; readonly execArgv: Array<string> }) =>
  new Promise<Server>((resolve, reject) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-bench-"))
    const socketPath = path.join(dir, `${kind}.sock`)
    const profile = process.env["BENCH_PROFILE"] === kind ? ["--cpu-prof", "--cpu-prof-dir", dir] : []
    // BENCH_SERVER_FLAGS: node flags for both server processes (e.g. `--trace-gc`, heap sizes).
    const flags = (process.env["BENCH_SERVER_FLAGS"] ?? "").split(" ").filter((f) => f !== "")
    const child = fork(entry.file, ["serve", kind, socketPath], { execArgv: [...entry.execArgv, "--expose-gc", ...flags, ...profile] })
    if (profile.length > 0) console.error(`cpu profile of the ${kind} server goes to ${dir}`)
    child.once("message", (m: { sessions: Array<string> }) =>
      resolve({
        socketUrl: `unix://${socketPath}`,
        sessions: m.sessions,
        kill: () => child.kill(profile.length > 0 ? "SIGTERM" : "SIGKILL"),
        cpu: () => ask<number>(child, { cmd: "cpu" }, "cpu"),
        child
      })
    )
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)))
  })

const percentile = (sorted: Array<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/** One timed round of CONCURRENCY loops doing GetJob then CompleteJob. */
const round = async (socketUrl: string, sessions: Array<string>) => {
  const channel = createChannel(socketUrl)
  const client = createClient(CoordinatorServiceDefinition, channel)
  const latencies: Array<number> = []
  const deadline = performance.now() + ROUND_MS
  let pairs = 0
  await Promise.all(
    sessions.map(async (sessionId) => {
      while (performance.now() < deadline) {
        const t0 = performance.now()
        const res = await client.getJob({ ...triple, sessionId })
        if (res.job === undefined) throw new Error("bench ran out of jobs")
        const done = await client.completeJob({ jobId: res.job.jobId, sessionId })
        if (!done.success) throw new Error(`complete refused: ${done.message}`)
        latencies.push(performance.now() - t0)
        pairs += 1
      }
    })
  )
  channel.close()
  return { perSecond: (pairs * 1000) / ROUND_MS, latencies }
}

const main = async () => {
  const entry = serverEntry()
  const coordinator = await startServer("coordinator", entry)
  const bare = await startServer("bare", entry)
  try {
    // warm-up both (JIT, connections)
    await round(coordinator.socketUrl, coordinator.sessions)
    await round(bare.socketUrl, bare.sessions)
    const results = { coordinator: [] as Array<number>, bare: [] as Array<number> }
    const lat = { coordinator: [] as Array<number>, bare: [] as Array<number> }
    // Server CPU per pair (user + system of the server's process, µs): what a busy machine does
    // not change the way it changes a rate.
    const cpu = { coordinator: 0, bare: 0 }
    // The client's CPU per pair (this process): with both processes on one machine, a pair costs
    // server + client, so the ratio of rates follows (bare + client) / (coordinator + client).
    const client = { coordinator: 0, bare: 0 }
    // BENCH_CPU_PROF=<file>: CPU; BENCH_ALLOC_PROF=<file>: allocations, freed ones included.
    const allocFile = process.env["BENCH_ALLOC_PROF"]
    const profFile = allocFile ?? process.env["BENCH_CPU_PROF"]
    if (profFile !== undefined) {
      await ask(coordinator.child, { cmd: "profStart", file: path.resolve(profFile), alloc: allocFile !== undefined }, "profiling")
    }
    // BENCH_BARE_PROF=<file>: the bare server's CPU profile over the same rounds, to compare with.
    const bareProf = process.env["BENCH_BARE_PROF"]
    if (bareProf !== undefined) await ask(bare.child, { cmd: "profStart", file: path.resolve(bareProf), alloc: bareProf.endsWith(".heapprofile") }, "profiling")
    for (let r = 0; r < ROUNDS; r++) {
      const pair = [["coordinator", coordinator], ["bare", bare]] as const
      for (const [name, srv] of r % 2 === 0 ? pair : [pair[1], pair[0]]) {
        const c0 = await srv.cpu()
        const m0 = process.cpuUsage()
        const res = await round(srv.socketUrl, srv.sessions)
        const m1 = process.cpuUsage(m0)
        const used = (await srv.cpu()) - c0
        cpu[name] += used
        client[name] += m1.user + m1.system
        if (process.env["BENCH_VERBOSE"] !== undefined) {
          console.error(`round ${r} ${name}: ${res.perSecond.toFixed(0)} pairs/s, server ${(used / res.latencies.length).toFixed(0)} µs/pair, client ${((m1.user + m1.system) / res.latencies.length).toFixed(0)} µs/pair`)
        }
        results[name].push(res.perSecond)
        lat[name].push(...res.latencies)
      }
    }
    if (bareProf !== undefined) console.error(`cpu profile of the bare server's measured rounds: ${await ask<string>(bare.child, { cmd: "profStop" }, "profiled")}`)
    if (profFile !== undefined) console.error(`${allocFile !== undefined ? "allocation" : "cpu"} profile of the coordinator's measured rounds: ${await ask<string>(coordinator.child, { cmd: "profStop" }, "profiled")}`)
    const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const c = median(results.coordinator)
    const b = median(results.bare)
    const cl = lat.coordinator.sort((x, y) => x - y)
    const bl = lat.bare.sort((x, y) => x - y)
    console.log(`api_pairs_per_s_coordinator=${c.toFixed(0)}`)
    console.log(`api_pairs_per_s_bare=${b.toFixed(0)}`)
    console.log(`api_p50_ms_coordinator=${percentile(cl, 50).toFixed(3)}`)
    console.log(`api_p99_ms_coordinator=${percentile(cl, 99).toFixed(3)}`)
    console.log(`api_p50_ms_bare=${percentile(bl, 50).toFixed(3)}`)
    console.log(`api_p99_ms_bare=${percentile(bl, 99).toFixed(3)}`)
    console.log(`api_cpu_us_per_pair_coordinator=${(cpu.coordinator / lat.coordinator.length).toFixed(0)}`)
    console.log(`api_cpu_us_per_pair_bare=${(cpu.bare / lat.bare.length).toFixed(0)}`)
    console.log(`api_cpu_ratio=${(cpu.bare / lat.bare.length / (cpu.coordinator / lat.coordinator.length)).toFixed(3)}`)
    console.log(`api_client_cpu_us_per_pair_coordinator=${(client.coordinator / lat.coordinator.length).toFixed(0)}`)
    console.log(`api_client_cpu_us_per_pair_bare=${(client.bare / lat.bare.length).toFixed(0)}`)
    console.log(`api_concurrency=${CONCURRENCY}`)
    const ratios = results.coordinator.map((x, i) => x / results.bare[i]!).sort((x, y) => x - y)
    console.log(`api_overhead_ratio=${median(ratios).toFixed(3)}`)
    console.log(`api_overhead_ratio_pairs=${ratios.map((x) => x.toFixed(2)).join(",")}`)
  } finally {
    coordinator.kill()
    bare.kill()
  }
}

if (process.argv[2] === "serve") {
  process.on("SIGTERM", () => process.exit(0))
  void serve(process.argv[3]!, process.argv[4]!)
}
else
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e)
      process.exit(1)
    }
  )
