/**
 * The proving pipeline end to end, for its tests and `npm run bench:pipeline`: a real localnet over
 * gRPC with the demo app (`demo_add`) on `instances` app instances, the real coordinator program
 * (blocks, merges, settlement programs included) and the pipeline example agent run as processes
 * (bundled once), settling to a file ledger. Reads back what the chain and the ledger say.
 */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { build } from "esbuild"
import { ConfigProvider, Effect, Exit, Fiber, Layer, Logger, LogLevel, ManagedRuntime, Option } from "effect"
import { commit, decodeProof, u64le, verifyAgainstStates } from "../../examples/pipeline-agent/hashProof.js"
import { FileLedger } from "../../examples/pipeline-agent/ledger.js"
import { toBlockProofState } from "../../src/chain/appTypes.js"
import { normalizeAppInstance } from "../../src/domain/ids.js"
import { ProofStatus } from "../../src/domain/mergePlan.js"
import { AppChain, type AppInstanceFields } from "../../src/layers/AppChain.js"
import { defaultRuntimeOptions } from "../../src/layers/AgentRuntime.js"
import { coordinatorConfig, Config } from "../../src/layers/Config.js"
import { Health } from "../../src/layers/Health.js"
import { processLayer } from "../../src/layers/runtime/process.js"
import { SuiClient } from "../../src/layers/SuiClient.js"
import { type LocalnetHandle, startLocalnet } from "../../src/localnet/index.js"
import { createPipelineInstance, demoAdder, PIPELINE, seedPipeline } from "../../src/localnet/pipelineDemo.js"
import { coordinatorLayer, coordinatorProgram } from "../../src/programs/coordinator.js"
import { configForLocalnet } from "../../src/programs/demo.js"
import { waitUntil } from "./wait.js"

/** How many of the coordinator's last log lines a stalled run shows. */
const KEPT_LOG_LINES = 200
const STATUS_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ProofStatus).map(([name, n]) => [n, name]))

let bundled: string | undefined
const agentBundle = async () => {
  if (bundled !== undefined) return bundled
  const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-pipeline-agent-"))
  chmodSync(dir, 0o755)
  const out = path.join(dir, "pipeline-agent.cjs")
  await build({ entryPoints: [path.resolve("examples/pipeline-agent/main.ts")], bundle: true, platform: "node", format: "cjs", target: "node22", outfile: out, logLevel: "warning" })
  bundled = out
  return out
}

export interface PipelineOptions {
  readonly instances: number
  readonly blockIntervalMs: number
  readonly maxAgents?: number
  readonly env?: Readonly<Record<string, string>>
  /** `none`: no coordinator here (a test runs its own daemons, `processCommands` for their agents). */
  readonly coordinator?: "in-process" | "none"
  /** Faults the pipeline agents make (examples/pipeline-agent/faults.ts). */
  readonly faults?: {
    readonly corruptSequences?: ReadonlyArray<number>
    readonly settleFailures?: number
    readonly corruptBlockMerges?: number
    readonly failProveSequences?: ReadonlyArray<number>
    readonly proveFailures?: number
  }
  /** The instances' prove method when not `prove` (then no instance is the manifest's genesis one). */
  readonly proveMethod?: string
  /** The localnet's checkpoint interval (default 50 ms). */
  readonly checkpointMs?: number
  /**
   * The pipeline programs' fallback periods: `test` (the default here) runs them every 200-500 ms,
   * so a test does not wait on a timer; `deployed` keeps the daemon's own defaults (seconds), as a
   * benchmark of the daemon as it runs should.
   */
  readonly timers?: "test" | "deployed"
}

/** The fallback periods `timers: "test"` sets. */
export const TEST_PIPELINE_TIMERS: Readonly<Record<string, string>> = {
  PIPELINE_BLOCKS_EVERY_MS: "200",
  PIPELINE_MERGES_EVERY_MS: "500",
  PIPELINE_SETTLE_EVERY_MS: "500"
}

export interface InstanceReport {
  readonly fields: AppInstanceFields
}

