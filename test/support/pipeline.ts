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
import { ConfigProvider, Effect, Exit, Fiber, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { commit, decodeProof, u64le, verifyAgainstStates } from "../../examples/pipeline-agent/hashProof.js"
import { FileLedger } from "../../examples/pipeline-agent/ledger.js"
import { normalizeAppInstance } from "../../src/domain/ids.js"
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
    readonly failProveSequences?: ReadonlyArray<number>
    readonly proveFailures?: number
  }
  /** The instances' prove method when not `prove` (then no instance is the manifest's genesis one). */
  readonly proveMethod?: string
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
  const localnet: LocalnetHandle = await startLocalnet({ port: 0, checkpointMs: 50 })
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
    PIPELINE_BLOCKS_EVERY_MS: "200",
    PIPELINE_MERGES_EVERY_MS: "500",
    PIPELINE_SETTLE_EVERY_MS: "500",
    ...o.env
  }
  const base = await Effect.runPromise(Effect.withConfigProvider(coordinatorConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))
  const config = { ...configForLocalnet(base, manifest), stateDir: dir, appInstances: instances }
  const runtime = processLayer({
    ...defaultRuntimeOptions, stopGraceMs: 2_000, stateDir: dir,
    commands: { [PIPELINE.image]: { entrypoint: [process.execPath, bundle, ledgerFile], cmd: [] } }
  })
  const health = await Effect.runPromise(Health.make())
  const quiet = process.env["TEST_LOGS"] === undefined ? Logger.minimumLogLevel(LogLevel.Error) : Layer.empty
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
      return f.sequence - 1n === BigInt(sent.get(instance)!.length) && f.previousBlockLastSequence === f.sequence - 1n && settled === f.blockNumber - 1n
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
    pollMs: 250
  })
