/**
 * The operator commands' view of a running daemon: requests to its HTTP endpoint, with the two ways
 * that can go wrong kept apart (nobody answers / the daemon answered with an error).
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { parseHostPort } from "../layers/config/fields.js"
import { readApiToken } from "../layers/apiToken.js"

/** Nothing answered at the URL (connection refused, timeout, DNS). */
export class DaemonUnreachable extends Data.TaggedError("DaemonUnreachable")<{ readonly url: string; readonly reason: string }> {
  override get message() {
    return `cannot reach the coordinator at ${this.url}: ${this.reason} (is it running? is HTTP_ADDRESS or --url right?)`
  }
}

/** The daemon answered with a status other than 2xx (503 from /health is not an error: see `getHealth`). */
export class DaemonError extends Data.TaggedError("DaemonError")<{ readonly url: string; readonly status: number; readonly body: string }> {
  override get message() {
    return `the coordinator at ${this.url} answered ${this.status}: ${this.body.slice(0, 500)}`
  }
}

/** The `--url` was not a usable http URL, or HTTP_ADDRESS is malformed: a usage error. */
export class BadUrl extends Data.TaggedError("BadUrl")<{ readonly message: string }> {}

/** The daemon's base URL: `--url` when given, else from `HTTP_ADDRESS` (default 127.0.0.1:8080). */
export const resolveUrl = (flag: Option.Option<string>, env: NodeJS.ProcessEnv = process.env): Either.Either<string, BadUrl> => {
  if (Option.isSome(flag)) {
    try {
      const u = new URL(flag.value)
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)")
      return Either.right(flag.value.replace(/\/+$/, ""))
    } catch {
      return Either.left(new BadUrl({ message: `--url: expected an http(s) URL, got ${JSON.stringify(flag.value)}` }))
    }
  }
  const raw = env["HTTP_ADDRESS"]
  if (raw === undefined || raw.trim() === "") return Either.right("http://127.0.0.1:8080")
  return Either.match(parseHostPort(raw), {
    onLeft: (msg) => Either.left(new BadUrl({ message: `HTTP_ADDRESS: ${msg}` })),
    onRight: ({ host, port }) => {
      // A daemon bound to all interfaces is reached on loopback.
      const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host
      return Either.right(`http://${h.includes(":") ? `[${h}]` : h}:${port}`)
    }
  })
}

/** A request to `path` with the daemon's token, its JSON answer parsed; `accept` lists the statuses that carry a normal answer. */
const requestJson = <A>(base: string, path: string, accept: ReadonlyArray<number>, init: { readonly method: "GET" | "POST"; readonly body?: unknown; readonly timeoutMs: number }) =>
  Effect.gen(function* () {
    const url = `${base}${path}`
    const res = yield* Effect.tryPromise({
      try: (signal) =>
        fetch(url, {
          method: init.method,
          signal: AbortSignal.any([signal, AbortSignal.timeout(init.timeoutMs)]),
          headers: {
            // `/v1/*` needs the daemon's token: SILVANA_API_TOKEN, else STATE_DIR/api-token.
            ...Option.match(readApiToken(), { onNone: () => ({}), onSome: (t) => ({ authorization: `Bearer ${t}` }) }),
            ...(init.body === undefined ? {} : { "content-type": "application/json" })
          },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
        }),
      catch: (e) => {
        const err = e as Error & { cause?: { code?: string; message?: string } }
        return new DaemonUnreachable({ url: base, reason: err.cause?.code ?? err.cause?.message ?? err.message })
      }
    })
    const body = yield* Effect.tryPromise({
      try: () => res.text(),
      catch: (e) => new DaemonUnreachable({ url: base, reason: `connection lost: ${(e as Error).message}` })
    })
    if (!accept.includes(res.status)) return yield* Effect.fail(new DaemonError({ url: base, status: res.status, body }))
    return yield* Effect.try({
      try: () => ({ status: res.status, body: JSON.parse(body) as A }),
      catch: () => new DaemonError({ url: base, status: res.status, body: `not JSON: ${body.slice(0, 200)}` })
    })
  })

/** GET `path` and parse JSON; `accept` lists the statuses that carry a normal answer. */
export const getJson = <A = unknown>(base: string, path: string, accept: ReadonlyArray<number> = [200]) =>
  requestJson<A>(base, path, accept, { method: "GET", timeoutMs: 5000 })

/** POST `body` as JSON to `path` and parse the JSON answer (waits up to `timeoutMs`, default 60 s: a chain transaction). */
export const postJson = <A = unknown>(base: string, path: string, body: unknown, timeoutMs = 60_000) =>
  requestJson<A>(base, path, [200], { method: "POST", body, timeoutMs })
