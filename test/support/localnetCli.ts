/**
 * The localnet CLI as a child process, for the suites that kill and restart a node (durability,
 * the coordinator across node restarts): bundled into one file once, since it then starts in a
 * fraction of the TypeScript loader's time, and started on a manifest file it is waited for.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import type { LocalnetManifest } from "../../src/localnet/index.js"
import { waitUntil } from "./wait.js"

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

/** Bundles `runLocalnetCli` into `outfile` (an ESM file `node` runs directly). */
export const bundleLocalnetCli = (outfile: string) =>
  build({
    stdin: {
      contents: `import { runLocalnetCli } from ${JSON.stringify(path.join(repo, "src/localnet/cli.ts"))}\nrunLocalnetCli(process.argv.slice(2))`,
      resolveDir: repo,
      loader: "ts"
    },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    outfile,
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: "warning"
  })

export interface LocalnetProcess {
  readonly proc: ChildProcess
  readonly manifest: LocalnetManifest
  /** SIGKILL, resolved once the process has exited (at once if it already had). */
  readonly kill: () => Promise<void>
}

/**
 * Starts the bundled CLI with `args` (`--port`, `--state`, …) writing `manifestFile`, and resolves
 * with its manifest; fails if the process exits first, or writes none within `startMs` (default 60 s).
 */
export const startLocalnetCli = async (bundle: string, manifestFile: string, args: ReadonlyArray<string>, startMs = 60_000): Promise<LocalnetProcess> => {
  fs.rmSync(manifestFile, { force: true })
  const proc = spawn(process.execPath, [bundle, ...args, "--manifest", manifestFile], { cwd: repo, stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
  await waitUntil(
    "the localnet's manifest",
    () => {
      if (proc.exitCode !== null) throw new Error(`localnet exited: ${stderr}`)
      return fs.existsSync(manifestFile)
    },
    { stallMs: startMs, pollMs: 50 }
  ).catch((e: Error) => {
    if (proc.exitCode !== null) throw e
    proc.kill("SIGKILL")
    throw new Error(`localnet did not start (${e.message}): ${stderr}`)
  })
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as LocalnetManifest
  const kill = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise((r) => proc.once("exit", r))
    proc.kill("SIGKILL")
    await exited
  }
  return { proc, manifest, kill }
}
