/**
 * Where the operator's API token is found — shared by the daemon's guard (HttpAuth) and the
 * operator commands, which must stay light (no HTTP server, no platform modules).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as Option from "effect/Option"

export const API_TOKEN_FILE = "api-token"
export const API_TOKEN_ENV = "SILVANA_API_TOKEN"

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
