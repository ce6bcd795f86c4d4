/**
 * Secrets — the agents' secrets, in one encrypted file under STATE_DIR (`secrets.json`, 0600),
 * answered to RetrieveSecret and managed by the operator's `secrets set|list|delete`.
 *
 * A secret is stored under a scope `(developer, agent, app?, app_instance?, name)`. Resolution for
 * a job follows the deployed coordinator: a name beginning `sk_` (a private key) lives at the
 * developer/agent level only; any other name is looked up most specific first — the job's
 * (app, app_instance), then its app alone, then the developer/agent level — the order the deployed
 * one tries scopes in when it gathers an agent's secrets. Only the job's own developer and agent
 * are ever looked at.
 *
 * Each value is sealed with AES-256-GCM under `SECRETS_KEY`, with its scope as associated data, so
 * a value moved to another scope in the file no longer opens. The file carries a check value of
 * the key, so a wrong key is told apart from a damaged entry. Scopes and names are not secret
 * (`list` shows them); values never leave this module but as RetrieveSecret's answer.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Clock, Context, Data, Effect, Layer, Option, Redacted } from "effect"
import { decodeKey32 } from "./config/fields.js"
import { Config } from "./Config.js"

/** Where a secret lives; `app` / `appInstance` absent = the wider level. */
export interface SecretScope {
  readonly developer: string
  readonly agent: string
  readonly app?: string | undefined
  readonly appInstance?: string | undefined
  readonly name: string
}

/** What `list` shows of a secret: never its value. */
export interface SecretListing extends SecretScope {
  readonly createdAt: number
  readonly updatedAt: number
}

/** The job a secret is asked for. */
export interface JobScope {
  readonly developer: string
  readonly agent: string
  readonly app: string
  readonly appInstance: string
}

export class SecretsError extends Data.TaggedError("SecretsError")<{
  readonly reason: "NotConfigured" | "WrongKey" | "Corrupt" | "Io"
  readonly message: string
}> {}

export interface SecretsService {
  /** The value for `name` in the job's scope, with the scope it was found at. */
  readonly retrieve: (job: JobScope, name: string) => Effect.Effect<Option.Option<{ readonly value: string; readonly scope: SecretScope }>, SecretsError>
  readonly set: (scope: SecretScope, value: string) => Effect.Effect<void, SecretsError>
  readonly list: Effect.Effect<ReadonlyArray<SecretListing>, SecretsError>
  /** Whether a secret was there to delete. */
  readonly remove: (scope: SecretScope) => Effect.Effect<boolean, SecretsError>
}

interface StoredEntry extends SecretListing {
  readonly iv: string
  readonly tag: string
  readonly data: string
}
interface StoredFile {
  readonly version: 1
  readonly keyCheck: string
  readonly entries: ReadonlyArray<StoredEntry>
}

export const SECRETS_FILE = "secrets.json"

/** The scopes tried for a job, most specific first. */
export const resolutionOrder = (job: JobScope, name: string): ReadonlyArray<SecretScope> => {
  const base = { developer: job.developer, agent: job.agent, name }
  if (name.startsWith("sk_")) return [base]
  return [{ ...base, app: job.app, appInstance: job.appInstance }, { ...base, app: job.app }, base]
}

const scopeKey = (s: SecretScope) => JSON.stringify([s.developer, s.agent, s.app ?? null, s.appInstance ?? null, s.name])
const sameScope = (a: SecretScope, b: SecretScope) => scopeKey(a) === scopeKey(b)
const keyCheckOf = (key: Uint8Array) => createHmac("sha256", key).update("silvana secrets key check").digest("hex")

const seal = (key: Uint8Array, scope: SecretScope, value: string) => {
  const iv = randomBytes(12)
  const c = createCipheriv("aes-256-gcm", key, iv)
  c.setAAD(Buffer.from(scopeKey(scope)))
  const data = Buffer.concat([c.update(value, "utf8"), c.final()])
  return { iv: iv.toString("base64"), tag: c.getAuthTag().toString("base64"), data: data.toString("base64") }
}

const open = (key: Uint8Array, e: StoredEntry): string | undefined => {
  try {
    const d = createDecipheriv("aes-256-gcm", key, Buffer.from(e.iv, "base64"))
    d.setAAD(Buffer.from(scopeKey(e)))
    d.setAuthTag(Buffer.from(e.tag, "base64"))
    return Buffer.concat([d.update(Buffer.from(e.data, "base64")), d.final()]).toString("utf8")
  } catch {
    return undefined
  }
}

