/**
 * start — what `silvana-coordinator start` (and `npm start`) runs: the production daemon when a
 * node is configured (`SUI_RPC_URL`), else the embedded demo: a localnet in this process, a demo
 * app served by the bundled example agent, and a steady flow of demo jobs with a live view.
 */
import { mkdirSync } from "node:fs"
import * as path from "node:path"
import { setFlagsFromString } from "node:v8"
import { Console, Effect, Option } from "effect"
import { type AgentRuntimeKind } from "../layers/Config.js"
import { resolveAgentRuntime } from "../layers/runtime/dockerImage.js"
import { acquireStateLock } from "../layers/stateLock.js"
import { Localnet, type LocalnetManifest } from "../localnet/index.js"
import { PIPELINE } from "../localnet/pipelineDemo.js"
import { Config } from "../layers/Config.js"
import { privateUmask, secureStateDir } from "../layers/StateDir.js"
import { coordinator } from "./coordinator.js"
import { configForLocalnet, DEMO, demoJobs, demoLocalnetOptions, seedDemo } from "./demo.js"
import { demoActions, seedDemoPipeline } from "./demoPipeline.js"
import { preflight } from "./preflight.js"
import { progress } from "./progress.js"

const EMBEDDED_BANNER = [
  "Silvana coordinator — embedded demo (no SUI_RPC_URL set).",
  "A local Sui node runs in this process; demo jobs are created every 2 s and served by the example `add` agent,",
  "and demo actions run through the proving pipeline (blocks, proofs, merges, settlement) with the example pipeline agent.",
  "To run against a real network set SUI_RPC_URL (e.g. https://fullnode.testnet.sui.io:443), SUI_PRIVATE_KEY,",
  "SILVANA_REGISTRY_PACKAGE and SILVANA_REGISTRY (see README.md and docs/). Ctrl-C stops gracefully."
].join("\n")

/**
 * The demo runs its agent in Docker when an engine answers and has the example image (built
 * offline by scripts/build-agent-image.sh), else as a local process — never a pull that cannot work.
 */
const demoRuntime = (base: { readonly agentRuntime: Option.Option<AgentRuntimeKind> }) =>
  Option.isSome(base.agentRuntime)
    ? Effect.succeed(base.agentRuntime)
    : resolveAgentRuntime({ requireImage: DEMO.image }).pipe(
        Effect.tap((r) => Effect.logInfo(`agent runtime: ${r.kind} (${r.why})`)),
        Effect.map((r) => Option.some<AgentRuntimeKind>(r.kind))
      )

/**
 * The demo's proving pipeline when its agent can run here (the process runtime always can; Docker
 * needs the pipeline image, built offline by scripts/build-agent-image.sh): its instance to
 * follow and its stream of actions. A pipeline that cannot be set up leaves the rest of the demo
 * running.
 */
const demoPipeline = (manifest: LocalnetManifest, stateDir: string, runtime: Option.Option<AgentRuntimeKind>) =>
  Effect.gen(function* () {
    if (Option.getOrUndefined(runtime) === "docker") {
      const r = yield* resolveAgentRuntime({ requireImage: PIPELINE.image })
      if (r.kind !== "docker") {
        yield* Effect.logInfo(`proving pipeline demo not started: ${r.why}`)
        return { instances: [], extras: [] }
      }
    }
    yield* Effect.sync(() => mkdirSync(stateDir, { recursive: true, mode: 0o700 }))
    const instance = yield* seedDemoPipeline(manifest, stateDir)
    yield* Effect.logInfo("proving pipeline demo running", { app_instance: instance })
    return { instances: [instance], extras: [demoActions(manifest, instance)] }
  }).pipe(Effect.catchAll((e) => Effect.as(Effect.logWarning(e.message), { instances: [], extras: [] })))

/** Agents the demo runs at once with its pipeline: add, and the pipeline's prove / merge / settle. */
const DEMO_PIPELINE_AGENTS = 4

export const embedded = Effect.gen(function* () {
  const base = yield* Config
  yield* Console.error(EMBEDDED_BANNER)
  const localnet = yield* Localnet.make(demoLocalnetOptions(base.stateDir))
  const manifest = localnet.manifest
  yield* Effect.logInfo("embedded localnet running", { grpc: manifest.grpcUrl, chain_id: manifest.chainId })
  yield* seedDemo(manifest)
  const local = configForLocalnet(base, manifest)
  const agentRuntime = yield* demoRuntime(base)
  // The demo runs four agents at once (add, and prove / merge / settle of the pipeline): without
  // MAX_CONCURRENT_AGENTS the demo takes 4; a cap the operator set is kept, and below 4 the
  // pipeline part of the demo stays off (said once) rather than starve.
  const capSet = base.explicit.has("MAX_CONCURRENT_AGENTS")
  const pipeline =
    capSet && local.maxConcurrentAgents < DEMO_PIPELINE_AGENTS
      ? yield* Effect.as(
          Effect.logInfo(
            `proving pipeline demo not started: MAX_CONCURRENT_AGENTS=${local.maxConcurrentAgents} is set and the pipeline runs ${DEMO_PIPELINE_AGENTS} agents at once (unset it, or set ${DEMO_PIPELINE_AGENTS} or more)`
          ),
          { instances: [] as Array<string>, extras: [] }
        )
      : yield* demoPipeline(manifest, local.stateDir, agentRuntime)
  const maxConcurrentAgents = pipeline.instances.length > 0 ? Math.max(local.maxConcurrentAgents, DEMO_PIPELINE_AGENTS) : local.maxConcurrentAgents
  const config = { ...local, agentRuntime, maxConcurrentAgents, appInstances: [...local.appInstances, ...pipeline.instances] }
  return yield* coordinator({ extras: [demoJobs(manifest), ...pipeline.extras, progress()] }).pipe(Effect.provideService(Config, config))
})

/** The daemon, holding the STATE_DIR lock first: a second instance refuses before it boots anything. */
/**
 * V8 grows its heap by up to 4x after a burst of allocation (100,000 job events) and keeps the
 * space afterwards; a fixed growing factor bounds it. V8 reads this flag at every heap-limit
 * computation, so setting it at start-up takes effect (the heap *sizes* would not).
 */
const heapGrowth = (percent: number) =>
  Effect.sync(() => {
    if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`)
  })

export const startDaemon = Effect.flatMap(Config, (c) =>
  Effect.scoped(
    // Before anything writes there: the state directory and all it holds are the daemon's alone.
    Effect.zipRight(heapGrowth(c.heapGrowingPercent), Effect.zipRight(privateUmask, secureStateDir(c.stateDir))).pipe(
      Effect.zipRight(acquireStateLock(c.stateDir)),
      Effect.zipRight(preflight(c)),
      Effect.zipRight(Option.isSome(c.suiRpcUrl) ? coordinator() : embedded)
    )
  )
)
