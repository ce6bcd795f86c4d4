/**
 * The static import graph of `src/`, read with the TypeScript compiler's own pre-processor (every
 * `import`, `export … from` and `import()` with a literal specifier, type-only imports included),
 * for the structure tests: no circle, and imports in one direction between the layers.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

export type ImportGraph = ReadonlyMap<string, ReadonlyArray<string>>

const listTs = (dir: string): ReadonlyArray<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return listTs(full)
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : []
  })

const resolveRelative = (from: string, specifier: string): string | undefined => {
  if (!specifier.startsWith(".")) return undefined
  const base = path.resolve(path.dirname(from), specifier)
  const candidates = [base.replace(/\.js$/, ".ts"), `${base}.ts`, path.join(base, "index.ts")]
  return candidates.find((candidate) => fs.existsSync(candidate))
}

/** File → the files of `root` it imports, paths relative to `root`'s parent (e.g. `src/layers/X.ts`). */
export const importGraph = (root: string): ImportGraph => {
  const top = path.dirname(root)
  const graph = new Map<string, ReadonlyArray<string>>()
  for (const file of listTs(root)) {
    const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true)
    const targets = info.importedFiles
      .map((ref) => resolveRelative(file, ref.fileName))
      .filter((target): target is string => target !== undefined)
      .map((target) => path.relative(top, target).split(path.sep).join("/"))
    graph.set(path.relative(top, file).split(path.sep).join("/"), [...new Set(targets)])
  }
  return graph
}

/** Every strongly connected component with more than one file, or a file importing itself (Tarjan). */
export const importCircles = (graph: ImportGraph): ReadonlyArray<ReadonlyArray<string>> => {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: Array<string> = []
  const circles: Array<ReadonlyArray<string>> = []
  let next = 0
  const visit = (node: string): void => {
    index.set(node, next)
    low.set(node, next)
    next++
    stack.push(node)
    onStack.add(node)
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target)
        low.set(node, Math.min(low.get(node)!, low.get(target)!))
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!))
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: Array<string> = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) circles.push(component.sort())
    }
  }
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node)
  return circles
}
