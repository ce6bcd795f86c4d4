/**
 * The AgentRuntime layer: chooses the implementation from Config `agentRuntime` — `docker` (a
 * missing engine is a start-up error), `process`, or unset: docker when an engine answers `/_ping`,
 * else process. The process runtime's command map comes from `AGENT_PROCESS_COMMANDS` (see
 * process.ts). Imports point one way: this module → docker/process → ../AgentRuntime.
 */
import { Duration, Effect, Layer, Option } from "effect"
import { defaultRuntimeOptions } from "../AgentRuntime.js"
import { Config } from "../Config.js"
import { dockerLayer } from "./docker.js"
import { dockerAnswers } from "./dockerImage.js"
import { processCommandsConfig, processLayer } from "./process.js"

export const agentRuntimeLayer = Layer.unwrapScoped(
  Effect.gen(function* () {
    const config = yield* Config
    const commands = yield* processCommandsConfig
    const docker = () =>
      dockerLayer({
        ...defaultRuntimeOptions,
        credentials: Option.map(config.dockerUsername, (username) => ({
          username,
          password: config.dockerPassword
        })),
        user: Option.getOrUndefined(config.agentContainerUser),
        readOnlyRootfs: config.agentReadOnlyRootfs
      })
    const proc = () => processLayer({ ...defaultRuntimeOptions, stateDir: config.stateDir, commands, runAsUid: config.agentProcessUser })
    if (Option.isSome(config.agentRuntime)) {
      return config.agentRuntime.value === "docker" ? docker() : proc()
    }
    const answers = yield* dockerAnswers(Duration.seconds(2))
    yield* Effect.logInfo(`agent runtime: ${answers ? "docker (engine answered /_ping)" : "process (no Docker engine answered)"}`)
    return answers ? docker() : proc()
  })
)
