/**
 * End-to-end fixture: a real localnet over gRPC, the real coordinator program with all its layers,
 * and the process runtime running a bundled test agent (test/e2e/agents/recorder.ts). The runtime
 * is wrapped to count live agents from its own start/exit events.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { build } from "esbuild"
import { ConfigProvider, Effect, Exit, Fiber, HashMap, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import { coordinatorConfig, Config } from "../../src/layers/Config.js"
import { AgentRuntime, defaultRuntimeOptions } from "../../src/layers/AgentRuntime.js"
import { processLayer } from "../../src/layers/runtime/process.js"
import { ChainState } from "../../src/layers/ChainState.js"
import { Health, type HealthReport } from "../../src/layers/Health.js"
import { SuiClient } from "../../src/layers/SuiClient.js"
import { createJobs, seedAgentMethod } from "../../src/localnet/client.js"
import { type LocalnetHandle, startLocalnet } from "../../src/localnet/index.js"
import { coordinatorLayer, coordinatorProgram, type CoordinatorOptions } from "../../src/programs/coordinator.js"
import { configForLocalnet } from "../../src/programs/demo.js"
import { waitUntil } from "../support/wait.js"

/** `unstartable`: the method's image has no command in the process runtime, so no agent starts. */
export type AgentMode = "ok" | "fail-odd" | "always-fail" | "hang" | "crash" | "slow" | "gated" | "hang-first" | "unstartable"

export interface TripleSpec {
  readonly developer: string
  readonly agent: string
  readonly method: string
  readonly mode: AgentMode
}

