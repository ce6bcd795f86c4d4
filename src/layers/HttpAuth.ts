/**
 * HttpAuth — who may read the operator API's `/v1/*`: a bearer token and a `Host` check, as one
 * reusable guard for every route that shows jobs, agents or configuration.
 *
 * - The token is 32 random bytes (hex) in `<STATE_DIR>/api-token`, created 0600 at first start and
 *   kept across restarts; the operator CLI reads the same file (or `SILVANA_API_TOKEN`). Anyone who
 *   can read the state directory is the operator; nobody else can read `/v1/*` — not another local
 *   user, not an agent (not even a TEE agent on the host network), not a web page.
 * - `Host` must name an IP literal, `localhost`, the listen host or one of `HTTP_ALLOWED_HOSTS`:
 *   a DNS-rebinding page reaches the port under its own name and is refused before the token matters.
 *
 * - Browsers cannot send a header when they open a page: the status page (`/`, `/assets/*`) and its
 *   event stream take the same token from the `silvana_token` cookie (HttpOnly, SameSite=Strict),
 *   set by opening `/?token=<token>` once, which answers with a redirect to `/` (the token leaves the
 *   address bar). Same token, same Host check: one rule for `/v1/*` and the page.
 *
 * `/health`, `/ready` and `/metrics` stay open (probes and scrapers), and show no secrets; every
 * other path is guarded, so nothing else is served without the token.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { Data, Effect, Option, Redacted } from "effect"

export const API_TOKEN_FILE = "api-token"
export const API_TOKEN_ENV = "SILVANA_API_TOKEN"

export class ApiTokenError extends Data.TaggedError("ApiTokenError")<{ readonly message: string }> {}

/** What the guard needs to decide: the token, and the names the endpoint answers to. */
export interface ApiAuth {
  readonly token: Redacted.Redacted<string>
  /** Host names (no port) accepted besides IP literals and `localhost`. */
  readonly allowedHosts: ReadonlyArray<string>
}

const TOKEN_SHAPE = /^[0-9a-f]{64}$/

/** Reads the token file (`<STATE_DIR>/api-token`), creating it (0600, exclusive) when missing; a malformed file is an error. */
export const loadOrCreateApiToken = (file: string): Effect.Effect<Redacted.Redacted<string>, ApiTokenError> =>
  Effect.try({
    try: () => {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
      try {
        fs.writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" })
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
      }
      fs.chmodSync(file, 0o600)
      const token = fs.readFileSync(file, "utf8").trim()
      if (!TOKEN_SHAPE.test(token)) throw new Error(`${file} does not hold a token (64 hex digits); remove it to get a new one`)
      return Redacted.make(token)
    },
    catch: (e) => new ApiTokenError({ message: `STATE_DIR: cannot prepare the API token: ${(e as Error).message}` })
  })

