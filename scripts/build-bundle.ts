/**
 * `npm run build:bundle`: the daemon and its command line bundled into dist/silvana.mjs and its
 * chunks (dist/chunks/, one per lazily loaded part: the daemon, the localnet, the operator
 * commands). Node then loads a few modules instead of resolving thousands, which was most of the
 * start-up time of the unbundled dist/, and caches their compiled code (node:module's compile
 * cache) for the next start. Native and build-time packages stay external.
 */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const dist = path.join(root, "dist")
await build({
  entryPoints: { "silvana-main": path.join(root, "src", "main.ts") },
  outdir: dist,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  minifySyntax: true,
  minifyWhitespace: true,
  platform: "node",
  format: "esm",
  target: "node22",
  // CommonJS dependencies call require() and read __dirname: give every chunk both.
  banner: {
    js: [
      "import { createRequire as __silvanaRequire } from 'node:module';",
      "import { fileURLToPath as __silvanaPath } from 'node:url';",
      "const require = __silvanaRequire(import.meta.url);",
      "const __filename = __silvanaPath(import.meta.url);",
      "const __dirname = __silvanaPath(new URL('.', import.meta.url));"
    ].join(" ")
  },
  // esbuild builds the status page when no prebuilt one exists; ssh2 (through dockerode) loads
  // files beside its own modules and an optional native addon, so it stays in node_modules.
  external: ["esbuild", "ssh2", "cpu-features", "tsx"],
  sourcemap: "linked",
  logLevel: "warning"
})
// The entry turns on the compile cache before the bundle is parsed.
writeFileSync(
  path.join(dist, "silvana.mjs"),
  `#!/usr/bin/env node
import { enableCompileCache } from "node:module"
enableCompileCache?.()
await import("./silvana-main.js")
`
)
console.log("daemon bundle: dist/silvana.mjs")
