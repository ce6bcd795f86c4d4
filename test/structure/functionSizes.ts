/**
 * The length in lines of every function in `src/` (generated code excepted), read with the
 * TypeScript parser, for the structure test that keeps functions small.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

export interface FunctionSize {
  /** `src/…/File.ts:name`, the name being the nearest named declaration the function belongs to. */
  readonly key: string
  readonly lines: number
}

const listTs = (dir: string): ReadonlyArray<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === "gen" ? [] : listTs(full)
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : []
  })

/** The name a function is known by: its own, or that of the variable, property or call it is given to. */
const nameOf = (node: ts.Node): string => {
  for (let n: ts.Node | undefined = node; n !== undefined; n = n.parent) {
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isFunctionExpression(n)) && n.name !== undefined) {
      return n.name.getText()
    }
    if ((ts.isVariableDeclaration(n) || ts.isPropertyAssignment(n) || ts.isPropertyDeclaration(n)) && n.name !== undefined) {
      return n.name.getText()
    }
  }
  return "<anonymous>"
}

/** Every function of `file` with a body, as `key` and length; same-named nested ones keep the longest. */
export const functionSizes = (root: string, file: string): ReadonlyArray<FunctionSize> => {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)
  const rel = path.relative(path.dirname(root), file).split(path.sep).join("/")
  const longest = new Map<string, number>()
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line
      const key = `${rel}:${nameOf(node)}`
      longest.set(key, Math.max(longest.get(key) ?? 0, last - first + 1))
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return [...longest].map(([key, lines]) => ({ key, lines }))
}

/** The functions of every `.ts` file under `root` except the generated `gen/` folders. */
export const allFunctionSizes = (root: string): ReadonlyArray<FunctionSize> => listTs(root).flatMap((file) => functionSizes(root, file))
