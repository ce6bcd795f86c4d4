/**
 * bench:cli — CPU seconds (user + sys, the kernel's accounting through /usr/bin/time) of each
 * operator command as a whole process through `bin/silvana-coordinator`, which runs the esbuild
 * bundle of the operator commands (`npm run build` makes it). `status`, `jobs` and `agents` ask an
 * address where nothing listens, so the figure is the command's own cost: start, parse, one
 * request, one line out. CPU time, not wall time: the wall clock of a loaded machine measures the
 * other work. Prints `cli_<command>_cpu_s=<median>` lines; the goal is under 1 s each.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const RUNS = Number(process.env["BENCH_ITERATIONS"] ?? 5)
const bin = path.join(root, "bin", "silvana-coordinator")
const nowhere = "http://127.0.0.1:1"

if (!existsSync(path.join(root, "dist", "operator", "operator.mjs"))) {
  console.error("dist/operator/operator.mjs is missing: run `npm run build` first")
  process.exit(2)
}

const cpuSeconds = (args: ReadonlyArray<string>): number => {
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S", bin, ...args], { encoding: "utf8", cwd: root })
  const last = r.stderr.trim().split("\n").at(-1) ?? ""
  const [user, sys] = last.split(" ").map(Number)
  if (user === undefined || sys === undefined || Number.isNaN(user + sys)) throw new Error(`no timing for ${args.join(" ")}: ${r.stderr}`)
  return user + sys
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const commands: ReadonlyArray<ReadonlyArray<string>> = [["status", "--url", nowhere], ["jobs", "--url", nowhere], ["agents", "--url", nowhere], ["config"]]
for (const args of commands) {
  cpuSeconds(args) // warm the file cache
  const runs = Array.from({ length: RUNS }, () => cpuSeconds(args))
  console.log(`cli_${args[0]}_cpu_s=${median(runs).toFixed(2)}`)
}
