/**
 * Prints the top frames of the profiles `npm run profile:e2e` writes (or of the files/directory
 * given): for each `.cpuprofile` the functions and modules with the most self time, for each
 * `.heapprofile` the allocation sites holding the most sampled memory, and for a `.heapsnapshot`
 * the object kinds holding the most memory. Frames of the bundled daemon are mapped back to their
 * sources through the bundle's linked source maps (node:module's SourceMap).
 *
 *   npx tsx scripts/profile-top.ts [dir-or-files…] [--top=N]
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { SourceMap } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}

const args = process.argv.slice(2)
const top = Number(args.find((a) => a.startsWith("--top="))?.slice(6) ?? 25)
const inputs = args.filter((a) => !a.startsWith("--"))

const maps = new Map<string, SourceMap | undefined>()
const mapOf = (url: string): SourceMap | undefined => {
  if (!maps.has(url)) {
    let map: SourceMap | undefined
    try {
      const file = url.startsWith("file:") ? fileURLToPath(url) : url
      if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")))
    } catch {
      map = undefined
    }
    maps.set(url, map)
  }
  return maps.get(url)
}

/** `src/layers/Foo.ts:12` or `node_modules/pkg/...:3` for a frame, through the source map when there is one. */
const where = (f: CallFrame): { file: string; line: number } => {
  const entry = (f.url === "" ? undefined : mapOf(f.url)?.findEntry(f.lineNumber, f.columnNumber)) as
    | { originalSource?: string; originalLine?: number }
    | undefined
  const raw = entry?.originalSource ?? f.url
  const line = (entry?.originalLine ?? f.lineNumber) + 1
  const file = raw.replace(/^file:\/\//, "")
  const nm = file.lastIndexOf("node_modules/")
  if (nm >= 0) return { file: file.slice(nm), line }
  const src = file.search(/(^|\/)(src|bench|test|examples|dist)\//)
  return { file: src >= 0 ? file.slice(src).replace(/^\//, "") : file, line }
}

/** The package (node_modules/<pkg>) or source directory a file belongs to. */
const moduleOf = (file: string) => {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)
  if (m !== null) return m[1]!
  if (file.startsWith("node:")) return file
  return file.split("/").slice(0, 3).join("/") || "(native)"
}

const pct = (x: number, total: number) => ((100 * x) / total).toFixed(1).padStart(5)
const table = (title: string, rows: Array<[string, number]>, total: number, unit: (x: number) => string) => {
  console.log(`\n${title}`)
  for (const [name, v] of rows.sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v, total)}%  ${unit(v).padStart(9)}  ${name}`)
}

const cpuProfile = (file: string) => {
  const p = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: Array<{ id: number; callFrame: CallFrame; children?: Array<number> }>
    samples: Array<number>
    timeDeltas: Array<number>
  }
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]))
  const self = new Map<number, number>()
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)))
  const fns = new Map<string, number>()
  const mods = new Map<string, number>()
  let total = 0
  let idle = 0
  for (const [id, us] of self) {
    const f = byId.get(id)!
    total += us
    if (f.functionName === "(idle)") idle += us
    const w = f.url === "" ? { file: "", line: 0 } : where(f)
    const name = `${f.functionName || "(anonymous)"}${w.file === "" ? "" : ` ${w.file}:${w.line}`}`
    fns.set(name, (fns.get(name) ?? 0) + us)
    const mod = w.file === "" ? f.functionName : moduleOf(w.file)
    mods.set(mod, (mods.get(mod) ?? 0) + us)
  }
  // Total (inclusive) time of the project's own functions: each sample counts once for every
  // distinct src/ function on its stack (what the Effect runtime frames above it were running for).
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const ownName = new Map<number, string | undefined>()
  for (const [id, f] of byId) {
    const w = f.url === "" ? undefined : where(f)
    ownName.set(id, w !== undefined && w.file.startsWith("src/") ? `${f.functionName || "(anonymous)"} ${w.file}:${w.line}` : undefined)
  }
  const inclusive = new Map<string, number>()
  for (const [id, us] of self) {
    const seen = new Set<string>()
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const name = ownName.get(n)
      if (name !== undefined && !seen.has(name)) {
        seen.add(name)
        inclusive.set(name, (inclusive.get(name) ?? 0) + us)
      }
    }
  }
  const ms = (us: number) => `${(us / 1000).toFixed(0)} ms`
  console.log(`# ${path.basename(file)}: ${ms(total)} sampled, ${ms(total - idle)} busy (${pct(total - idle, total).trim()}%)`)
  const busy = total - idle
  const noIdle = (m: Map<string, number>) => [...m].filter(([k]) => !k.startsWith("(idle)"))
  table("self time by function (% of busy)", noIdle(fns), busy, ms)
  table("self time by module (% of busy)", noIdle(mods), busy, ms)
  table("total time of the project's functions (% of busy)", [...inclusive], busy, ms)
}

const heapProfile = (file: string) => {
  interface Node {
    callFrame: CallFrame
    selfSize: number
    children: Array<Node>
  }
  const p = JSON.parse(readFileSync(file, "utf8")) as { head: Node }
  const sites = new Map<string, number>()
  const mods = new Map<string, number>()
  let total = 0
  const walk = (n: Node) => {
    if (n.selfSize > 0) {
      const w = n.callFrame.url === "" ? { file: "", line: 0 } : where(n.callFrame)
      const name = `${n.callFrame.functionName || "(anonymous)"}${w.file === "" ? "" : ` ${w.file}:${w.line}`}`
      sites.set(name, (sites.get(name) ?? 0) + n.selfSize)
      const mod = w.file === "" ? n.callFrame.functionName : moduleOf(w.file)
      mods.set(mod, (mods.get(mod) ?? 0) + n.selfSize)
      total += n.selfSize
    }
    n.children.forEach(walk)
  }
  walk(p.head)
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`
  console.log(`# ${path.basename(file)}: ${mb(total)} live in sampled allocations at exit`)
  table("allocation sites", [...sites], total, mb)
  table("allocations by module", [...mods], total, mb)
}

const heapSnapshot = (file: string) => {
  const s = JSON.parse(readFileSync(file, "utf8")) as {
    snapshot: { meta: { node_fields: Array<string>; node_types: [Array<string>, ...Array<unknown>] } }
    nodes: Array<number>
    strings: Array<string>
  }
  const fields = s.snapshot.meta.node_fields
  const width = fields.length
  const [typeAt, nameAt, sizeAt] = [fields.indexOf("type"), fields.indexOf("name"), fields.indexOf("self_size")]
  const types = s.snapshot.meta.node_types[0]
  const kinds = new Map<string, number>()
  const counts = new Map<string, number>()
  let total = 0
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt]!]!
    const name = type === "object" || type === "native" ? s.strings[s.nodes[i + nameAt]!]! : `(${type})`
    const size = s.nodes[i + sizeAt]!
    kinds.set(name, (kinds.get(name) ?? 0) + size)
    counts.set(name, (counts.get(name) ?? 0) + 1)
    total += size
  }
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`
  console.log(`# ${path.basename(file)}: ${mb(total)} of objects, ${s.nodes.length / width} objects`)
  table(
    "self size by kind (count)",
    [...kinds].map(([k, v]) => [`${k} (${counts.get(k)})`, v]),
    total,
    mb
  )
}

const files = (inputs.length === 0 ? ["test-results/profile"] : inputs).flatMap((i) =>
  statSync(i).isDirectory()
    ? readdirSync(i)
        .filter((f) => /\.(cpuprofile|heapprofile|heapsnapshot)$/.test(f))
        .map((f) => path.join(i, f))
    : [i]
)
for (const f of files) {
  console.log("")
  if (f.endsWith(".cpuprofile")) cpuProfile(f)
  else if (f.endsWith(".heapprofile")) heapProfile(f)
  else heapSnapshot(f)
}