/** The operator's token: `SILVANA_API_TOKEN`, else `<STATE_DIR>/api-token` (default `./.silvana`). */
export const readApiToken = (env: NodeJS.ProcessEnv = process.env): Option.Option<string> => {
  const fromEnv = env[API_TOKEN_ENV]?.trim()
  if (fromEnv !== undefined && fromEnv !== "") return Option.some(fromEnv)
  const dir = env["STATE_DIR"]?.trim() || "./.silvana"
  try {
    return Option.some(fs.readFileSync(path.join(dir, API_TOKEN_FILE), "utf8").trim())
  } catch {
    return Option.none()
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest()

/** Constant-time comparison of an `Authorization` header against the token. */
export const bearerMatches = (header: string | undefined, token: Redacted.Redacted<string>): boolean => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")
  return m !== null && timingSafeEqual(digest(m[1]!), digest(Redacted.value(token)))
}

/** The host name of a `Host` header (`name`, `name:port`, `[v6]:port`), lower case; `None` when malformed. */
export const hostName = (header: string | undefined): Option.Option<string> => {
  const h = (header ?? "").trim().toLowerCase()
  if (h === "") return Option.none()
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(h)
  return m === null ? Option.none() : Option.some(m[1] ?? m[2]!)
}

/** An IP literal or `localhost` is never a rebinding target; other names must be listed. */
export const hostAllowed = (header: string | undefined, allowed: ReadonlyArray<string>): boolean =>
  Option.match(hostName(header), {
    onNone: () => false,
    onSome: (name) => net.isIP(name) !== 0 || name === "localhost" || allowed.some((a) => a.toLowerCase() === name)
  })

/** The cookie that carries the token for a browser. */
export const TOKEN_COOKIE = "silvana_token"

/** The value of a cookie in a `Cookie` header. */
export const cookieValue = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=")
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

const tokenMatches = (candidate: string | undefined, token: Redacted.Redacted<string>): boolean =>
  candidate !== undefined && candidate !== "" && timingSafeEqual(digest(candidate), digest(Redacted.value(token)))

/** Why a request is refused, or `None` when it may proceed. */
export const refusal = (
  headers: Readonly<Record<string, string | undefined>>,
  auth: ApiAuth
): Option.Option<{ readonly status: 401 | 403; readonly error: string }> => {
  if (!hostAllowed(headers["host"], auth.allowedHosts)) {
    return Option.some({ status: 403, error: "Host not allowed (add it to HTTP_ALLOWED_HOSTS)" })
  }
  if (!bearerMatches(headers["authorization"], auth.token) && !tokenMatches(cookieValue(headers["cookie"], TOKEN_COOKIE), auth.token)) {
    return Option.some({ status: 401, error: "a bearer token is required (STATE_DIR/api-token); in a browser open /?token=<token> once" })
  }
  return Option.none()
}

const OPEN_PATHS = new Set(["/health", "/ready", "/metrics"])

/** True for the paths the guard protects: all but the probes. */
export const isProtected = (url: string): boolean => !OPEN_PATHS.has(url.split("?")[0]!)

/** The token of a sign-in request (`GET /?token=…`), if this is one. */
const signInToken = (url: string): string | undefined => {
  const q = url.indexOf("?")
  if (q < 0 || url.slice(0, q) !== "/") return undefined
  return new URLSearchParams(url.slice(q + 1)).get("token") ?? undefined
}

const refused = (r: { readonly status: 401 | 403; readonly error: string }) =>
  HttpServerResponse.unsafeJson({ error: r.error }, { status: r.status, headers: r.status === 401 ? { "www-authenticate": "Bearer" } : {} })

/**
 * Wraps an app: every request but the probes passes only with the token (bearer header, or the
 * browser's cookie) and an allowed `Host`; a correct `/?token=` sets the cookie and redirects to `/`.
 * Use it around any router that serves `/v1/*` or the status page.
 */
export const guardV1 =
  (auth: ApiAuth) =>
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      if (!isProtected(request.url)) return app
      const offered = signInToken(request.url)
      if (offered !== undefined) {
        if (!hostAllowed(request.headers["host"], auth.allowedHosts)) {
          return Effect.succeed(refused({ status: 403, error: "Host not allowed (add it to HTTP_ALLOWED_HOSTS)" }))
        }
        if (!tokenMatches(offered, auth.token)) return Effect.succeed(refused({ status: 401, error: "wrong token" }))
        return Effect.succeed(
          HttpServerResponse.empty({
            status: 303,
            headers: {
              location: "/",
              "set-cookie": `${TOKEN_COOKIE}=${Redacted.value(auth.token)}; Path=/; HttpOnly; SameSite=Strict`,
              "cache-control": "no-store",
              "referrer-policy": "no-referrer"
            }
          })
        )
      }
      return Option.match(refusal(request.headers, auth), {
        onNone: () => app,
        onSome: (r) => Effect.succeed(refused(r))
      })
    })
