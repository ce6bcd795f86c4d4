/**
 * `npm run build:cli`: bundles the operator commands (src/cli/operator.ts) with esbuild into
 * dist/operator/, which `bin/silvana-coordinator` runs for `status`, `jobs`, `agents` and `config`.
 * One bundle loads in a fraction of the time of the compiled tree and its packages. The Docker
 * client (used by `config` to tell which runtime applies) stays an ordinary package import: it
 * loads only when `config` runs, from the chunk that needs it.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const outdir = path.join(root, "dist", "operator")
await build({
  entryPoints: { operator: path.join(root, "src/cli/operator.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  minify: true,
  outExtension: { ".js": ".mjs" },
  external: ["dockerode"],
  // CommonJS packages inside an ES module bundle still call require()
  banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
  logLevel: "warning"
})
console.log(`operator CLI bundle: ${path.relative(root, path.join(outdir, "operator.mjs"))}`)
