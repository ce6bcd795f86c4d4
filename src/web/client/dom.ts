/** Small DOM helpers: elements are built with text nodes only (no HTML from data, ever). */

type Child = Node | string | number | null | undefined | false
type Attrs = Readonly<Record<string, string | number | boolean | undefined | null>>

export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: ReadonlyArray<Child | ReadonlyArray<Child>>) => {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k === "class") el.className = String(v)
    else el.setAttribute(k, v === true ? "" : String(v))
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return el
}

/** Replaces the children of `el`. */
export const fill = (el: Element, ...children: ReadonlyArray<Child | ReadonlyArray<Child>>) => {
  const nodes: Array<Node> = []
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    nodes.push(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  el.replaceChildren(...nodes)
}

export const fmtInt = (n: number | null | undefined) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US"))

export const fmtMs = (n: number | null | undefined) =>
  n === null || n === undefined ? "–" : n < 1000 ? `${Math.round(n)} ms` : n < 60_000 ? `${(n / 1000).toFixed(1)} s` : `${(n / 60_000).toFixed(1)} min`

export const fmtDuration = (ms: number) => {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const hr = Math.floor(m / 60)
  return hr < 48 ? `${hr}h ${m % 60}m` : `${Math.floor(hr / 24)}d ${hr % 24}h`
}

export const fmtTime = (at: number) => new Date(at).toLocaleTimeString("en-GB", { hour12: false })

/** MIST as SUI with 4 decimals. */
export const fmtSui = (mist: string | null | undefined) => {
  if (mist === null || mist === undefined) return "–"
  const signed = BigInt(mist)
  const n = signed < 0n ? -signed : signed
  const whole = n / 1_000_000_000n
  const frac = ((n % 1_000_000_000n) / 100_000n).toString().padStart(4, "0")
  return `${signed < 0n ? "−" : ""}${whole.toLocaleString("en-US")}.${frac} SUI`
}

export const shortHex = (s: string, keep = 10) => (s.length > keep + 4 ? `${s.slice(0, keep)}…${s.slice(-4)}` : s)

/** A labelled number card; `testid` lets tests (and people) find it. */
export const stat = (label: string, value: string, testid: string, raw?: number | null, tone?: string) =>
  h(
    "div",
    { class: `stat${tone === undefined ? "" : ` ${tone}`}` },
    h("div", { class: "stat-label" }, label),
    h("div", { class: "stat-value", "data-testid": testid, "data-value": raw === undefined || raw === null ? undefined : String(raw) }, value)
  )