let bundled: string | undefined
/** The test agent bundled once into a single file (fast to start, no TypeScript loader). */
export const agentBundle = async (): Promise<string> => {
  if (bundled !== undefined && existsSync(bundled)) return bundled
  // readable by agents that run unprivileged (AGENT_PROCESS_USER when the daemon is root)
  const outDir = mkdtempSync(path.join(os.tmpdir(), "silvana-agent-"))
  chmodSync(outDir, 0o755)
  const out = path.join(outDir, "recorder.cjs")
  await build({
    entryPoints: [path.resolve("test/e2e/agents/recorder.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node22",
    outfile: out,
    // named source lines in a profile of the agent (bench:e2e's BENCH_AGENT_PROF_DIR)
    sourcemap: "linked",
    logLevel: "warning"
  })
  bundled = out
  return out
}

export interface Record {
  readonly seq: bigint
  readonly session: string
  readonly outcome: string
}

/** Counts agents alive at once from the runtime's own start and exit events. */
export const countingRuntime = <E, R>(inner: Layer.Layer<AgentRuntime, E, R>) => {
  const counts = { alive: 0, maxAlive: 0, started: 0, timeouts: 0 }
  const layer = Layer.effect(
    AgentRuntime,
    Effect.map(AgentRuntime, (rt) =>
      AgentRuntime.of({
        ...rt,
        start: (spec) =>
          Effect.tap(rt.start(spec), (handle) =>
            Effect.gen(function* () {
              counts.alive += 1
              counts.started += 1
              counts.maxAlive = Math.max(counts.maxAlive, counts.alive)
              yield* Effect.forkDaemon(
                Effect.tap(handle.exit, (info) => Effect.sync(() => info.reason === "timeout" && (counts.timeouts += 1))).pipe(
                  Effect.ensuring(Effect.sync(() => (counts.alive -= 1)))
                )
              )
            })
          )
      })
    )
  ).pipe(Layer.provide(inner))
  return { layer, counts }
}

export interface E2E {
  readonly localnet: LocalnetHandle
  readonly dir: string
  readonly recordFile: string
  readonly counts: { alive: number; maxAlive: number; started: number; timeouts: number }
  readonly createJobs: (method: string, count: number) => Promise<ReadonlyArray<bigint>>
  readonly records: () => ReadonlyArray<Record>
  /** Jobs of the app instance still on chain (pending, running or Failed), by sequence. */
  readonly chainJobs: (
    seqs: ReadonlyArray<bigint>
  ) => Promise<ReadonlyArray<{ seq: bigint; status: string; attempts: number; error: string | undefined }>>
  /** Log lines of level warning and above the coordinator wrote, oldest first. */
  readonly logs: ReadonlyArray<LogLine>
  /** The coordinator's health report (the same checks `/health` runs). */
  readonly health: () => Promise<HealthReport>
  readonly stop: () => Promise<void>
  readonly close: () => Promise<void>
}

export interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<globalThis.Record<string, unknown>>
}

export interface E2EOptions {
  readonly triples: ReadonlyArray<TripleSpec>
  readonly env?: Readonly<globalThis.Record<string, string>>
  readonly localnet?: LocalnetHandle
  readonly coordinator?: CoordinatorOptions
  /** Another coordinator key (`suiprivkey…`, funded); default the localnet's coordinator key. */
  readonly coordinatorKey?: string
}

export const startE2E = async (options: E2EOptions): Promise<E2E> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-e2e-"))
  const recordFile = path.join(dir, "records.txt")
  const localnet = options.localnet ?? (await startLocalnet({ port: 0, checkpointMs: 100 }))
  const manifest = localnet.manifest
  for (const t of options.triples) {
    await seedAgentMethod(manifest, { developer: t.developer, agent: t.agent, method: t.method, image: `test/${t.mode}`, appMethod: t.method })
  }
  const bundle = await agentBundle()
  const commands = Object.fromEntries(
    options.triples
      .filter((t) => t.mode !== "unstartable")
      .map((t) => [`test/${t.mode}`, { entrypoint: [process.execPath, bundle, recordFile, t.mode], cmd: [] }])
  )
  const env = {
    MAX_CONCURRENT_AGENTS: "2",
    // an agent that works through 100 jobs on a loaded machine must not hit its run limit: one
    // stopped between its CompleteJob reaching the coordinator and its record line loses the line
    CONTAINER_TIMEOUT_SECS: "3600",
    GRPC_SOCKET_PATH: path.join(dir, "coordinator.sock"),
    GRPC_TCP_ADDRESS: "127.0.0.1:0",
    STATE_DIR: dir,
    AGENT_RUNTIME: "process",
    SILVANA_APP_INSTANCES: manifest.appInstanceId,
    ...options.env
  }
  const base = await Effect.runPromise(Effect.withConfigProvider(coordinatorConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))
  const config = {
    ...configForLocalnet(base, manifest),
    stateDir: dir,
    ...(options.coordinatorKey !== undefined ? { suiPrivateKey: Option.some(Redacted.make(options.coordinatorKey)) } : {})
  }
  const { layer: runtime, counts } = countingRuntime(
    processLayer({ ...defaultRuntimeOptions, stopGraceMs: 2_000, stateDir: dir, commands })
  )
  const logs: Array<LogLine> = []
  const collector = Logger.make(({ annotations, logLevel, message }) => {
    if (!LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) return
    const parts = Array.isArray(message) ? message : [message]
    const text = parts.map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" ")
    logs.push({ level: logLevel.label, message: text, annotations: Object.fromEntries(HashMap.toEntries(annotations)) })
  })
  const loggers = Layer.merge(
    process.env["TEST_LOGS"] === undefined ? Logger.minimumLogLevel(LogLevel.Warning) : Layer.empty,
    Logger.add(collector)
  )
  const health = await Effect.runPromise(Health.make())
  const program = Effect.scoped(coordinatorProgram({ reconcileEvery: "5 seconds", ...options.coordinator })).pipe(
    Effect.provide(coordinatorLayer(runtime, () => localnet.chain.now())),
    Effect.provideService(Config, config),
    Effect.provideService(Health, health),
    Effect.provide(loggers)
  )
  const fiber = Effect.runFork(program)

  const chainJobs = chainJobsOf(manifest)
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    const exit = await Effect.runPromise(Fiber.interrupt(fiber))
    if (Exit.isFailure(exit) && !Exit.isInterrupted(exit)) throw new Error(`coordinator failed: ${String(exit.cause)}`)
  }
  return {
    localnet,
    dir,
    recordFile,
    counts,
    createJobs: createJobsOn(manifest),
    records: () => readRecords(recordFile),
    chainJobs,
    logs,
    health: () => Effect.runPromise(health.report),
    stop,
    close: async () => {
      await stop()
      if (options.localnet === undefined) await localnet.close()
    }
  }
}

