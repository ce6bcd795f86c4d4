/**
 * A small strict parser of the Prometheus text exposition format 0.0.4, for tests: every line must
 * be a HELP, a TYPE or a sample; every sample must belong to a family declared by TYPE before it;
 * names, label syntax, escapes and values are checked; histograms must have cumulative buckets
 * ending in `le="+Inf"` equal to `_count`. Throws on the first violation, naming the line.
 */

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Family {
  readonly name: string
  readonly type: "counter" | "gauge" | "histogram" | "summary" | "untyped"
  readonly help: string | undefined
  readonly samples: Array<Sample>
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

const parseValue = (raw: string, line: number): number => {
  if (raw === "+Inf") return Infinity
  if (raw === "-Inf") return -Infinity
  if (raw === "NaN") return NaN
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`line ${line}: bad value ${JSON.stringify(raw)}`)
  return Number(raw)
}

const parseLabels = (raw: string, line: number): Record<string, string> => {
  const out: Record<string, string> = {}
  let i = 0
  while (i < raw.length) {
    const eq = raw.indexOf("=", i)
    if (eq < 0) throw new Error(`line ${line}: label without '='`)
    const name = raw.slice(i, eq)
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`)
    if (raw[eq + 1] !== '"') throw new Error(`line ${line}: label value must be quoted`)
    let j = eq + 2
    let value = ""
    for (;;) {
      if (j >= raw.length) throw new Error(`line ${line}: unterminated label value`)
      const c = raw[j]!
      if (c === "\\") {
        const n = raw[j + 1]
        if (n === "\\") value += "\\"
        else if (n === '"') value += '"'
        else if (n === "n") value += "\n"
        else throw new Error(`line ${line}: bad escape \\${n}`)
        j += 2
      } else if (c === '"') {
        j += 1
        break
      } else if (c === "\n") {
        throw new Error(`line ${line}: raw newline in label value`)
      } else {
        value += c
        j += 1
      }
    }
    if (name in out) throw new Error(`line ${line}: duplicate label ${name}`)
    out[name] = value
    if (j === raw.length) break
    if (raw[j] !== ",") throw new Error(`line ${line}: expected ',' between labels`)
    i = j + 1
  }
  return out
}

const familyOf = (sample: string, families: Map<string, Family>): Family | undefined => {
  const direct = families.get(sample)
  if (direct !== undefined) return direct
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (sample.endsWith(suffix)) {
      const f = families.get(sample.slice(0, -suffix.length))
      if (f !== undefined && (f.type === "histogram" || f.type === "summary")) return f
    }
  }
  return undefined
}

/** Parses and validates an exposition; returns its families by name. */
export const parsePrometheus = (text: string): Map<string, Family> => {
  if (text !== "" && !text.endsWith("\n")) throw new Error("exposition must end with a newline")
  const families = new Map<string, Family>()
  const seenSamples = new Set<string>()
  const lines = text.split("\n")
  lines.pop()
  lines.forEach((l, idx) => {
    const line = idx + 1
    if (l === "") throw new Error(`line ${line}: empty line`)
    if (l.startsWith("# HELP ")) {
      const m = /^# HELP (\S+) (.*)$/.exec(l)
      if (!m || !METRIC_NAME.test(m[1]!)) throw new Error(`line ${line}: bad HELP`)
      const f = families.get(m[1]!)
      if (f?.help !== undefined) throw new Error(`line ${line}: duplicate HELP for ${m[1]}`)
      if (f !== undefined && f.samples.length > 0) throw new Error(`line ${line}: HELP after samples`)
      families.set(m[1]!, { name: m[1]!, type: f?.type ?? "untyped", help: m[2]!, samples: [] })
      return
    }
    if (l.startsWith("# TYPE ")) {
      const m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(l)
      if (!m || !METRIC_NAME.test(m[1]!)) throw new Error(`line ${line}: bad TYPE`)
      const prev = families.get(m[1]!)
      if (prev !== undefined && prev.samples.length > 0) throw new Error(`line ${line}: TYPE after samples`)
      families.set(m[1]!, { name: m[1]!, type: m[2] as Family["type"], help: prev?.help, samples: [] })
      return
    }
    if (l.startsWith("#")) return
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(l)
    if (!m) throw new Error(`line ${line}: not a sample: ${JSON.stringify(l)}`)
    const name = m[1]!
    const labels = m[2] === undefined || m[2] === "" ? {} : parseLabels(m[2], line)
    const value = parseValue(m[3]!, line)
    const f = familyOf(name, families)
    if (f === undefined) throw new Error(`line ${line}: sample ${name} has no TYPE before it`)
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(",")}}`
    if (seenSamples.has(key)) throw new Error(`line ${line}: duplicate sample ${key}`)
    seenSamples.add(key)
    if (f.type === "counter" && !(value >= 0)) throw new Error(`line ${line}: negative counter`)
    f.samples.push({ name, labels, value })
  })
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f)
  return families
}

const checkHistogram = (f: Family) => {
  const series = new Map<string, Array<Sample>>()
  const keyOf = (s: Sample) =>
    Object.entries(s.labels)
      .filter(([k]) => k !== "le")
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(",")
  for (const s of f.samples) {
    const k = keyOf(s)
    series.set(k, [...(series.get(k) ?? []), s])
  }
  for (const [k, samples] of series) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`)
    const count = samples.find((s) => s.name === `${f.name}_count`)
    const sum = samples.find((s) => s.name === `${f.name}_sum`)
    if (buckets.length === 0 || count === undefined || sum === undefined) throw new Error(`${f.name}{${k}}: histogram needs buckets, _sum and _count`)
    let prevLe = -Infinity
    let prev = 0
    for (const b of buckets) {
      const le = b.labels["le"]
      if (le === undefined) throw new Error(`${f.name}{${k}}: bucket without le`)
      const bound = le === "+Inf" ? Infinity : Number(le)
      if (!(bound > prevLe)) throw new Error(`${f.name}{${k}}: le not increasing at ${le}`)
      if (b.value < prev) throw new Error(`${f.name}{${k}}: buckets not cumulative at le=${le}`)
      prevLe = bound
      prev = b.value
    }
    if (prevLe !== Infinity) throw new Error(`${f.name}{${k}}: last bucket must be le="+Inf"`)
    if (prev !== count.value) throw new Error(`${f.name}{${k}}: +Inf bucket ${prev} != _count ${count.value}`)
  }
}

/** The value of one sample (0 when absent), matching the given labels exactly on those keys. */
export const sampleValue = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number => {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value
    }
  }
  return 0
}
