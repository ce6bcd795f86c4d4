/**
 * `start`: the command's definition only. The daemon (every service, SQLite, gRPC, Docker) is
 * imported when the command runs, so that the other commands never load it.
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"

export const startCommand = Command.make("start", {}, () =>
  Effect.flatMap(
    Effect.promise(() => import("./daemon.js")),
    (daemon) => daemon.runDaemon
  )
).pipe(Command.withDescription("Run the coordinator daemon (see `config --help` for its settings)"))
