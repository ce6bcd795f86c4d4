/**
 * What `secrets set|list|delete` do (src/cli/secrets.ts has the command tree): open the store of
 * this environment's STATE_DIR under its SECRETS_KEY, then change or list it. A bad or missing
 * setting is one line and exit code 2, as at start.
 */
import * as fs from "node:fs"
import { ConfigError, Console, Effect, Either, Option, Schema } from "effect"
import * as C from "effect/Config"
import { AppInstanceIdFromString } from "../domain/ids.js"
import { formatConfigError } from "../layers/config/fields.js"
import { settings } from "../layers/Config.js"
import { keyOf, makeSecretsStore, type SecretScope, type SecretsError, type SecretsService } from "../layers/Secrets.js"
import { table } from "./table.js"

interface ScopeFlags {
  readonly developer: string
  readonly agent: string
  readonly app: Option.Option<string>
  readonly appInstance: Option.Option<string>
  readonly name: string
}

class Usage extends Error {}

const exit = (code: number) =>
  Effect.sync(() => {
    process.exitCode = code
  })

/** An object id as agents see it: 0x + 64 lower-case hex digits. */
const decodeAppInstance = Schema.decodeEither(AppInstanceIdFromString)

/** `--app-instance`, decoded by `AppInstanceIdFromString`, in the `0x` form the secrets store keys by. */
const objectId = (raw: string) =>
  Either.match(decodeAppInstance(raw.trim()), {
    onLeft: () => {
      throw new Usage(`--app-instance: expected an object id (0x + hex digits), got ${JSON.stringify(raw)}`)
    },
    onRight: (id) => `0x${id}`
  })

const toScope = (o: ScopeFlags): SecretScope => {
  for (const [flag, v] of [["--developer", o.developer], ["--agent", o.agent], ["--name", o.name]] as const) {
    if (v.trim() === "") throw new Usage(`${flag} must not be empty`)
  }
  if (Option.isSome(o.appInstance) && Option.isNone(o.app)) throw new Usage("--app-instance needs --app (a secret of an app instance is also of its app)")
  if (o.name.startsWith("sk_") && (Option.isSome(o.app) || Option.isSome(o.appInstance))) {
    throw new Usage("names beginning sk_ are looked up at the developer/agent level only: drop --app / --app-instance")
  }
  return {
    developer: o.developer,
    agent: o.agent,
    ...(Option.isSome(o.app) ? { app: o.app.value } : {}),
    ...(Option.isSome(o.appInstance) ? { appInstance: objectId(o.appInstance.value) } : {}),
    name: o.name
  }
}

/** The store this environment configures. */
const store = Effect.gen(function* () {
  const { dir, key } = yield* C.all({ dir: settings.stateDir.config, key: settings.secretsKey.config })
  const k = keyOf(key)
  if (Option.isNone(k)) return yield* Effect.fail(new Usage("SECRETS_KEY: not set (the key the secrets store is encrypted with, e.g. `openssl rand -hex 32`)"))
  return makeSecretsStore(dir, k.value)
})

/** Runs a command: usage and config errors are exit 2, store errors exit 1; one line on stderr each. */
const guard = (f: (s: SecretsService) => Effect.Effect<void, SecretsError | Usage>) =>
  Effect.flatMap(store, f).pipe(
    Effect.catchIf(ConfigError.isConfigError, (e) => Effect.zipRight(Console.error(formatConfigError(e)), exit(2))),
    Effect.catchAll((e: SecretsError | Usage) => Effect.zipRight(Console.error(e.message), exit(e instanceof Usage ? 2 : 1)))
  )

const readValue = (file: Option.Option<string>) =>
  Effect.try({
    try: () => {
      const raw = fs.readFileSync(Option.isSome(file) ? file.value : 0, "utf8")
      const value = raw.replace(/\r?\n$/, "")
      if (value === "") throw new Usage("the secret's value is empty (it is read from stdin, or from --file)")
      return value
    },
    catch: (e) => (e instanceof Usage ? e : new Usage(`cannot read the secret's value: ${(e as Error).message}`))
  })

export const setSecret = (o: ScopeFlags & { readonly file: Option.Option<string> }) =>
  guard((s) =>
    Effect.gen(function* () {
      const scope = yield* Effect.try({ try: () => toScope(o), catch: (e) => e as Usage })
      if (Option.isNone(o.file) && process.stdin.isTTY) yield* Console.error("reading the value from stdin; end it with Ctrl-D")
      const value = yield* readValue(o.file)
      yield* s.set(scope, value)
      yield* Console.log(`stored ${describe(scope)} (${Buffer.byteLength(value)} bytes)`)
    })
  )

export const deleteSecret = (o: ScopeFlags) =>
  guard((s) =>
    Effect.gen(function* () {
      const scope = yield* Effect.try({ try: () => toScope(o), catch: (e) => e as Usage })
      const removed = yield* s.remove(scope)
      if (removed) return yield* Console.log(`deleted ${describe(scope)}`)
      yield* Console.error(`no secret ${describe(scope)}`)
      yield* exit(1)
    })
  )

export const listSecrets = (json: boolean) =>
  guard((s) =>
    Effect.gen(function* () {
      const all = yield* s.list
      if (json) return yield* Console.log(JSON.stringify(all, null, 2))
      yield* Console.log(
        table(
          ["DEVELOPER", "AGENT", "APP", "APP_INSTANCE", "NAME", "UPDATED"],
          all.map((e) => [e.developer, e.agent, e.app ?? "*", e.appInstance ?? "*", e.name, new Date(e.updatedAt).toISOString()])
        )
      )
      yield* Console.log(`${all.length} secret${all.length === 1 ? "" : "s"}`)
    })
  )

const describe = (s: SecretScope) =>
  `${JSON.stringify(s.name)} of ${s.developer}/${s.agent}${s.app === undefined ? "" : ` app ${s.app}`}${s.appInstance === undefined ? "" : ` instance ${s.appInstance}`}`