const listing = (e: StoredEntry): SecretListing => ({
  developer: e.developer,
  agent: e.agent,
  ...(e.app === undefined || e.app === null ? {} : { app: e.app }),
  ...(e.appInstance === undefined || e.appInstance === null ? {} : { appInstance: e.appInstance }),
  name: e.name,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt
})

/** The store in `dir` under `key` (32 bytes). The file is read on every call: the CLI may change it. */
export const makeSecretsStore = (dir: string, key: Uint8Array): SecretsService => {
  const file = path.join(dir, SECRETS_FILE)
  const keyCheck = keyCheckOf(key)
  const io = (what: string) => (e: unknown) => new SecretsError({ reason: "Io", message: `${what} ${file}: ${(e as Error).message}` })

  const read = Effect.try({
    try: (): StoredFile | undefined => {
      let text: string
      try {
        text = fs.readFileSync(file, "utf8")
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
        throw e
      }
      return JSON.parse(text) as StoredFile
    },
    catch: io("reading")
  }).pipe(
    Effect.filterOrFail(
      (f) => f === undefined || f.keyCheck === keyCheck,
      () => new SecretsError({ reason: "WrongKey", message: `${file} was written with another SECRETS_KEY` })
    )
  )

  // Written whole to a 0600 temporary file, fsynced, renamed over the old one: never half a file.
  const write = (f: StoredFile) =>
    Effect.try({
      try: () => {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
        const tmp = `${file}.${process.pid}.tmp`
        const fd = fs.openSync(tmp, "w", 0o600)
        try {
          fs.writeFileSync(fd, JSON.stringify(f, null, 1))
          fs.fsyncSync(fd)
        } finally {
          fs.closeSync(fd)
        }
        fs.renameSync(tmp, file)
      },
      catch: io("writing")
    })

  const entries = Effect.map(read, (f) => f?.entries ?? [])

  return {
    retrieve: (job, name) =>
      Effect.flatMap(entries, (all) => {
        for (const scope of resolutionOrder(job, name)) {
          const e = all.find((x) => sameScope(x, scope))
          if (e === undefined) continue
          const value = open(key, e)
          if (value === undefined) {
            return Effect.fail(new SecretsError({ reason: "Corrupt", message: `the stored secret ${JSON.stringify(name)} does not open with this key (damaged entry)` }))
          }
          return Effect.succeed(Option.some({ value, scope }))
        }
        return Effect.succeed(Option.none())
      }),
    set: (scope, value) =>
      Effect.gen(function* () {
        const all = yield* entries
        const now = yield* Clock.currentTimeMillis
        const old = all.find((x) => sameScope(x, scope))
        const entry: StoredEntry = {
          developer: scope.developer,
          agent: scope.agent,
          ...(scope.app === undefined ? {} : { app: scope.app }),
          ...(scope.appInstance === undefined ? {} : { appInstance: scope.appInstance }),
          name: scope.name,
          createdAt: old?.createdAt ?? now,
          updatedAt: now,
          ...seal(key, scope, value)
        }
        yield* write({ version: 1, keyCheck, entries: [...all.filter((x) => !sameScope(x, scope)), entry] })
      }),
    list: Effect.map(entries, (all) => all.map(listing)),
    remove: (scope) =>
      Effect.gen(function* () {
        const all = yield* entries
        const rest = all.filter((x) => !sameScope(x, scope))
        if (rest.length === all.length) return false
        yield* write({ version: 1, keyCheck, entries: rest })
        return true
      })
  }
}

/** A store that answers every call with "not configured" (no SECRETS_KEY). */
export const unconfigured: SecretsService = (() => {
  const no = Effect.fail(new SecretsError({ reason: "NotConfigured", message: "this coordinator has no secrets store (SECRETS_KEY is not set)" }))
  return { retrieve: () => no, set: () => no, list: no, remove: () => no }
})()

/** The key of a `SECRETS_KEY` setting, `None` when unset. */
export const keyOf = (k: Option.Option<Redacted.Redacted<string>>): Option.Option<Uint8Array> =>
  Option.flatMap(k, (r) => Option.fromNullable(decodeKey32(Redacted.value(r))))

/** The agents' secrets. */
export class Secrets extends Context.Tag("silvana/Secrets")<Secrets, SecretsService>() {
  /** `STATE_DIR/secrets.json` under `SECRETS_KEY`; without a key, every call says it is not configured. */
  static readonly layer = Layer.effect(
    Secrets,
    Effect.map(Config, (c) => Option.match(keyOf(c.secretsKey), { onNone: () => unconfigured, onSome: (key) => makeSecretsStore(c.stateDir, key) }))
  )
  static readonly layerWith = (dir: string, key: Uint8Array) => Layer.succeed(Secrets, makeSecretsStore(dir, key))
}
