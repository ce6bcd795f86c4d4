/**
 * One agent as a child process: spawned detached (its own process group) with only its own
 * environment, its output in bounded tails, its exit decided once, and stop = SIGTERM to the
 * group, a grace period, SIGKILL. On exit whatever it left in its group is killed too.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { Deferred, Duration, Effect } from "effect"
import { type AgentHandle, type AgentSpec, AgentStartFailed, type ExitInfo, makeExit } from "../AgentRuntime.js"
import { OutputTails } from "./logTail.js"
import { killGroup, type PidRecords, procStartTime } from "./processRecords.js"

/** The only variables of the daemon's own environment an agent sees (spec/runtime.md adds its contract). */
const PASSTHROUGH_ENV = ["PATH", "HOME", "TMPDIR"] as const

/** Who agents run as when the daemon is root. */
export type RunAs = { readonly uid: number; readonly gid: number } | undefined

/** The agent's whole environment: a few of the daemon's, the spec's, and the coordinator socket. */
export const agentEnv = (spec: AgentSpec, runAs: RunAs): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const k of PASSTHROUGH_ENV) {
    const v = process.env[k]
    if (v !== undefined) env[k] = v
  }
  // Another uid cannot use the daemon's home; it gets the shared temporary directory instead.
  if (runAs !== undefined) env["HOME"] = env["TMPDIR"] ?? "/tmp"
  Object.assign(env, spec.env)
  if (spec.socketPath !== undefined) env["COORDINATOR_SOCKET"] = spec.socketPath
  return env
}

type ExitEvent = { readonly code: number | null; readonly signal: NodeJS.Signals | null }

interface Spawned {
  readonly child: ChildProcess
  readonly exitEvent: Promise<ExitEvent>
  readonly streamsClosed: Promise<void>
}

/**
 * What to do about a refused spawn when agents run as another uid: the usual cause is a checkout
 * (or node install) under a directory only its owner may enter, such as a 0700 home or mktemp dir.
 */
export const spawnHint = (e: NodeJS.ErrnoException, runAs: RunAs): string =>
  e.code === "EACCES" && runAs !== undefined
    ? ` (agents run as uid ${runAs.uid} (AGENT_PROCESS_USER): the program and every directory above it must be readable and searchable by that uid, e.g. chmod o+rx on a private parent directory)`
    : ""

/** Spawns the agent; succeeds once it runs, with its exit already listened for. */
export const spawnAgent = (
  name: string,
  argv: ReadonlyArray<string>,
  options: { readonly env: Record<string, string>; readonly runAs: RunAs; readonly cwd?: string | undefined }
) =>
  Effect.async<Spawned, AgentStartFailed>((resume) => {
    const c = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.runAs === undefined ? {} : options.runAs),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd })
    })
    // Listen for the exit at once: an agent that dies instantly must not be missed.
    const exitEvent = new Promise<ExitEvent>((resolve) => c.once("exit", (code, signal) => resolve({ code, signal })))
    const streamsClosed = new Promise<void>((resolve) => c.once("close", () => resolve()))
    const onError = (e: NodeJS.ErrnoException) =>
      resume(Effect.fail(new AgentStartFailed({ name, message: `spawn ${argv[0]}: ${e.message}${spawnHint(e, options.runAs)}` })))
    c.once("error", onError)
    c.once("spawn", () => {
      c.off("error", onError)
      resume(Effect.succeed({ child: c, exitEvent, streamsClosed }))
    })
  })

/** A running agent process and what the runtime knows of it. */
export class ProcessAgent {
  readonly tails: OutputTails
  timedOut = false
  private stopping = false
  private removed = false

  private constructor(
    private readonly spawned: Spawned,
    readonly pid: number,
    private readonly name: string,
    private readonly records: PidRecords,
    private readonly exited: Deferred.Deferred<ExitInfo>,
    private readonly options: { readonly stopGraceMs: number; readonly logTailBytes: number }
  ) {
    this.tails = new OutputTails(options.logTailBytes)
    spawned.child.stdout!.on("data", (c: Buffer) => this.tails.stdout.write(c))
    spawned.child.stderr!.on("data", (c: Buffer) => this.tails.stderr.write(c))
    void spawned.exitEvent.then((e) => this.onExit(e))
  }

  /** Records the spawned agent (pid record) and starts following its output and exit. */
  static make = (
    spawned: Spawned,
    name: string,
    image: string,
    owner: AgentSpec["labels"],
    records: PidRecords,
    options: { readonly stopGraceMs: number; readonly logTailBytes: number }
  ) =>
    Effect.gen(function* () {
      const pid = spawned.child.pid!
      records.write({ pid, startTime: procStartTime(pid), name, image, owner })
      const exited = yield* Deferred.make<ExitInfo>()
      return new ProcessAgent(spawned, pid, name, records, exited, options)
    })

  private onExit({ code, signal }: ExitEvent): void {
    // Anything the agent left running in its group goes with it.
    killGroup(this.pid, "SIGKILL")
    const info = makeExit({
      reason: this.timedOut ? "timeout" : this.stopping ? "stopped" : signal !== null ? "signal" : "exited",
      exitCode: code,
      signal
    })
    // Give the pipes a moment to deliver the last output; a grandchild holding them open
    // was just killed, so this is short.
    void Promise.race([this.spawned.streamsClosed, new Promise((r) => setTimeout(r, 2000))]).then(() => {
      this.records.remove(this.pid)
      Effect.runSync(Deferred.succeed(this.exited, info))
    })
  }

  private awaitExit(ms: number) {
    return Effect.interruptible(Deferred.await(this.exited)).pipe(Effect.timeout(Duration.millis(ms)), Effect.option)
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; then its exit, or `lost` if none comes. */
  stop(graceMs: number = this.options.stopGraceMs): Effect.Effect<ExitInfo> {
    const self = this
    return Effect.gen(function* () {
      if (!(yield* Deferred.isDone(self.exited))) {
        if (!self.timedOut) self.stopping = true
        killGroup(self.pid, "SIGTERM")
        const done = yield* self.awaitExit(graceMs)
        if (done._tag === "None") killGroup(self.pid, "SIGKILL")
      }
      const final = yield* self.awaitExit(10_000)
      if (final._tag === "Some") return final.value
      const lost = makeExit({ reason: "lost", exitCode: null, signal: null })
      yield* Deferred.succeed(self.exited, lost)
      return lost
    }).pipe(Effect.withSpan("AgentRuntime.stop", { attributes: { agent: this.name } }))
  }

  /** Stops it, closes its pipes and removes its record. Idempotent. */
  remove(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.removed) return Effect.void
      this.removed = true
      return this.stop().pipe(
        Effect.zipRight(
          Effect.sync(() => {
            this.spawned.child.stdout?.destroy()
            this.spawned.child.stderr?.destroy()
            this.records.remove(this.pid)
          })
        )
      )
    }).pipe(Effect.withSpan("AgentRuntime.remove", { attributes: { agent: this.name } }))
  }

  /** Completes once the agent has ended. */
  get exit(): Effect.Effect<ExitInfo> {
    return Deferred.await(this.exited)
  }

  /** The handle the runtime hands out; `uid` is the one its TCP connections belong to. */
  handle(uid: number | undefined): AgentHandle {
    return {
      id: `pid:${this.pid}`,
      name: this.name,
      exit: this.exit,
      logs: Effect.sync(() => this.tails.view()),
      stop: (graceMs) => this.stop(graceMs),
      remove: this.remove(),
      peer: { addresses: [], uid }
    }
  }
}
