/**
 * The status page's assets: the browser code under `client/` bundled by esbuild (uPlot and the
 * page's own CSS included) into content-hashed files, served by the daemon itself. Nothing is
 * fetched from a CDN at run time.
 *
 * Two sources, tried in order:
 * - a prebuilt bundle in `static/` beside this module (`npm run build:web` writes
 *   `dist/web/static/` for the compiled daemon and its image);
 * - otherwise an in-memory build at start-up from `client/` with esbuild (a devDependency: this is
 *   the path of `npm start` and the tests on a fresh clone, where nothing generated is committed).
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export interface WebAsset {
  /** URL path, e.g. `/assets/main-3F2A….js`. */
  readonly path: string
  readonly body: Uint8Array
  readonly contentType: string
  /** Strong validator: a hash of the body. */
  readonly etag: string
}

export interface WebBundle {
  readonly assets: ReadonlyMap<string, WebAsset>
  readonly script: string
  readonly stylesheet: string
  /** Where the bundle came from: "prebuilt" or "built at start". */
  readonly source: string
}

const here = path.dirname(fileURLToPath(import.meta.url))
const MANIFEST = "manifest.json"

const typeOf = (name: string) =>
  name.endsWith(".js") ? "text/javascript; charset=utf-8" : name.endsWith(".css") ? "text/css; charset=utf-8" : "application/octet-stream"

const asset = (name: string, body: Uint8Array): WebAsset => ({
  path: `/assets/${name}`,
  body,
  contentType: typeOf(name),
  etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`
})

/** Bundles `client/main.ts` in memory: `[name, bytes]` of the hashed script and stylesheet. */
export const buildClient = async (): Promise<ReadonlyArray<readonly [string, Uint8Array]>> => {
  // Loaded lazily: esbuild is a build tool, absent from production installs (which ship static/).
  const esbuild = await import("esbuild")
  const result = await esbuild.build({
    entryPoints: [path.join(here, "client", "main.ts")],
    bundle: true,
    write: false,
    minify: true,
    format: "iife",
    target: ["es2020"],
    outdir: "/out",
    entryNames: "[name]-[hash]",
    loader: { ".css": "css" },
    logLevel: "silent",
    legalComments: "none"
  })
  return result.outputFiles.map((f) => [path.basename(f.path), f.contents] as const)
}

const fromFiles = (files: ReadonlyArray<readonly [string, Uint8Array]>, source: string): WebBundle => {
  const assets = new Map(files.map(([name, body]) => [`/assets/${name}`, asset(name, body)] as const))
  const script = [...assets.keys()].find((p) => p.endsWith(".js"))
  const stylesheet = [...assets.keys()].find((p) => p.endsWith(".css"))
  if (script === undefined || stylesheet === undefined) throw new Error("the status page bundle lacks its script or stylesheet")
  return { assets, script, stylesheet, source }
}

/** Writes the bundle for the compiled daemon (`npm run build:web`). */
export const writeBundle = async (outDir: string) => {
  const files = await buildClient()
  await fs.rm(outDir, { recursive: true, force: true })
  await fs.mkdir(outDir, { recursive: true })
  for (const [name, body] of files) await fs.writeFile(path.join(outDir, name), body)
  await fs.writeFile(path.join(outDir, MANIFEST), JSON.stringify(files.map(([name]) => name)))
  return files.map(([name]) => name)
}

/** The prebuilt bundle if there is one beside this module, else a fresh in-memory build. */
export const loadBundle = async (): Promise<WebBundle> => {
  // dist/web/static beside this module, or beside dist/web when this is a chunk of the bundled daemon (dist/chunks).
  const read = (dir: string) => fs.readFile(path.join(dir, MANIFEST), "utf8").then((t) => [dir, JSON.parse(t) as Array<string>] as const, () => undefined)
  const found = (await read(path.join(here, "static"))) ?? (await read(path.join(here, "..", "web", "static")))
  if (found !== undefined) {
    const [dir, names] = found
    const files = await Promise.all(names.map(async (n) => [n, new Uint8Array(await fs.readFile(path.join(dir, n)))] as const))
    return fromFiles(files, "prebuilt")
  }
  return fromFiles(await buildClient(), "built at start")
}
