/** Plain-text tables for the operator commands (no colours: the output is often piped). */
import * as Console from "effect/Console"

/** The configuration (`config`, local or from a daemon's /v1/config) as JSON or a table. */
export const printConfig = (c: Record<string, unknown>, asJson: boolean) =>
  asJson
    ? Console.log(JSON.stringify(c, null, 2))
    : Console.log(table(["VARIABLE", "VALUE"], Object.entries(c).map(([k, v]) => [k, v === null ? "-" : String(v)])))

/** Renders rows under headers, each column as wide as its widest cell. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd()
  return [line(headers), ...rows.map(line)].join("\n")
}

/** `0x1234…abcd` for long hex ids. */
export const shortId = (id: string | null | undefined): string =>
  id === null || id === undefined || id === "" ? "-" : id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id

/** A duration in seconds as `1h02m`, `3m05s`, `12s`. */
export const age = (seconds: number): string => {
  const s = Math.max(0, Math.floor(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}

/** One-line `key=value` rendering of a details object. */
export const kv = (o: Readonly<Record<string, unknown>>): string =>
  Object.entries(o)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" ")
