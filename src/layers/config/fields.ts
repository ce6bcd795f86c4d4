/**
 * The building blocks of Config: strict parsers for one environment variable's text (unnamed
 * `Config`s, named by `setting`), the `Setting` record each variable is declared with (its config,
 * its description, what an unset variable means), and the renderers of values, errors and help.
 *
 * Strict on purpose: `Config.integer` reads with `Number()`, which accepts `0x10`, `1e3` and ` 5`;
 * an operator who typed one of those meant something else, so a count is decimal digits only.
 * Every failure message names what was expected and echoes what was given, except for secrets,
 * which only say what is wrong ("empty"), never the value.
 */
import * as fs from "node:fs"
import * as nodePath from "node:path"
import * as C from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Either from "effect/Either"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { AppInstanceIdFromString, SuiAddressFromString } from "../../domain/ids.js"

const decodeAppInstance = Schema.decodeEither(AppInstanceIdFromString)
const decodeSuiAddress = Schema.decodeEither(SuiAddressFromString)

export interface HostPort {
  readonly host: string
  readonly port: number
}

/** Failure of a parser; the variable's name is added by `Config.nested`. */
const invalid = (message: string) => ConfigError.InvalidData([], message)
const shown = (raw: string) => JSON.stringify(raw)

/** Decimal digits only, from `min` (1 by default) to `max`: a count, a size, a number of seconds. */
export const digits = (min = 1, max = Number.MAX_SAFE_INTEGER): C.Config<number> => {
  const expected =
    max < Number.MAX_SAFE_INTEGER ? `an integer from ${min} to ${max}` : min === 1 ? "a positive integer" : `an integer of at least ${min}`
  return C.string().pipe(
    C.mapOrFail((raw) =>
      /^[0-9]{1,16}$/.test(raw) && Number(raw) >= min && Number(raw) <= max
        ? Either.right(Number(raw))
        : Either.left(invalid(`expected ${expected}, got ${shown(raw)}`))
    )
  )
}

/** `true`/`false` (also 1/0, yes/no, on/off; any case). */
export const flag: C.Config<boolean> = C.string().pipe(
  C.mapOrFail((raw) => {
    const v = raw.toLowerCase()
    if (["1", "true", "yes", "on"].includes(v)) return Either.right(true)
    if (["0", "false", "no", "off"].includes(v)) return Either.right(false)
    return Either.left(invalid(`expected true or false, got ${shown(raw)}`))
  })
)

/** One of a fixed set of words (case-insensitive). */
export const oneOf = <const A extends string>(...words: ReadonlyArray<A>): C.Config<A> =>
  C.string().pipe(
    C.mapOrFail((raw) => {
      const v = raw.trim().toLowerCase()
      const found = words.find((w) => w === v)
      return found !== undefined ? Either.right(found) : Either.left(invalid(`expected ${words.join(" or ")}, got ${shown(raw)}`))
    })
  )

/** Any text but an empty (or blank) one, trimmed. */
export const text: C.Config<string> = C.string().pipe(
  C.mapOrFail((raw) => (raw.trim() === "" ? Either.left(invalid("empty")) : Either.right(raw.trim())))
)

/** A secret: never echoed, in an error or anywhere else; an empty one says so. */
export const secret: C.Config<Redacted.Redacted<string>> = C.redacted().pipe(
  C.mapOrFail((r) => (Redacted.value(r).trim() === "" ? Either.left(invalid("empty")) : Either.right(r)))
)

/** Decodes a 32-byte key written as 64 hex digits or base64; `undefined` when it is neither. */
export const decodeKey32 = (raw: string): Uint8Array | undefined => {
  const v = raw.trim()
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, "hex")
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) {
    const b = Buffer.from(v.replace(/-/g, "+").replace(/_/g, "/"), "base64")
    return b.length === 32 ? b : undefined
  }
  return undefined
}

/** A secret 32-byte key (64 hex digits or base64); a bad one is described, never echoed. */
export const secretKey32: C.Config<Redacted.Redacted<string>> = secret.pipe(
  C.mapOrFail((r) =>
    decodeKey32(Redacted.value(r)) === undefined
      ? Either.left(invalid("expected a 32-byte key as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)"))
      : Either.right(r)
  )
)

