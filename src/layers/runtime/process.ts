/**
 * The process runtime: an agent as a local child process, for development and machines without
 * Docker. A command map says which program serves which image (Docker's ENTRYPOINT + CMD split,
 * so `spec.command` replaces the CMD part as it does for a container).
 *
 * Same guarantees as a container: the agent gets only its own env (plus PATH/HOME/TMPDIR/LANG),
 * runs in its own process group (detached) so that stop/timeout reach everything it started:
 * SIGTERM to the group, a grace period, SIGKILL; output goes to bounded tails; on exit the
 * group is killed and its record removed. Each running agent has a record
 * `<STATE_DIR>/agents/<pid>.json` (pid, start time, owner), so a coordinator restarted after a
 * crash can `sweep` what the crash left behind — the start time guards against a reused pid.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Config as C, ConfigError, Deferred, Duration, Effect, Either, Fiber, Layer, type Scope } from "effect"
import { EXAMPLE_AGENT_IMAGE } from "../../domain/exampleAgent.js"
import {
  type AgentHandle,
  type AgentInfo,
  type AgentOwner,
  AgentRuntime,
  type AgentRuntimeService,
  type AgentSpec,
  type AgentStartError,
  AgentStartFailed,
  agentName,
  type ExitInfo,
  type LogTail,
  makeExit,
  type RuntimeOptions,
  UnknownAgentImage,
  forkRunLimit
} from "../AgentRuntime.js"
import { shortSecret } from "../../domain/redact.js"
import { TailBuffer } from "./logTail.js"

/** How to run an image as a process: `entrypoint` then `cmd` (which `spec.command` replaces). */
export interface ProcessCommand {
  readonly entrypoint: ReadonlyArray<string>
  readonly cmd: ReadonlyArray<string>
  /** Working directory (default: the coordinator's). */
  readonly cwd?: string | undefined
}

export type ProcessCommands = Readonly<Record<string, ProcessCommand>>

export interface ProcessRuntimeOptions extends RuntimeOptions {
  readonly stateDir: string
  readonly commands: ProcessCommands
  /**
   * `AGENT_PROCESS_USER`: the uid (and gid) agents run as when the daemon runs as root, so that
   * they cannot read the daemon's or each other's /proc/<pid>/environ. Ignored when not root
   * (agents then run as the daemon's user: this runtime is for development).
   */
  readonly runAsUid?: number | undefined
}

/** The nearest directory above this module with a package.json (src/…, dist/… or the bundled daemon's chunks). */
const repoRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  return dir
})()

/** The bundled example agent is served out of the box: EXAMPLE_AGENT_IMAGE runs examples/add-agent. */
export const defaultProcessCommands: ProcessCommands = {
  [EXAMPLE_AGENT_IMAGE]: {
    entrypoint: [process.execPath, "--import", "tsx"],
    cmd: [path.join(repoRoot, "examples", "add-agent", "main.ts")],
    cwd: repoRoot
  }
}

/**
 * Parses `AGENT_PROCESS_COMMANDS`: a JSON object from image to either an argv array
 * (`["node", "agent.js"]`) or `{ "entrypoint": [...], "cmd": [...], "cwd": "..." }`.
 */
export const parseProcessCommands = (raw: string): Either.Either<ProcessCommands, string> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (e) {
    return Either.left(`expected a JSON object, got invalid JSON (${(e as Error).message})`)
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return Either.left("expected a JSON object of image → command")
  const strings = (v: unknown): v is Array<string> => Array.isArray(v) && v.every((x) => typeof x === "string")
  const out: Record<string, ProcessCommand> = {}
  for (const [image, v] of Object.entries(parsed)) {
    if (strings(v) && v.length > 0) {
      out[image] = { entrypoint: v, cmd: [] }
    } else if (typeof v === "object" && v !== null && strings((v as { entrypoint?: unknown }).entrypoint)) {
      const o = v as { entrypoint: Array<string>; cmd?: unknown; cwd?: unknown }
      if (o.entrypoint.length === 0) return Either.left(`${image}: entrypoint must not be empty`)
      if (o.cmd !== undefined && !strings(o.cmd)) return Either.left(`${image}: cmd must be an array of strings`)
      if (o.cwd !== undefined && typeof o.cwd !== "string") return Either.left(`${image}: cwd must be a string`)
      out[image] = { entrypoint: o.entrypoint, cmd: (o.cmd as Array<string> | undefined) ?? [], cwd: o.cwd as string | undefined }
    } else {
      return Either.left(`${image}: expected an argv array or {"entrypoint": [...], "cmd": [...]}`)
    }
  }
  return Either.right(out)
}

/** `AGENT_PROCESS_COMMANDS` merged over the defaults. */
export const processCommandsConfig = C.option(
  C.string("AGENT_PROCESS_COMMANDS").pipe(
    C.mapOrFail((raw) => Either.mapLeft(parseProcessCommands(raw), (m) => ConfigError.InvalidData([], m)))
  )
).pipe(C.map((o) => (o._tag === "Some" ? { ...defaultProcessCommands, ...o.value } : defaultProcessCommands)))

