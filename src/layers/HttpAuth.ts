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
 * `/health`, `/ready` and `/metrics` stay open (probes and scrapers), and show no secrets.
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

/** Reads `<stateDir>/api-token`, creating it (0600, exclusive) when missing; a malformed file is an error. */
export const loadOrCreateApiToken = (stateDir: string): Effect.Effect<Redacted.Redacted<string>, ApiTokenError> =>
  Effect.try({
    try: () => {
      const file = path.join(stateDir, API_TOKEN_FILE)
      fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 })
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

/** Why a request is refused, or `None` when it may proceed. */
export const refusal = (
  headers: Readonly<Record<string, string | undefined>>,
  auth: ApiAuth
): Option.Option<{ readonly status: 401 | 403; readonly error: string }> => {
  if (!hostAllowed(headers["host"], auth.allowedHosts)) {
    return Option.some({ status: 403, error: "Host not allowed (add it to HTTP_ALLOWED_HOSTS)" })
  }
  if (!bearerMatches(headers["authorization"], auth.token)) {
    return Option.some({ status: 401, error: "a bearer token is required (STATE_DIR/api-token)" })
  }
  return Option.none()
}

/** True for the paths the guard protects. */
export const isProtected = (url: string): boolean => url === "/v1" || url.startsWith("/v1/") || url.startsWith("/v1?")

/**
 * Wraps an app: requests to `/v1/*` pass only with the token and an allowed `Host`; every other
 * path goes straight through. Use it around any router that serves `/v1/*`.
 */
export const guardV1 =
  (auth: ApiAuth) =>
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      if (!isProtected(request.url)) return app
      return Option.match(refusal(request.headers, auth), {
        onNone: () => app,
        onSome: (r) =>
          Effect.succeed(
            HttpServerResponse.unsafeJson(
              { error: r.error },
              { status: r.status, headers: r.status === 401 ? { "www-authenticate": "Bearer" } : {} }
            )
          )
      })
    })