/** Parses `host:port`, `[v6]:port` or `:port` (loopback). */
export const parseHostPort = (raw: string): Either.Either<HostPort, string> => {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(raw.trim())
  if (!m) return Either.left(`expected host:port, got ${shown(raw)}`)
  const port = Number(m[3])
  if (port > 65535) return Either.left(`port out of range in ${shown(raw)}`)
  const host = m[1] ?? (m[2] === "" ? "127.0.0.1" : m[2]!)
  return Either.right({ host, port })
}

export const hostPort: C.Config<HostPort> = C.string().pipe(C.mapOrFail((raw) => Either.mapLeft(parseHostPort(raw), invalid)))

/** A Sui address or object id, decoded by `SuiAddressFromString` (0x + 64 lower-case hex digits). */
export const suiAddress: C.Config<string> = C.string().pipe(
  C.mapOrFail((raw) =>
    Either.mapLeft(decodeSuiAddress(raw.trim()), () => invalid(`expected a Sui address (0x + up to 64 hex digits), got ${shown(raw)}`))
  )
)

/** Comma-separated app instance ids, each decoded by `AppInstanceIdFromString` (the 0x is optional), as `0x` + 64 hex. */
export const objectIds: C.Config<ReadonlyArray<string>> = C.string().pipe(
  C.mapOrFail((raw) => {
    const ids = raw.split(",").map((x) => x.trim()).filter((x) => x !== "")
    const decoded = ids.map((x) => [x, decodeAppInstance(x)] as const)
    const bad = decoded.find(([, d]) => Either.isLeft(d))
    return bad !== undefined
      ? Either.left(invalid(`expected comma-separated object ids, got ${shown(bad[0].toLowerCase())}`))
      : Either.right(decoded.map(([, d]) => `0x${Either.getOrThrow(d)}`))
  })
)

/** Comma-separated host names (lower-cased), e.g. the names an HTTP listener answers to. */
export const hostNames: C.Config<ReadonlyArray<string>> = C.string().pipe(
  C.mapOrFail((raw) => {
    const names = raw.split(",").map((x) => x.trim().toLowerCase()).filter((x) => x !== "")
    const bad = names.find((x) => !/^[a-z0-9.-]+$/.test(x))
    return bad !== undefined
      ? Either.left(invalid(`expected comma-separated host names, got ${shown(bad)}`))
      : Either.right(names)
  })
)

/** An http(s) URL, without trailing slashes. */
export const httpUrl: C.Config<string> = C.string().pipe(
  C.mapOrFail((raw) => {
    const v = raw.trim()
    const ok = URL.canParse(v) && ["http:", "https:"].includes(new URL(v).protocol)
    return ok ? Either.right(v.replace(/\/+$/, "")) : Either.left(invalid(`expected an http(s) URL, got ${shown(raw)}`))
  })
)

export const logLevel: C.Config<LogLevel.LogLevel> = C.string().pipe(
  C.mapOrFail((raw) => {
    const v = raw.trim().toLowerCase()
    const found = LogLevel.allLevels.find((l) => l.label.toLowerCase() === v || (v === "warn" && l._tag === "Warning"))
    return found
      ? Either.right(found)
      : Either.left(invalid(`expected one of trace, debug, info, warn, error, fatal, none; got ${shown(raw)}`))
  })
)

/** A Unix socket path: the kernel takes at most 107 bytes (108 with the terminating NUL). */
export const socketPath: C.Config<string> = text.pipe(
  C.validate({
    message: "longer than the 107 bytes a Unix socket path may have; choose a shorter path",
    validation: (p) => Buffer.byteLength(p) <= 107
  })
)

/** GRPC_MAX_MESSAGE_BYTES may not exceed this: one request cannot make the daemon hold more. */
export const MAX_MESSAGE_BYTES_CAP = 64 * 1024 * 1024

/** `0.0.0.0`, `::` and their spellings: every interface of the machine. */
export const isAllInterfaces = (host: string): boolean => {
  const h = host.trim().toLowerCase()
  return h === "" || h === "0.0.0.0" || h === "::" || h === "0:0:0:0:0:0:0:0" || h === "::0" || h === "*"
}

const PSEUDO_ROOTS = ["/proc", "/sys", "/dev"] as const

/**
 * The pseudo-filesystem (`/proc`, `/sys`, `/dev`) a directory would live on, following symlinks
 * of the part that exists; `undefined` for an ordinary path.
 */