interface PidRecord {
  readonly pid: number
  /** Field 22 of /proc/<pid>/stat: tells the agent from a later process that reused the pid. */
  readonly startTime: string | null
  readonly name: string
  readonly image: string
  readonly owner: AgentOwner
}

const procStartTime = (pid: number): string | null => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces and parentheses: split after its closing paren.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null
  } catch {
    return null
  }
}

/** Field 3 of /proc/<pid>/stat; `Z` is a zombie: dead, only waiting for its parent to reap it. */
const procState = (pid: number): string | null => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? null
  } catch {
    return null
  }
}

const alive = (r: Pick<PidRecord, "pid" | "startTime">): boolean => {
  try {
    process.kill(r.pid, 0)
  } catch {
    return false
  }
  if (procState(r.pid) === "Z") return false
  return r.startTime === null || procStartTime(r.pid) === r.startTime
}

const signalable = (target: number): boolean => {
  try {
    process.kill(target, 0)
    return true
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}
const pidExists = (pid: number) => signalable(pid)
const groupExists = (pgid: number) => signalable(-pgid)

const killGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}

/** The only variables of the daemon's own environment an agent sees (spec/runtime.md adds its contract). */
const PASSTHROUGH_ENV = ["PATH", "HOME", "TMPDIR"] as const

