/**
 * The add agent's computation. A job's `data` is UTF-8 text holding integers, either as a JSON
 * array (`[1, 2, 3]`) or comma-separated (`1,2,3`); whitespace is ignored. The result is their sum
 * as a decimal string (bigint arithmetic, so large values stay exact).
 */

export type SumResult = { readonly ok: true; readonly sum: bigint; readonly count: number } | { readonly ok: false; readonly reason: string }

const INTEGER = /^[+-]?\d+$/

export const sumOf = (data: Uint8Array): SumResult => {
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(data).trim()
  } catch {
    return { ok: false, reason: "job data is not valid UTF-8" }
  }
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) return { ok: false, reason: "job data starts a JSON array but does not close it" }
    text = text.slice(1, -1).trim()
  }
  if (text === "") return { ok: false, reason: "job data holds no numbers" }
  let sum = 0n
  const parts = text.split(",")
  for (const [i, raw] of parts.entries()) {
    const part = raw.trim()
    if (!INTEGER.test(part)) return { ok: false, reason: `item ${i} is not an integer: ${JSON.stringify(part.slice(0, 40))}` }
    sum += BigInt(part)
  }
  return { ok: true, sum, count: parts.length }
}
