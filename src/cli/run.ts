/**
 * Runs a command tree as the process's command line, shared by the full CLI (src/main.ts) and the
 * bundled operator entry (operator.ts): failures are reported in one place, one line on stderr.
 *
 * Exit codes: 0 done; 1 the daemon is unhealthy, unreachable, or stopped on an error; 2 a usage
 * error or a start-up failure (bad configuration, address in use, another instance running, …).
 */
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { formatConfigError } from "../layers/config/fields.js"

/**
 * Failures that mean "the daemon could not start, and here is what to change": exit code 2, like a
 * usage error. Each carries a message that names the setting (or the other instance) to look at.
 */
const STARTUP_FAILURES = new Set([
  "AgentApiStartError",
  "HttpApiStartError",
  "SuiClientError",
  "StateDirError",
  "AlreadyRunning",
  "AddressUnavailable",
  "EngineUnavailable",
  "JournalError"
])

const messageOf = (e: unknown): string => {
  if (ConfigError.isConfigError(e)) return formatConfigError(e)
  const m = typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e)
  return m.replace(/\s*\n\s*/g, " ").trim() || (typeof e === "object" && e !== null && "_tag" in e ? String(e._tag) : "unknown error")
}

/** The one place a failed command is reported: one line on stderr, and the exit code. */
const report = (cause: Cause.Cause<unknown>) =>
  Effect.sync(() => {
    if (Cause.isInterruptedOnly(cause)) return
    const failure = Cause.failureOption(cause)
    const error = Option.isSome(failure) ? failure.value : Option.getOrUndefined(Cause.dieOption(cause))
    const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : ""
    const startup = ConfigError.isConfigError(error) || STARTUP_FAILURES.has(tag)
    // A configuration error already reads "invalid configuration: VAR: …".
    const prefix = ConfigError.isConfigError(error) ? "" : startup ? "cannot start: " : "stopped: "
    process.stderr.write(`${prefix}${messageOf(error)}\n`)
    process.exitCode = startup ? 2 : 1
  })

/** The program's root command: `silvana-coordinator` with `subcommands`. */
export const rootCommand = <const Subcommands extends readonly [Command.Command<any, any, any, any>, ...Array<Command.Command<any, any, any, any>>]>(
  subcommands: Subcommands
) =>
  Command.make("silvana-coordinator").pipe(
    Command.withDescription("Silvana coordinator: runs the agents of Silvana apps' jobs on Sui"),
    Command.withSubcommands(subcommands)
  )

/** Runs `root` on `process.argv` until it ends; sets the exit code. */
export const runCli = <Name extends string, E>(root: Command.Command<Name, NodeContext.NodeContext, E, any>): void =>
  Command.run(root, { name: "silvana-coordinator", version: "0.1.0" })(process.argv).pipe(
    // @effect/cli has already printed what was wrong with the arguments: a usage error is exit code 2.
    Effect.catchIf(ValidationError.isValidationError, () => Effect.sync(() => void (process.exitCode = 2))),
    Effect.catchAllCause(report),
    Effect.provide(NodeContext.layer),
    NodeRuntime.runMain({ disablePrettyLogger: true })
  )