export const makeProcessRuntime = (options: ProcessRuntimeOptions) =>
  Effect.gen(function* () {
    const recordDir = path.resolve(options.stateDir, "agents")
    yield* Effect.sync(() => fs.mkdirSync(recordDir, { recursive: true, mode: 0o700 }))
    const recordPath = (pid: number) => path.join(recordDir, `${pid}.json`)
    const live = new Set<AgentHandle>()
    const runAs = process.getuid?.() === 0 && options.runAsUid !== undefined ? { uid: options.runAsUid, gid: options.runAsUid } : undefined
    const agentUid = runAs?.uid ?? process.getuid?.()

    const readRecords = Effect.sync(() =>
      fs.readdirSync(recordDir).flatMap((f): Array<PidRecord> => {
        if (!f.endsWith(".json")) return []
        try {
          return [JSON.parse(fs.readFileSync(path.join(recordDir, f), "utf8")) as PidRecord]
        } catch {
          return []
        }
      })
    )

    const start = (spec: AgentSpec): Effect.Effect<AgentHandle, AgentStartError, Scope.Scope> =>
      Effect.gen(function* () {
        const command = options.commands[spec.image]
        if (command === undefined) {
          return yield* new UnknownAgentImage({
            image: spec.image,
            message: `no process command for image ${spec.image}; add it to AGENT_PROCESS_COMMANDS`
          })
        }
        const name = spec.name ?? agentName(spec.labels)
        const argv = [...command.entrypoint, ...(spec.command ?? command.cmd)]
        const env: Record<string, string> = {}
        for (const k of PASSTHROUGH_ENV) {
          const v = process.env[k]
          if (v !== undefined) env[k] = v
        }
        // Another uid cannot use the daemon's home; it gets the shared temporary directory instead.
        if (runAs !== undefined) env["HOME"] = env["TMPDIR"] ?? "/tmp"
        Object.assign(env, spec.env)
        if (spec.socketPath !== undefined) env["COORDINATOR_SOCKET"] = spec.socketPath

        type ExitEvent = { readonly code: number | null; readonly signal: NodeJS.Signals | null }
        const { child, exitEvent, streamsClosed } = yield* Effect.async<
          { child: ChildProcess; exitEvent: Promise<ExitEvent>; streamsClosed: Promise<void> },
          AgentStartFailed
        >(
          (resume) => {
            const c = spawn(argv[0]!, argv.slice(1), {
              detached: true,
              env,
              stdio: ["ignore", "pipe", "pipe"],
              ...(runAs === undefined ? {} : runAs),
              ...(command.cwd === undefined ? {} : { cwd: command.cwd })
            })
            // Listen for the exit at once: an agent that dies instantly must not be missed.
            const exitEvent = new Promise<ExitEvent>((resolve) => c.once("exit", (code, signal) => resolve({ code, signal })))
            const streamsClosed = new Promise<void>((resolve) => c.once("close", () => resolve()))
            const onError = (e: Error) =>
              resume(Effect.fail(new AgentStartFailed({ name, message: `spawn ${argv[0]}: ${e.message}` })))
            c.once("error", onError)
            c.once("spawn", () => {
              c.off("error", onError)
              resume(Effect.succeed({ child: c, exitEvent, streamsClosed }))
            })
          }
        )
        const pid = child.pid!
        const record: PidRecord = { pid, startTime: procStartTime(pid), name, image: spec.image, owner: spec.labels }
        fs.writeFileSync(recordPath(pid), JSON.stringify(record), { mode: 0o600 })

        const stdout = new TailBuffer(options.logTailBytes)
        const stderr = new TailBuffer(options.logTailBytes)
        child.stdout!.on("data", (c: Buffer) => stdout.write(c))
        child.stderr!.on("data", (c: Buffer) => stderr.write(c))


        const exited = yield* Deferred.make<ExitInfo>()
        let timedOut = false
        let stopping = false
        let removed = false

        void exitEvent.then(({ code, signal }) => {
          // Anything the agent left running in its group goes with it.
          killGroup(pid, "SIGKILL")
          const info = makeExit({
            reason: timedOut ? "timeout" : stopping ? "stopped" : signal !== null ? "signal" : "exited",
            exitCode: code,
            signal
          })
          // Give the pipes a moment to deliver the last output; a grandchild holding them open
          // was just killed, so this is short.
          void Promise.race([streamsClosed, new Promise((r) => setTimeout(r, 2000))]).then(() => {
            fs.rmSync(recordPath(pid), { force: true })
            Effect.runSync(Deferred.succeed(exited, info))
          })
        })

        const logs = Effect.sync(
          (): LogTail => ({
            stdout: stdout.text(),
            stderr: stderr.text(),
            totalBytes: stdout.total + stderr.total,
            truncated: stdout.truncated || stderr.truncated
          })
        )

        const awaitExit = (ms: number) => Effect.interruptible(Deferred.await(exited)).pipe(Effect.timeout(Duration.millis(ms)), Effect.option)

        const stop = (graceMs: number = options.stopGraceMs) =>
          Effect.gen(function* () {
            if (!(yield* Deferred.isDone(exited))) {
              if (!timedOut) stopping = true
              killGroup(pid, "SIGTERM")
              const done = yield* awaitExit(graceMs)
              if (done._tag === "None") killGroup(pid, "SIGKILL")
            }
            const final = yield* awaitExit(10_000)
            if (final._tag === "Some") return final.value
            const lost = makeExit({ reason: "lost", exitCode: null, signal: null })
            yield* Deferred.succeed(exited, lost)
            return lost
          }).pipe(Effect.withSpan("AgentRuntime.stop", { attributes: { agent: name } }))

        const remove = Effect.gen(function* () {
          if (removed) return
          removed = true
          yield* stop()
          child.stdout?.destroy()
          child.stderr?.destroy()
          fs.rmSync(recordPath(pid), { force: true })
        }).pipe(Effect.withSpan("AgentRuntime.remove", { attributes: { agent: name } }))

        const handle: AgentHandle = {
          id: `pid:${pid}`,
          name,
          exit: Deferred.await(exited),
          logs,
          stop,
          remove,
          peer: { addresses: [], uid: agentUid }
        }
        live.add(handle)

        const timer = yield* forkRunLimit(name, spec.timeoutMs, () => (timedOut = true), Effect.suspend(() => stop()), Deferred.await(exited))
        yield* Effect.addFinalizer(() =>
          remove.pipe(Effect.ensuring(Fiber.interrupt(timer)), Effect.ensuring(Effect.sync(() => live.delete(handle))))
        )
        return handle
      }).pipe(
        Effect.withSpan("AgentRuntime.start", { attributes: { image: spec.image, session_id: shortSecret(spec.labels.sessionId) } })
      )

    const list = (coordinatorId: string) =>
      readRecords.pipe(
        Effect.map((rs) =>
          rs
            .filter((r) => r.owner.coordinatorId === coordinatorId)
            .map((r): AgentInfo => ({ id: `pid:${r.pid}`, name: r.name, owner: r.owner, running: alive(r) }))
        ),
        Effect.withSpan("AgentRuntime.list")
      )

    const sweep = (coordinatorId: string, liveSessionIds: Iterable<string>) =>
      Effect.gen(function* () {
        const keep = new Set(liveSessionIds)
        const records = (yield* readRecords).filter((r) => r.owner.coordinatorId === coordinatorId && !keep.has(r.owner.sessionId))
        const swept: Array<AgentInfo> = []
        for (const r of records) {
          const running = alive(r)
          // Kill the group when its leader is ours (running, or a zombie nobody reaped yet), or
          // when the leader is gone but members remain (the kernel does not hand out a pid that
          // is still a live group's id, so the group is ours). A process with that pid and
          // another start time is not ours: leave it alone.
          const leaderIsOurs = r.startTime !== null && procStartTime(r.pid) === r.startTime
          if (running || leaderIsOurs || (!pidExists(r.pid) && groupExists(r.pid))) killGroup(r.pid, "SIGKILL")
          fs.rmSync(recordPath(r.pid), { force: true })
          swept.push({ id: `pid:${r.pid}`, name: r.name, owner: r.owner, running })
        }
        if (swept.length > 0) yield* Effect.logWarning(`swept ${swept.length} orphan agent process(es)`)
        return swept
      }).pipe(Effect.withSpan("AgentRuntime.sweep"))

    yield* Effect.addFinalizer(() => Effect.forEach([...live], (h) => h.remove, { concurrency: "unbounded", discard: true }))

    return AgentRuntime.of({
      agentUser: runAs,
      kind: "process",
      start,
      list,
      sweep,
      health: Effect.succeed({ kind: "process" as const, version: process.version })
    } satisfies AgentRuntimeService)
  })

/** The process runtime as the `AgentRuntime` layer. */
export const processLayer = (options: ProcessRuntimeOptions) => Layer.scoped(AgentRuntime, makeProcessRuntime(options))
