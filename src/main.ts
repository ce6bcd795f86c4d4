#!/usr/bin/env node
/**
 * silvana-coordinator — the command line: `start` runs the daemon, `config` prints the effective
 * configuration (secrets redacted). A configuration error is one line on stderr and exit code 2.
 */
import { Command, ValidationError } from "@effect/cli"
import { agentsCommand, configCommand, jobsCommand, statusCommand } from "./cli/commands.js"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { ConfigError, Console, Effect, Layer } from "effect"
import { Config, formatConfigError } from "./layers/Config.js"
import { Observability } from "./layers/Observability.js"
import { localnetCommand } from "./localnet/cli.js"
import { startDaemon } from "./programs/start.js"
import { ignoreRepeatedStopSignals } from "./signals.js"

const withConfig = <A, E, R>(program: Effect.Effect<A, E, R | Config>) =>
  program.pipe(
    Effect.provide(Layer.provideMerge(Observability.logging, Config.layer)),
    Effect.catchIf(ConfigError.isConfigError, (e) =>
      Effect.zipRight(
        Console.error(formatConfigError(e)),
        Effect.sync(() => {
          process.exitCode = 2
        })
      )
    )
  )

const start = Command.make("start", {}, () => withConfig(startDaemon)).pipe(
  Command.withDescription("Run the coordinator daemon")
)

const root = Command.make("silvana-coordinator").pipe(
  Command.withDescription("Silvana coordinator: runs the agents of Silvana apps' jobs on Sui"),
  Command.withSubcommands([start, configCommand, localnetCommand, statusCommand, jobsCommand, agentsCommand])
)

const cli = Command.run(root, { name: "silvana-coordinator", version: "0.1.0" })

ignoreRepeatedStopSignals()
cli(process.argv).pipe(
  // @effect/cli has already printed what was wrong with the arguments: a usage error is exit code 2.
  Effect.catchIf(ValidationError.isValidationError, () => Effect.sync(() => void (process.exitCode = 2))),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
