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
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Config as C, ConfigError, Effect, Either, Fiber, Layer, type Scope } from "effect"
import { EXAMPLE_AGENT_IMAGE, PIPELINE_AGENT_IMAGE } from "../../domain/exampleAgent.js"
import {
  type AgentHandle,
  AgentRuntime,
  type AgentRuntimeService,
  type AgentSpec,
  type AgentStartError,
  agentName,
  type RuntimeOptions,
  UnknownAgentImage,
  forkRunLimit
} from "../AgentRuntime.js"
import { shortSecret } from "../../domain/redact.js"
import { agentEnv, ProcessAgent, type RunAs, spawnAgent } from "./processAgent.js"
import { PidRecords } from "./processRecords.js"

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

/** The bundled example agents are served out of the box: EXAMPLE_AGENT_IMAGE runs examples/add-agent, PIPELINE_AGENT_IMAGE examples/pipeline-agent. */
export const defaultProcessCommands: ProcessCommands = {
  [EXAMPLE_AGENT_IMAGE]: {
    entrypoint: [process.execPath, "--import", "tsx"],
    cmd: [path.join(repoRoot, "examples", "add-agent", "main.ts")],
    cwd: repoRoot
  },
  // the embedded demo's proving pipeline; it settles to a file ledger under the temp dir
  [PIPELINE_AGENT_IMAGE]: {
    entrypoint: [process.execPath, "--import", "tsx"],
    cmd: [path.join(repoRoot, "examples", "pipeline-agent", "main.ts")],
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

export const makeProcessRuntime = (options: ProcessRuntimeOptions) =>
  Effect.gen(function* () {
    const records = yield* PidRecords.make(options.stateDir)
    const live = new Set<AgentHandle>()
    const runAs: RunAs = process.getuid?.() === 0 && options.runAsUid !== undefined ? { uid: options.runAsUid, gid: options.runAsUid } : undefined
    const agentUid = runAs?.uid ?? process.getuid?.()

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
        const spawned = yield* spawnAgent(name, argv, { env: agentEnv(spec, runAs), runAs, cwd: command.cwd })
        const agent = yield* ProcessAgent.make(spawned, name, spec.image, spec.labels, records, options)
        const handle = agent.handle(agentUid)
        live.add(handle)

        const timer = yield* forkRunLimit(name, spec.timeoutMs, () => (agent.timedOut = true), Effect.suspend(() => agent.stop()), agent.exit)
        yield* Effect.addFinalizer(() =>
          handle.remove.pipe(Effect.ensuring(Fiber.interrupt(timer)), Effect.ensuring(Effect.sync(() => live.delete(handle))))
        )
        return handle
      }).pipe(
        Effect.withSpan("AgentRuntime.start", { attributes: { image: spec.image, session_id: shortSecret(spec.labels.sessionId) } })
      )

    yield* Effect.addFinalizer(() => Effect.forEach([...live], (h) => h.remove, { concurrency: "unbounded", discard: true }))

    return AgentRuntime.of({
      agentUser: runAs,
      kind: "process",
      start,
      list: (coordinatorId) => records.list(coordinatorId),
      sweep: (coordinatorId, liveSessionIds) => records.sweep(coordinatorId, liveSessionIds),
      health: Effect.succeed({ kind: "process" as const, version: process.version })
    } satisfies AgentRuntimeService)
  })

/** The process runtime as the `AgentRuntime` layer. */
export const processLayer = (options: ProcessRuntimeOptions) => Layer.scoped(AgentRuntime, makeProcessRuntime(options))
