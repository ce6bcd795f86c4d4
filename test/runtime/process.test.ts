/**
 * The process runtime with real child processes: the example agent (TypeScript, through tsx)
 * talking to a real gRPC server over the socket; env; process groups; timeout; crash with a
 * 100 MB flood; the orphan sweep after a coordinator crash.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Either, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { EXAMPLE_AGENT_IMAGE } from "../../src/domain/exampleAgent.js"
import type { AgentRuntimeService } from "../../src/layers/AgentRuntime.js"
import { defaultProcessCommands, makeProcessRuntime, parseProcessCommands } from "../../src/layers/runtime/process.js"
import { type FakeCoordinator, newSessionId, startFakeCoordinator } from "./fakeCoordinator.js"
import { crashACoordinator, newSession, scripts, specFor } from "./helpers.js"

const coordinatorId = `0x${"c0".repeat(32)}`
const NODE = "test/node"
let fake: FakeCoordinator
let runtime: AgentRuntimeService
let scope: Scope.CloseableScope
let stateDir: string

const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Effect.scoped(effect))
/** Running, and not a zombie (a killed orphan stays a zombie until whoever adopted it reaps it). */
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] !== "Z"
  } catch {
    return false
  }
}
const pidOf = (id: string) => Number(id.replace(/^pid:/, ""))

beforeAll(async () => {
  fake = await startFakeCoordinator({ tcpHost: "127.0.0.1" })
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "silvana-proc-"))
  scope = Effect.runSync(Scope.make())
  runtime = await Effect.runPromise(
    makeProcessRuntime({
      stopGraceMs: 1000,
      logTailBytes: 64 * 1024,
      stateDir,
      commands: { ...defaultProcessCommands, [NODE]: { entrypoint: [process.execPath], cmd: [] } }
    }).pipe(Scope.extend(scope))
  )
})

afterAll(async () => {
  // Whatever a failed test left behind (crashed stand-in coordinators' agents) goes too.
  if (runtime) await Effect.runPromise(runtime.sweep(coordinatorId, []))
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void))
  await fake?.close()
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true })
})

