/**
 * start — what `silvana-coordinator start` (and `npm start`) runs: the production daemon when a
 * node is configured (`SUI_RPC_URL`), else the embedded demo: a localnet in this process, a demo
 * app served by the bundled example agent, and a steady flow of demo jobs with a live view.
 */
import * as path from "node:path"
import Docker from "dockerode"
import { Console, Duration, Effect, Option } from "effect"
import { type AgentRuntimeKind } from "../layers/Config.js"
import { dockerAnswers } from "../layers/runtime/dockerImage.js"
import { Localnet } from "../localnet/index.js"
import { Config } from "../layers/Config.js"
import { privateUmask, secureStateDir } from "../layers/StateDir.js"
import { coordinator } from "./coordinator.js"
import { configForLocalnet, DEMO, demoJobs, seedDemo } from "./demo.js"
import { progress } from "./progress.js"

const EMBEDDED_BANNER = [
  "Silvana coordinator — embedded demo (no SUI_RPC_URL set).",
  "A local Sui node runs in this process; demo jobs are created every 2 s and served by the example `add` agent.",
  "To run against a real network set SUI_RPC_URL (e.g. https://fullnode.testnet.sui.io:443), SUI_PRIVATE_KEY,",
  "SILVANA_REGISTRY_PACKAGE and SILVANA_REGISTRY (see README.md and docs/). Ctrl-C stops gracefully."
].join("\n")

/**
 * The demo runs its agent in Docker when an engine answers and has the example image (built
 * offline by scripts/build-agent-image.sh), else as a local process — never a pull that cannot work.
 */
const demoRuntime = (base: { readonly agentRuntime: Option.Option<AgentRuntimeKind> }) =>
  Effect.gen(function* () {
    if (Option.isSome(base.agentRuntime)) return base.agentRuntime
    const docker = new Docker()
    const engine = yield* dockerAnswers(Duration.seconds(2), docker)
    if (!engine) return Option.some<AgentRuntimeKind>("process")
    const image = yield* Effect.tryPromise(() => docker.getImage(DEMO.image).inspect()).pipe(Effect.option)
    if (Option.isNone(image)) {
      yield* Effect.logInfo(`Docker answers but has no ${DEMO.image} image (scripts/build-agent-image.sh builds it); the demo agent runs as a process`)
      return Option.some<AgentRuntimeKind>("process")
    }
    return Option.some<AgentRuntimeKind>("docker")
  })

export const embedded = Effect.gen(function* () {
  const base = yield* Config
  yield* Console.error(EMBEDDED_BANNER)
  const localnet = yield* Localnet.make({
    port: 0,
    checkpointMs: 250,
    stateFile: path.join(base.stateDir, "embedded", "localnet.json")
  })
  const manifest = localnet.manifest
  yield* Effect.logInfo("embedded localnet running", { grpc: manifest.grpcUrl, chain_id: manifest.chainId })
  yield* seedDemo(manifest)
  const config = { ...configForLocalnet(base, manifest), agentRuntime: yield* demoRuntime(base) }
  return yield* coordinator({ extras: [demoJobs(manifest), progress()] }).pipe(Effect.provideService(Config, config))
})

export const startDaemon = Effect.flatMap(Config, (c) =>
  Effect.zipRight(
    // Before anything writes there: the state directory and all it holds are the daemon's alone.
    Effect.zipRight(privateUmask, secureStateDir(c.stateDir)),
    Option.isSome(c.suiRpcUrl) ? coordinator() : Effect.scoped(embedded)
  )
)
