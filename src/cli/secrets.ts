/**
 * `secrets set|list|delete`: the operator's commands over the agents' secrets store
 * (`STATE_DIR/secrets.json`, encrypted under `SECRETS_KEY`; see layers/Secrets.ts). A value is
 * read from stdin or from `--file`, never from the command line (it would sit in the shell's
 * history and in `ps`), and is never printed: `list` shows scopes and names only.
 *
 * The command tree only; the store is imported when a command runs. Exit codes: 0 done, 1 nothing
 * to delete, 2 a usage or configuration error (one line on stderr).
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"

const scope = {
  developer: Options.text("developer").pipe(Options.withDescription("The agent's developer")),
  agent: Options.text("agent").pipe(Options.withDescription("The agent")),
  app: Options.text("app").pipe(Options.withDescription("Only for jobs of this app"), Options.optional),
  appInstance: Options.text("app-instance").pipe(Options.withDescription("Only for jobs of this app instance (object id); needs --app"), Options.optional),
  name: Options.text("name").pipe(Options.withDescription("The secret's name (names beginning sk_ live at the developer/agent level only)"))
}

const run = <A>(f: (m: typeof import("./secretsRun.js")) => Effect.Effect<A>) =>
  Effect.flatMap(
    Effect.promise(() => import("./secretsRun.js")),
    f
  )

const setCommand = Command.make(
  "set",
  { ...scope, file: Options.file("file", { exists: "yes" }).pipe(Options.withDescription("Read the value from this file instead of stdin"), Options.optional) },
  (o) => run((m) => m.setSecret(o))
).pipe(Command.withDescription("Store a secret; its value is read from stdin (or --file), one trailing newline dropped"))

const listCommand = Command.make(
  "list",
  { json: Options.boolean("json").pipe(Options.withDescription("Print JSON instead of a table")) },
  (o) => run((m) => m.listSecrets(o.json))
).pipe(Command.withDescription("List the stored secrets' scopes and names (never their values)"))

const deleteCommand = Command.make("delete", scope, (o) => run((m) => m.deleteSecret(o))).pipe(
  Command.withDescription("Delete one secret (exit 1 when there was none)")
)

export const secretsCommand = Command.make("secrets").pipe(
  Command.withDescription("Manage the secrets agents read with RetrieveSecret (needs SECRETS_KEY)"),
  Command.withSubcommands([setCommand, listCommand, deleteCommand])
)
