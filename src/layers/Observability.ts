/**
 * Observability — the daemon's logging: one JSON object per line for machines, a compact coloured
 * line on a terminal, at the level `LOG_LEVEL` asks for; plus OpenTelemetry tracing when
 * configured (see Tracing).
 *
 * Each JSON line carries `timestamp`, `level`, `message`, the log annotations as top-level keys
 * (`session_id`, `job_id`, `developer`, `agent`, `agent_method`, `app_instance`, …), structured
 * arguments of the log call merged in as keys, the active spans and the trace/span ids when a span
 * is current. The message is a string, never an array.
 *
 * Secrets: `Redacted` values render as `<redacted>`, any bech32 Sui private key (`suiprivkey1…`)
 * is masked wherever it appears, and the configured secrets themselves (coordinator key, registry
 * password) are masked in every line — a second line of defence should a secret ever reach a log
 * call as a plain string.
 */
import { Cause, Context, Effect, FiberRef, FiberRefs, HashMap, Inspectable, Layer, List, Logger, Option, Redacted, Tracer } from "effect"
import { urlSecrets } from "../domain/redact.js"
import { Config, type CoordinatorConfig } from "./Config.js"
import { Tracing } from "./Tracing.js"

const REDACTED = "<redacted>"
const SUI_PRIVKEY = /suiprivkey1[02-9ac-hj-np-z]{20,}/gi

/** Masks Sui private keys and the given secret strings in `text`. */
export const scrub = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text.replace(SUI_PRIVKEY, REDACTED)
  for (const s of secrets) if (s.length >= 6 && out.includes(s)) out = out.split(s).join(REDACTED)
  return out
}

/** The secret values of a config, for `scrub`. */
export const configSecrets = (c: CoordinatorConfig): ReadonlyArray<string> => [
  ...[c.suiPrivateKey, c.dockerPassword].flatMap((o) => (Option.isSome(o) ? [Redacted.value(o.value)] : [])),
  // credentials and API keys inside the node and collector URLs
  ...[c.suiRpcUrl, c.otelEndpoint].flatMap((o) => (Option.isSome(o) ? urlSecrets(o.value) : []))
]

const toJsonable = (v: unknown): unknown => {
  if (Redacted.isRedacted(v)) return REDACTED
  if (typeof v === "bigint") return v.toString()
  if (v instanceof Error) return v.message
  return Inspectable.toJSON(v)
}

const isPlainRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !Redacted.isRedacted(v) && !(v instanceof Error) &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)

/** Splits a log call's message (a value or an array of values) into a text and structured fields. */
const splitMessage = (message: unknown): { text: string; fields: Record<string, unknown> } => {
  const parts = Array.isArray(message) ? message : [message]
  const texts: Array<string> = []
  const fields: Record<string, unknown> = {}
  for (const p of parts) {
    if (isPlainRecord(p)) {
      for (const [k, v] of Object.entries(p)) fields[k] = toJsonable(v)
    } else if (typeof p === "string") {
      texts.push(p)
    } else {
      const j = toJsonable(p)
      texts.push(typeof j === "string" ? j : JSON.stringify(j))
    }
  }
  return { text: texts.join(" "), fields }
}

/** Everything a line carries, before rendering. */
export interface LogRecord {
  readonly timestamp: string
  readonly level: string
  readonly message: string
  readonly fields: Record<string, unknown>
}

const RESERVED = new Set(["timestamp", "level", "message"])

const buildRecord = (options: Logger.Logger.Options<unknown>): LogRecord => {
  const { text, fields: argFields } = splitMessage(options.message)
  const fields: Record<string, unknown> = {}
  for (const [k, v] of HashMap.toEntries(options.annotations)) fields[k] = toJsonable(v)
  for (const [k, v] of Object.entries(argFields)) fields[k] = v
  const now = options.date.getTime()
  const spans = List.toArray(options.spans)
  if (spans.length > 0) fields["spans"] = Object.fromEntries(spans.map((s) => [s.label, now - s.startTime]))
  const span = Context.getOption(FiberRefs.getOrDefault(options.context, FiberRef.currentContext), Tracer.ParentSpan)
  if (Option.isSome(span)) {
    fields["trace_id"] = span.value.traceId
    fields["span_id"] = span.value.spanId
  }
  if (!Cause.isEmpty(options.cause)) fields["cause"] = Cause.pretty(options.cause, { renderErrorCause: true })
  for (const k of RESERVED) {
    if (k in fields) {
      fields[`field_${k}`] = fields[k]
      delete fields[k]
    }
  }
  return { timestamp: options.date.toISOString(), level: options.logLevel.label, message: text, fields }
}

const safeStringify = (v: unknown) => {
  try {
    return JSON.stringify(v)
  } catch {
    return JSON.stringify(String(v))
  }
}

/** One JSON object per line on stdout. */
export const jsonLogger = (secrets: ReadonlyArray<string>, write: (line: string) => void = (l) => process.stdout.write(l)) =>
  Logger.make<unknown, void>((options) => {
    const r = buildRecord(options)
    write(`${scrub(safeStringify({ timestamp: r.timestamp, level: r.level, message: r.message, ...r.fields }), secrets)}\n`)
  })

const COLORS: Record<string, string> = {
  TRACE: "\x1b[90m",
  DEBUG: "\x1b[36m",
  INFO: "\x1b[32m",
  WARN: "\x1b[33m",
  ERROR: "\x1b[31m",
  FATAL: "\x1b[35m"
}

/** A compact, coloured line for humans at a terminal: `time LEVEL message key=value …`. */
export const prettyLogger = (secrets: ReadonlyArray<string>, write: (line: string) => void = (l) => process.stdout.write(l)) =>
  Logger.make<unknown, void>((options) => {
    const r = buildRecord(options)
    const { cause, ...rest } = r.fields
    const kv = Object.entries(rest)
      .map(([k, v]) => `\x1b[2m${k}=\x1b[0m${typeof v === "string" ? v : safeStringify(v)}`)
      .join(" ")
    const line = `\x1b[2m${r.timestamp.slice(11, 23)}\x1b[0m ${COLORS[r.level] ?? ""}${r.level.padEnd(5)}\x1b[0m ${r.message}${kv ? ` ${kv}` : ""}${cause ? `\n${String(cause)}` : ""}`
    write(`${scrub(line, secrets)}\n`)
  })

export class Observability {
  /** The logger alone: JSON unless stdout is a terminal, level from `LOG_LEVEL`, secrets masked. */
  static readonly logger = Layer.unwrapEffect(
    Effect.map(Config, (c) =>
      Layer.mergeAll(
        Logger.replace(
          Logger.defaultLogger,
          process.stdout.isTTY === true ? prettyLogger(configSecrets(c)) : jsonLogger(configSecrets(c))
        ),
        Logger.minimumLogLevel(c.logLevel)
      )
    )
  )

  /**
   * What the command line installs around every command: the logger, plus OpenTelemetry export
   * when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (nothing otherwise).
   */
  static readonly logging: Layer.Layer<never, never, Config> = Layer.mergeAll(Observability.logger, Tracing.layer)
}