type Manifest = LocalnetHandle["manifest"]

/** Reads jobs of the manifest's app instance back from chain over gRPC. */
export const chainJobsOf = (manifest: Manifest) => {
  const chainLayer = ChainState.layer.pipe(
    Layer.provideMerge(SuiClient.layerFrom({ url: manifest.grpcUrl, privateKey: manifest.keys.admin, packageId: manifest.packageId }))
  )
  return (seqs: ReadonlyArray<bigint>) =>
    Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(ChainState, (c) => c.jobs(manifest.appInstanceId, seqs)).pipe(
          Effect.map((jobs) =>
            jobs.map((j) => ({
              seq: j.jobSequence,
              status: j.status._tag,
              attempts: j.attempts,
              error: j.status._tag === "Failed" ? j.status.error : undefined
            }))
          )
        )
      ).pipe(Effect.provide(chainLayer))
    )
}

/** Creates jobs as the app admin, through signed transactions. */
export const createJobsOn = (manifest: Manifest) => async (method: string, count: number) =>
  (await createJobs(manifest, { count, method, perTransaction: 50, data: (i) => new TextEncoder().encode(`[${i}]`) })).jobSequences

/** Parses a recorder agent's file. */
export const readRecords = (file: string): ReadonlyArray<Record> =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => {
          const [seq, session, outcome] = l.split(" ")
          return { seq: BigInt(seq!), session: session!, outcome: outcome! }
        })
    : []

/**
 * Waits until `check` holds. `stallMs` is a liveness backstop, not a deadline: with `progress` it
 * restarts whenever that measure moves (see test/support/wait.ts).
 */
export const eventually = (check: () => Promise<boolean> | boolean, stallMs: number, what: string, progress?: () => unknown) =>
  waitUntil(what, check, progress === undefined ? { stallMs } : { stallMs, progress })

/** A new coordinator key funded by the localnet's admin (for a second coordinator). */
export const fundedKey = async (localnet: LocalnetHandle, mist = 50_000_000_000n): Promise<string> => {
  const { Ed25519Keypair } = await import("@mysten/sui/keypairs/ed25519")
  const { Transaction } = await import("@mysten/sui/transactions")
  const { makeSuiClient } = await import("../../src/localnet/client.js")
  const key = Ed25519Keypair.generate()
  const admin = Ed25519Keypair.fromSecretKey(localnet.manifest.keys.admin)
  const client = makeSuiClient(localnet.manifest.grpcUrl)
  const tx = new Transaction()
  const coins = tx.splitCoins(tx.gas, [mist, mist])
  tx.transferObjects([coins[0]!, coins[1]!], key.toSuiAddress())
  const result = await client.signAndExecuteTransaction({ transaction: tx, signer: admin })
  if (result.$kind !== "Transaction") throw new Error("funding the second coordinator failed")
  return key.getSecretKey()
}

/** The environment of a coordinator daemon process run against a localnet's manifest. */
export const daemonEnv = (manifest: Manifest, dir: string, extra: Readonly<globalThis.Record<string, string>> = {}) => ({
  ...process.env,
  SUI_RPC_URL: manifest.grpcUrl,
  SUI_CHAIN: "localnet",
  SUI_PRIVATE_KEY: manifest.keys.coordinator,
  SILVANA_REGISTRY_PACKAGE: manifest.packageId,
  SILVANA_REGISTRY: manifest.registryId,
  SILVANA_APP_INSTANCES: manifest.appInstanceId,
  STATE_DIR: path.join(dir, "state"),
  GRPC_SOCKET_PATH: path.join(dir, "coordinator.sock"),
  GRPC_TCP_ADDRESS: "127.0.0.1:0",
  HTTP_ADDRESS: "127.0.0.1:0",
  AGENT_RUNTIME: "process",
  MAX_CONCURRENT_AGENTS: "2",
  LOG_LEVEL: "warn",
  ...extra
})