export const startPipeline = async (o: PipelineOptions) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-pipeline-"))
  // agents may run as another user (the daemon as root): they write the ledger here
  chmodSync(dir, 0o777)
  const ledgerFile = path.join(dir, "ledger.jsonl")
  if (o.faults !== undefined) writeFileSync(`${ledgerFile}.faults.json`, JSON.stringify(o.faults))
  const localnet: LocalnetHandle = await startLocalnet({ port: 0, checkpointMs: o.checkpointMs ?? 50 })
  const manifest = localnet.manifest
  await seedPipeline(manifest, { blockIntervalMs: o.blockIntervalMs })
  const instances = o.proveMethod === undefined ? [manifest.appInstanceId] : []
  while (instances.length < o.instances) instances.push(await createPipelineInstance(manifest, { blockIntervalMs: o.blockIntervalMs, ...(o.proveMethod === undefined ? {} : { proveMethod: o.proveMethod }) }))
  const bundle = await agentBundle()
  const env = {
    MAX_CONCURRENT_AGENTS: String(o.maxAgents ?? 4),
    CONTAINER_TIMEOUT_SECS: "3600",
    GRPC_SOCKET_PATH: path.join(dir, "coordinator.sock"),
    GRPC_TCP_ADDRESS: "127.0.0.1:0",
    STATE_DIR: dir,
    AGENT_RUNTIME: "process",
    ...(o.timers === "deployed" ? {} : TEST_PIPELINE_TIMERS),
    ...o.env
  }
  const base = await Effect.runPromise(Effect.withConfigProvider(coordinatorConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))
  const config = { ...configForLocalnet(base, manifest), stateDir: dir, appInstances: instances }
  const runtime = processLayer({
    ...defaultRuntimeOptions, stopGraceMs: 2_000, stateDir: dir,
    commands: { [PIPELINE.image]: { entrypoint: [process.execPath, bundle, ledgerFile], cmd: [] } }
  })
  const health = await Effect.runPromise(Health.make())
  // The coordinator's last lines (info and up) are kept for `explain`; errors are printed as they
  // come, everything with TEST_LOGS.
  const recentLogs: Array<string> = []
  const printAll = process.env["TEST_LOGS"] !== undefined
  const keepLogs = Logger.make((o) => {
    const line = Logger.logfmtLogger.log(o)
    recentLogs.push(line)
    if (recentLogs.length > KEPT_LOG_LINES) recentLogs.shift()
    if (printAll || LogLevel.greaterThanEqual(o.logLevel, LogLevel.Error)) console.log(line)
  })
  const quiet = Layer.merge(Logger.replace(Logger.defaultLogger, keepLogs), Logger.minimumLogLevel(LogLevel.Info))
  const program = Effect.scoped(coordinatorProgram({ reconcileEvery: "5 seconds" })).pipe(
    Effect.provide(coordinatorLayer(runtime, () => localnet.chain.now())),
    Effect.provideService(Config, config),
    Effect.provideService(Health, health),
    Effect.provide(quiet)
  )
  const fiber = o.coordinator === "none" ? Effect.runFork(Effect.void) : Effect.runFork(program)

  // one client for every read and one sender for every action (polling them must not load the run)
  const appChain = ManagedRuntime.make(AppChain.layer.pipe(Layer.provide(SuiClient.layerFrom({ url: manifest.grpcUrl, privateKey: manifest.keys.admin, packageId: manifest.packageId }))))
  const read = <A>(f: (c: AppChain["Type"]) => Effect.Effect<A, unknown>) => appChain.runPromise(Effect.flatMap(AppChain, f))
  const adder = demoAdder(manifest)
  let adding: Promise<unknown> = Promise.resolve()
  /** Every value added to each instance, in sequence order (sequence i + 1 = values[i]). */
  const sent = new Map<string, Array<bigint>>(instances.map((i) => [i, []]))
  let next = 1n

  return {
    dir, localnet, instances, ledger: new FileLedger(ledgerFile),
    /** `AGENT_PROCESS_COMMANDS` for a daemon whose agents are the pipeline agent, on this ledger. */
    processCommands: JSON.stringify({ [PIPELINE.image]: [process.execPath, bundle, ledgerFile] }),
    /** Sends `n` actions to an instance in one transaction; their values. */
    add: async (instance: string, n: number) => {
      const values = Array.from({ length: n }, () => next++)
      // one transaction at a time (the admin's gas coin)
      const sending = adding.then(() => adder.add(instance, values))
      adding = sending.catch(() => undefined)
      await sending
      sent.get(instance)!.push(...values)
      return values
    },
    /** The instance's fields as the chain has them (settled blocks' prover state is purged). */
    report: (instance: string): Promise<InstanceReport> => read((c) => Effect.map(c.instance(instance), (fields) => ({ fields }))),
    /** All actions sent are in blocks that are proved and settled on the ledger chain. */
    settledAll: async (instance: string) => {
      const f = await read((c) => c.instance(instance))
      const settled = f.settlements.find((s) => s.chain === PIPELINE.chain)?.lastSettledBlockNumber ?? 0n
      // an instance that never had an action has `sequence` 0 (then 1, 2, … once actions take them)
      const actions = f.sequence === 0n ? 0n : f.sequence - 1n
      return actions === BigInt(sent.get(instance)!.length) && f.previousBlockLastSequence === actions && settled === f.blockNumber - 1n
    },
    /**
     * Checks the instance's ledger entries against the actions sent: blocks 1, 2, … in order, tiling
     * sequences 1 … (actions sent) without gap or overlap, each proof going from the state before
     * its block to the state after it with every sequence counted exactly once (the digest). The
     * problems found and the blocks' sizes.
     */
    ledgerCheck: (instance: string) => {
      const values = sent.get(instance)!
      const sums = [0n]
      for (const v of values) sums.push(sums[sums.length - 1]! + v)
      const entries = new FileLedger(ledgerFile).entries().filter((e) => normalizeAppInstance(e.appInstance) === normalizeAppInstance(instance))
      const problems: Array<string> = []
      const sizes: Array<number> = []
      let expectedFirst = 1n
      entries.forEach((e, i) => {
        const p = decodeProof(e.proof)
        if (p === undefined) return void problems.push(`entry ${i}: not a proof`)
        if (e.block !== String(i + 1)) problems.push(`entry ${i} is block ${e.block}`)
        if (p.first !== expectedFirst) problems.push(`block ${i + 1} starts at ${p.first}, not ${expectedFirst}`)
        expectedFirst = p.last + 1n
        sizes.push(Number(p.last - p.first + 1n))
        const bad = verifyAgainstStates(p, sums.slice(Number(p.first) - 1, Number(p.last) + 1).map((x) => u64le(x)))
        if (bad !== undefined) problems.push(`block ${i + 1}: ${bad}`)
      })
      if (expectedFirst - 1n !== BigInt(values.length)) problems.push(`the ledger covers sequences up to ${expectedFirst - 1n} of ${values.length}`)
      if (entries.length > 0 && decodeProof(entries[0]!.proof)?.from !== commit(u64le(0n))) problems.push("the first block does not start from 0")
      return { problems, sizes }
    },
    /**
     * What the chain says of each instance (its counters, settlements and the prover state of each
     * block not settled yet) and the coordinator's last log lines: printed when a run stalls.
     */
    explain: async () => {
      const out: Array<string> = []
      for (const ai of instances) {
        const f = await read((c) => c.instance(ai))
        const settled = f.settlements.map((st) => `${st.chain}: settled ${st.lastSettledBlockNumber}, settle job ${st.settlementJob ?? "none"}`).join("; ")
        out.push(`instance ${ai}: ${sent.get(ai)!.length} actions sent, sequence ${f.sequence}, block ${f.blockNumber} (last sequence ${f.previousBlockLastSequence}), proved ${f.lastProvedBlockNumber}, purged ${f.lastPurgedSequence}, failed jobs [${f.failedJobs.join(",")}]; ${settled}`)
        const floor = f.settlements.reduce((m, st) => (st.lastSettledBlockNumber < m ? st.lastSettledBlockNumber : m), f.blockNumber)
        for (let b = floor + 1n; b <= f.blockNumber; b++) {
          const pc = await read((c) => c.proofCalculationOf(f, b))
          if (Option.isNone(pc)) {
            out.push(`  block ${b}: no prover state`)
            continue
          }
          const st = toBlockProofState(pc.value)
          const proofs = st.proofs.map((x) => `[${x.sequences.join(",")}] ${STATUS_NAMES[x.status] ?? x.status}${x.merged === true ? " (merged)" : ""}`)
          out.push(`  block ${b}: sequences ${st.startSequence}..${st.endSequence ?? "open"}, finished ${st.isFinished}: ${proofs.join("; ")}`)
        }
      }
      out.push(`the coordinator's last ${recentLogs.length} log lines:`, ...recentLogs)
      return out.join("\n")
    },
    stop: async () => {
      const exit = await Effect.runPromise(Fiber.interrupt(fiber))
      if (Exit.isFailure(exit) && !Exit.isInterrupted(exit)) throw new Error(`coordinator failed: ${String(exit.cause)}`)
    },
    close: async () => {
      await Effect.runPromise(Fiber.interrupt(fiber))
      adder.close()
      await appChain.dispose()
      await localnet.close()
    }
  }
}

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>

/** Blocks settled so far, over every instance: how far a run has come. */
export const settledBlocks = async (p: Pipeline): Promise<bigint> => {
  let n = 0n
  for (const ai of p.instances) n += (await p.report(ai)).fields.settlements[0]?.lastSettledBlockNumber ?? 0n
  return n
}

/** Resolves once every action of every instance is proved and settled; `progress` (default: settled blocks) restarts the backstop. */
export const waitAllSettled = (p: Pipeline, progress: () => unknown = () => settledBlocks(p)): Promise<void> =>
  waitUntil("every action proved and settled", async () => (await Promise.all(p.instances.map((ai) => p.settledAll(ai)))).every(Boolean), {
    progress,
    pollMs: 250,
    explain: p.explain
  })
