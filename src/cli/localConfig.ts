/**
 * `config` without `--url`: the configuration `start` would use here, read from this environment,
 * with what start-up resolves for unset settings (agent runtime, agent API address) resolved the
 * same way. A bad value is the same one line as at start, exit code 2.
 */
import { ConfigError, Console, Effect, Option } from "effect"
import { Config, coordinatorConfig, formatConfigError } from "../layers/Config.js"
import { defaultTcpHost, resolveAgentRuntime } from "../layers/runtime/dockerImage.js"
import { DEMO } from "../programs/demoApp.js"
import { printConfig } from "./table.js"

export const localConfig = (asJson: boolean) =>
  Effect.gen(function* () {
    const c = yield* coordinatorConfig
    const agentRuntime = Option.isSome(c.agentRuntime)
      ? c.agentRuntime.value
      : (yield* resolveAgentRuntime(Option.isSome(c.suiRpcUrl) ? {} : { requireImage: DEMO.image })).kind
    const grpcTcpAddress = Option.isSome(c.grpcTcpAddress) ? c.grpcTcpAddress.value : { host: yield* defaultTcpHost, port: 50051 }
    yield* printConfig(Config.render(c, { agentRuntime, grpcTcpAddress }), asJson)
  }).pipe(
    Effect.catchIf(ConfigError.isConfigError, (e) =>
      Effect.zipRight(
        Console.error(formatConfigError(e)),
        Effect.sync(() => {
          process.exitCode = 2
        })
      )
    )
  )
