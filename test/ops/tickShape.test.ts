/**
 * src/tickShape.ts: after full collections that find no tick object alive (an idle daemon's), the
 * object literal in `process.nextTick` sees a new map and goes megamorphic for good, unless a tick
 * object is held. Each case runs in its own Node process (the state is process-wide) and reads
 * V8's own report of the literal's feedback (`%DebugPrint`), not a timing. The first case checks
 * that the problem still exists in this Node: if it stops failing, the hold is no longer needed.
 */
import { spawn } from "node:child_process"
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const module = path.resolve("src", "tickShape.ts")

const script = `
if (process.env.TICK_KEEP === "1") (await import(${JSON.stringify(module)})).keepTickShape()
const ticks = (n) => new Promise((done) => { let i = 0; const f = () => (++i < n ? process.nextTick(f) : done()); process.nextTick(f) })
await ticks(50_000)
// idle: no tick object alive while the collector runs
await new Promise((r) => setTimeout(r, 20))
for (let k = 0; k < 4; k++) { gc(); await new Promise((r) => setTimeout(r, 5)) }
await ticks(50_000)
// built at run time: V8 parses it with natives syntax, past any loader's transform
new Function("f", "%DebugPrint(f)")(process.nextTick)
`

/** The feedback states of nextTick's literal slots after ticks, idle collections and ticks again. */
const literalFeedback = async (keep: boolean) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-tick-"))
  // a file, not `-e`: an evaluated string does not run as written here
  const file = path.join(dir, "ticks.mjs")
  writeFileSync(file, script)
  // V8 prints to stdout from C++: into a file, as a pipe made non-blocking by Node can drop its end
  const out = path.join(dir, "stdout.txt")
  const fd = openSync(out, "w")
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--expose-gc", "--allow-natives-syntax", file], {
      env: { PATH: process.env["PATH"], TICK_KEEP: keep ? "1" : "0" },
      stdio: ["ignore", fd, "inherit"]
    })
    child.once("error", reject)
    child.once("exit", resolve)
  })
  closeSync(fd)
  expect(code).toBe(0)
  return [...readFileSync(out, "utf8").matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((m) => m[1])
}

describe("keepTickShape", () => {
  it("without it, idle full collections leave nextTick's literal megamorphic", { timeout: 60_000 }, async () => {
    const states = await literalFeedback(false)
    expect(states.length).toBeGreaterThan(0)
    expect(states).toContain("MEGAMORPHIC")
  })

  it("with it, the literal stays monomorphic through the same collections", { timeout: 60_000 }, async () => {
    const states = await literalFeedback(true)
    expect(states.length).toBeGreaterThan(0)
    expect(states.every((s) => s === "MONOMORPHIC")).toBe(true)
  })
})