describe("process runtime", () => {
  it("runs the example agent as a process; it takes jobs over the socket and completes them", async () => {
    const s = newSession()
    const [ok, bad] = fake.addSession(s, ["[1, 2, 3, 4]", "1,,2"])
    const { exit, id } = await run(
      Effect.gen(function* () {
        const h = yield* runtime.start(specFor(coordinatorId, s, fake, { image: EXAMPLE_AGENT_IMAGE }))
        return { exit: yield* h.exit, id: h.id }
      })
    )
    expect(exit).toMatchObject({ reason: "exited", exitCode: 0 })
    expect(fake.completed.get(ok!)).toBe(s.sessionId)
    expect(fake.failed.get(bad!)?.message).toMatch(/bad job data: item 1/)
    const mine = fake.messages.filter((m) => m.sessionId === s.sessionId).map((m) => m.message)
    expect(mine[0]).toMatch(/add agent started/)
    expect(mine).toContain("sum of 4 numbers = 10")
    expect(fs.existsSync(path.join(stateDir, "agents", `${pidOf(id)}.json`))).toBe(false)
  })

  it("gives the agent exactly its env in its own process group, and records its pid while it runs", async () => {
    const s = newSession()
    const spec = specFor(coordinatorId, s, fake, {
      image: NODE,
      command: [
        "-e",
        "const st = require('fs').readFileSync('/proc/self/stat', 'utf8'); const pgrp = st.slice(st.lastIndexOf(')') + 2).split(' ')[2]; console.log(JSON.stringify({ env: process.env, pid: process.pid, pgrp: Number(pgrp) }))"
      ]
    })
    const { out, recorded } = await run(
      Effect.gen(function* () {
        const h = yield* runtime.start(spec)
        const recorded = (yield* runtime.list(coordinatorId)).some((a) => a.id === h.id)
        yield* h.exit
        return { out: JSON.parse((yield* h.logs).stdout) as { env: Record<string, string>; pid: number; pgrp: number }, recorded }
      })
    )
    expect(recorded).toBe(true)
    expect(out.pgrp).toBe(out.pid)
    for (const [k, v] of Object.entries(spec.env)) expect(out.env[k]).toBe(v)
    expect(out.env["COORDINATOR_SOCKET"]).toBe(fake.socketPath)
    const unexpected = Object.keys(out.env).filter(
      (k) => !(k in spec.env) && !["COORDINATOR_SOCKET", "PATH", "HOME", "TMPDIR", "LANG", "TZ"].includes(k)
    )
    expect(unexpected).toEqual([])
  })

  it("stops a hanging agent at its timeout: SIGTERM, then SIGKILL to the whole group", async () => {
    const s = newSession()
    const script =
      "const c = require('child_process').spawn('sleep', ['300'], { stdio: 'ignore' }); console.log(c.pid); process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"
    const { exit, logs, id } = await run(
      Effect.gen(function* () {
        const h = yield* runtime.start(specFor(coordinatorId, s, fake, { image: NODE, timeoutMs: 1500, command: ["-e", script] }))
        return { exit: yield* h.exit, logs: yield* h.logs, id: h.id }
      })
    )
    expect(exit).toMatchObject({ reason: "timeout", signal: "SIGKILL", message: "timeout" })
    const grandchild = Number(logs.stdout.trim())
    expect(grandchild).toBeGreaterThan(0)
    expect(isAlive(grandchild)).toBe(false)
    expect(isAlive(pidOf(id))).toBe(false)
  })

  it("reports a crash's exit code and keeps a bounded tail of a 100 MB flood", async () => {
    const s = newSession()
    const before = process.memoryUsage().rss
    const { exit, logs } = await run(
      Effect.gen(function* () {
        const h = yield* runtime.start(specFor(coordinatorId, s, fake, { image: NODE, command: scripts.flood100MbThenExit3 }))
        return { exit: yield* h.exit, logs: yield* h.logs }
      })
    )
    expect(exit).toMatchObject({ reason: "exited", exitCode: 3, message: "container terminated: exit code 3" })
    expect(logs.totalBytes).toBeGreaterThanOrEqual(100 * 1024 * 1024)
    expect(Buffer.byteLength(logs.stdout)).toBeLessThanOrEqual(64 * 1024)
    expect(logs.stderr).toContain("done flooding")
    expect(process.memoryUsage().rss - before).toBeLessThan(90 * 1024 * 1024)
  })

  it("stops its agents when the scope closes", async () => {
    const s = newSession()
    const { id, exit } = await run(
      Effect.gen(function* () {
        const h = yield* runtime.start(specFor(coordinatorId, s, fake, { image: NODE, command: scripts.hang }))
        return { id: h.id, exit: h.exit }
      })
    )
    expect(isAlive(pidOf(id))).toBe(false)
    expect((await Effect.runPromise(exit)).reason).toBe("stopped")
  })

  it("sweeps the agents a crashed coordinator left behind", async () => {
    const orphanSession = newSessionId()
    const id = await crashACoordinator("process", stateDir, coordinatorId, orphanSession)
    expect(isAlive(pidOf(id))).toBe(true)
    const listed = await Effect.runPromise(runtime.list(coordinatorId))
    expect(listed.find((a) => a.id === id)).toMatchObject({ running: true, owner: { sessionId: orphanSession } })
    const swept = await Effect.runPromise(runtime.sweep(coordinatorId, []))
    expect(swept.map((a) => a.owner.sessionId)).toContain(orphanSession)
    // SIGKILL to the group is asynchronous only by a hair; poll briefly for the process to vanish.
    for (let i = 0; i < 50 && isAlive(pidOf(id)); i++) await new Promise((r) => setTimeout(r, 20))
    expect(isAlive(pidOf(id))).toBe(false)
    expect(await Effect.runPromise(runtime.list(coordinatorId))).toEqual([])
  })

  it("sweeps what is left of a crashed coordinator's agent group after its leader has exited", async () => {
    const pidFile = path.join(stateDir, `grandchild-${Date.now()}.pid`)
    const script = [
      "const c = require('child_process').spawn('sleep', ['300'], { stdio: 'ignore' })",
      `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid))`,
      // The leader outlives the coordinator by a moment, then exits, leaving its child behind.
      "setTimeout(() => process.exit(0), 500)"
    ].join("; ")
    const orphanSession = newSessionId()
    const id = await crashACoordinator("process", stateDir, coordinatorId, orphanSession, ["-e", script])
    for (let i = 0; i < 200 && (isAlive(pidOf(id)) || !fs.existsSync(pidFile)); i++) await new Promise((r) => setTimeout(r, 20))
    expect(isAlive(pidOf(id))).toBe(false)
    const grandchild = Number(fs.readFileSync(pidFile, "utf8"))
    expect(isAlive(grandchild)).toBe(true)
    const swept = await Effect.runPromise(runtime.sweep(coordinatorId, []))
    expect(swept.find((a) => a.id === id)).toMatchObject({ running: false, owner: { sessionId: orphanSession } })
    for (let i = 0; i < 50 && isAlive(grandchild); i++) await new Promise((r) => setTimeout(r, 20))
    expect(isAlive(grandchild)).toBe(false)
  })

  it("refuses an image it has no command for", async () => {
    const r = await Effect.runPromise(Effect.scoped(runtime.start(specFor(coordinatorId, newSession(), fake, { image: "nope:1" }))).pipe(Effect.flip))
    expect(r._tag).toBe("UnknownAgentImage")
  })

  it.runIf(process.getuid?.() === 0)("as root, an agent program another uid cannot reach fails to start with the fix in its message", async () => {
    // A copy of node under a 0700 directory (like a checkout in a private home or mktemp dir).
    const hidden = fs.mkdtempSync(path.join(os.tmpdir(), "silvana-private-"))
    const node = path.join(hidden, "node")
    fs.copyFileSync(process.execPath, node)
    fs.chmodSync(node, 0o755)
    const scoped = await Effect.runPromise(Scope.make())
    try {
      const asNobody = await Effect.runPromise(
        makeProcessRuntime({ stopGraceMs: 1000, logTailBytes: 1024, stateDir, runAsUid: 65534, commands: { "hidden:1": { entrypoint: [node], cmd: ["-e", "0"] } } }).pipe(
          Scope.extend(scoped)
        )
      )
      const r = await Effect.runPromise(Effect.scoped(asNobody.start(specFor(coordinatorId, newSession(), fake, { image: "hidden:1" }))).pipe(Effect.flip))
      expect(r._tag).toBe("AgentStartFailed")
      expect(r.message).toMatch(/EACCES/)
      expect(r.message).toMatch(/agents run as uid 65534 \(AGENT_PROCESS_USER\).*chmod o\+rx/)
    } finally {
      await Effect.runPromise(Scope.close(scoped, Exit.void))
      fs.rmSync(hidden, { recursive: true, force: true })
    }
  })

  it("parses AGENT_PROCESS_COMMANDS", () => {
    expect(parseProcessCommands('{"a:1": ["node", "a.js"], "b:2": {"entrypoint": ["node"], "cmd": ["b.js"], "cwd": "/srv"}}')).toEqual(
      Either.right({ "a:1": { entrypoint: ["node", "a.js"], cmd: [] }, "b:2": { entrypoint: ["node"], cmd: ["b.js"], cwd: "/srv" } })
    )
    expect(Either.isLeft(parseProcessCommands("[1]"))).toBe(true)
    expect(Either.isLeft(parseProcessCommands('{"a": []}'))).toBe(true)
    expect(Either.isLeft(parseProcessCommands("{"))).toBe(true)
  })
})