export const pseudoFilesystem = (dir: string): string | undefined => {
  let existing = nodePath.resolve(dir)
  let rest = ""
  for (;;) {
    try {
      existing = nodePath.join(fs.realpathSync(existing), rest)
      break
    } catch {
      const parent = nodePath.dirname(existing)
      if (parent === existing) break
      rest = nodePath.join(nodePath.basename(existing), rest)
      existing = parent
    }
  }
  return PSEUDO_ROOTS.find((root) => existing === root || existing.startsWith(`${root}/`))
}

/** A directory for durable state: not on a pseudo-filesystem, where writes never persist. */
export const stateDir: C.Config<string> = text.pipe(
  C.mapOrFail((dir) => {
    const pseudo = pseudoFilesystem(dir)
    return pseudo === undefined
      ? Either.right(dir)
      : Either.left(invalid(`${dir} is on ${pseudo}, not a real filesystem; choose a directory on disk`))
  })
)

// ---- settings ------------------------------------------------------------------------------

/** One environment variable: how it is read, what it is for, and what leaving it unset means. */
export interface Setting<A> {
  readonly name: string
  readonly description: string
  /** What an unset variable means, as shown in `config --help`. */
  readonly unset: string
  readonly config: C.Config<A>
}

/** A variable with a default value. */
export const withDefault = <A>(name: string, parse: C.Config<A>, value: A, description: string, unset = String(value)): Setting<A> => ({
  name,
  description,
  unset,
  config: C.nested(parse, name).pipe(C.withDefault(value), C.withDescription(description))
})

/** A variable that may be left unset (`None`); `unset` says what happens then. */
export const optional = <A>(name: string, parse: C.Config<A>, description: string, unset: string): Setting<Option.Option<A>> => ({
  name,
  description,
  unset,
  config: C.option(C.nested(parse, name)).pipe(C.withDescription(description))
})

type ConfigsOf<S> = { readonly [K in keyof S]: S[K] extends Setting<infer A> ? C.Config<A> : never }

/** The record of configs of a record of settings, for `Config.all`. */
export const configsOf = <S extends Record<string, Setting<unknown>>>(settings: S): ConfigsOf<S> =>
  Object.fromEntries(Object.entries(settings).map(([k, s]) => [k, s.config])) as ConfigsOf<S>

// ---- rendering ------------------------------------------------------------------------------

export type Shown = string | number | boolean | null

const isHostPort = (v: unknown): v is HostPort =>
  typeof v === "object" && v !== null && "host" in v && "port" in v && Object.keys(v).length === 2

/** A value as `config` prints it: secrets `<redacted>`, `None` as null, addresses as host:port. */
export const showValue = (v: unknown): Shown => {
  if (Option.isOption(v)) return Option.isSome(v) ? showValue(v.value) : null
  if (Redacted.isRedacted(v)) return "<redacted>"
  const level = LogLevel.allLevels.find((l) => l === v)
  if (level !== undefined) return level.label
  if (Array.isArray(v)) return v.map((x) => String(showValue(x))).join(",")
  if (isHostPort(v)) return `${v.host}:${v.port}`
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v
  return v === undefined ? null : String(v)
}

/**
 * Renders a config failure as the one line start-up prints (`VAR: what is wrong`). Of two
 * alternatives (`SUI_PRIVATE_KEY`, else `SUI_SECRET_KEY`) only the one that was given is named.
 */
export const formatConfigError = (error: ConfigError.ConfigError): string => {
  const lines: Array<string> = []
  const walk = (e: ConfigError.ConfigError): void => {
    switch (e._op) {
      case "Or":
        if (ConfigError.isMissingDataOnly(e.left) !== ConfigError.isMissingDataOnly(e.right)) {
          return walk(ConfigError.isMissingDataOnly(e.left) ? e.right : e.left)
        }
        walk(e.left)
        walk(e.right)
        return
      case "And":
        walk(e.left)
        walk(e.right)
        return
      case "InvalidData":
      case "MissingData":
      case "SourceUnavailable":
      case "Unsupported":
        lines.push(`${e.path.join(".")}: ${e.message}`)
        return
    }
  }
  walk(error)
  return `invalid configuration: ${[...new Set(lines)].join("; ")}`
}
