/**
 * Secrets that hide inside ordinary-looking values: credentials in a URL's user info and API keys
 * in its query (`https://user:SECRET@host/?apikey=KEY`). Everything the daemon prints or serves
 * about a URL goes through `redactUrl`.
 */

const REDACTED = "<redacted>"

/**
 * The URL with its user info and every query value replaced by `<redacted>`; the scheme, host,
 * port, path and query keys stay, so operators still see which node or collector is meant.
 * A value that does not parse as a URL is returned with anything between `//` and `@` redacted.
 */
export const redactUrl = (raw: string): string => {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return raw.replace(/\/\/[^/@]*@/, `//${REDACTED}@`)
  }
  const hadUser = u.username !== "" || u.password !== ""
  if (!hadUser && u.search === "" && u.hash === "") return raw
  u.username = ""
  u.password = ""
  const keys = [...new Set([...u.searchParams.keys()])]
  const query = keys.map((k) => `${encodeURIComponent(k)}=${REDACTED}`).join("&")
  const base = `${u.protocol}//${hadUser ? `${REDACTED}@` : ""}${u.host}${u.pathname === "/" && !raw.replace(/[?#].*$/, "").endsWith("/") ? "" : u.pathname}`
  return `${base}${query === "" ? "" : `?${query}`}${u.hash === "" ? "" : "#…"}`
}

/** The first characters of a session id (or key), enough to tell agents apart and never enough to use. */
export const shortSecret = (id: string): string => (id.length > 12 ? `${id.slice(0, 10)}…` : id)

/** The secret parts of a URL (user, password, query values), to scrub from any text that quotes it. */
export const urlSecrets = (raw: string): ReadonlyArray<string> => {
  try {
    const u = new URL(raw)
    return [u.username, u.password, decodeURIComponent(u.username), decodeURIComponent(u.password), ...u.searchParams.values()].filter(
      (s) => s.length >= 4
    )
  } catch {
    return []
  }
}
