/**
 * Operator commands that read a running daemon over its HTTP endpoint:
 * `status`, `jobs [--state …] [--limit …]`, `agents`, and `config` (local, or the daemon's with
 * `--url`). Human tables by default, `--json` for scripts. And one that acts:
 * `failed-jobs restart|remove <app_instance> [--job N …]` for jobs that failed for good.
 *
 * Exit codes: 0 — answered and healthy; 1 — the daemon is unhealthy (status) or cannot be reached
 * or answered with an error; 2 — a usage or configuration error (bad flag, bad URL, bad env).
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Arr from "effect/Array"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Percentiles, PipelineView } from "../domain/statusView.js"
import { configHelp } from "../layers/Config.js"
import { type BadUrl, getJson, postJson, resolveUrl } from "./client.js"
import { age, kv, printConfig, shortId, table } from "./table.js"

const JOB_STATES = ["pending", "starting", "started", "held", "completed", "failed", "terminated"] as const

const url = Options.text("url").pipe(
  Options.withDescription("The daemon's HTTP endpoint (default: http://HTTP_ADDRESS, else http://127.0.0.1:8080)"),
  Options.optional
)
const json = Options.boolean("json").pipe(Options.withDescription("Print the daemon's JSON answer instead of a table"))

const setExit = (code: number) =>
  Effect.sync(() => {
    process.exitCode = code
  })

/** Runs a daemon read: a bad URL is exit 2, an unreachable or failing daemon exit 1, one line on stderr. */
const withDaemon = <E extends { readonly message: string; readonly _tag: string }>(
  flag: Option.Option<string>,
  run: (base: string) => Effect.Effect<void, E>
) =>
  Either.match(resolveUrl(flag), {
    onLeft: (e: BadUrl) => Effect.zipRight(Console.error(e.message), setExit(2)),
    onRight: (base) => run(base).pipe(Effect.catchAll((e) => Effect.zipRight(Console.error(e.message), setExit(1))))
  })

/** Prints a configuration by variable name, as JSON or a table. */
interface CheckView {
  readonly healthy: boolean
  readonly degraded?: boolean
  readonly details: Record<string, unknown>
}
interface StatusView {
  readonly chain: string
  readonly version: string
  readonly healthy: boolean
  readonly ready: boolean
  readonly failing: ReadonlyArray<string>
  readonly uptime_seconds: number
  readonly jobs: Record<string, number>
  readonly totals?: { readonly started: number; readonly completed: number; readonly failed: number }
  readonly agents: { readonly active: number; readonly max: number }
  readonly pipeline?: PipelineView | null
  readonly checks: Record<string, CheckView>
}

const p50p99 = (p: Percentiles) => (p.p50 === null ? "–" : `p50 ${(p.p50 / 1000).toFixed(1)} s, p99 ${((p.p99 ?? p.p50) / 1000).toFixed(1)} s`)

/** The proving pipeline's lines of `status` (the status page's Pipeline view, in text). */
export const pipelineLines = (p: PipelineView): ReadonlyArray<string> => [
  `pipeline since start: actions ${p.actions}, blocks closed ${p.blocksClosed}, proofs ${p.proofsSubmitted} (rejected ${p.proofsRejected}), merge jobs ${p.mergeJobsCreated}, blocks proved ${p.blocksProved}, settled ${p.blocksSettled}`,
  `  action → block closed ${p50p99(p.latencyMs.actionToBlockClosed)}; closed → proved ${p50p99(p.latencyMs.blockClosedToProved)}; proved → settled ${p50p99(p.latencyMs.blockProvedToSettled)}; action → settled ${p50p99(p.latencyMs.actionToSettled)}`,
  // an older daemon's answer has no stalls
  ...(p.stalls ?? []).map((s) => `  STALLED block ${s.block} of ${shortId(s.instance)}: ${s.reason}`)
]

/** `status`: health, job counts, agents, the proving pipeline. Exit 1 when the daemon reports itself unhealthy. */
export const statusCommand = Command.make("status", { url, json }, ({ json, url }) =>
  withDaemon(url, (base) =>
    Effect.gen(function* () {
      const { body: s } = yield* getJson<StatusView>(base, "/v1/status")
      if (json) {
        yield* Console.log(JSON.stringify(s, null, 2))
      } else {
        const state = s.healthy ? "healthy" : `UNHEALTHY (${s.failing.join(", ")})`
        yield* Console.log(
          [
            `coordinator ${s.version} at ${base}: ${state}, ${s.ready ? "ready" : "starting"}, up ${age(s.uptime_seconds)}, chain ${s.chain}`,
            `agents: ${s.agents.active} of ${s.agents.max}`,
            ...(s.totals === undefined
              ? []
              : [`jobs since start: started ${s.totals.started}, completed ${s.totals.completed}, failed ${s.totals.failed}`]),
            `jobs now: ${Object.entries(s.jobs).map(([k, v]) => `${k} ${v}`).join(", ")}`,
            ...(s.pipeline === undefined || s.pipeline === null ? [] : pipelineLines(s.pipeline)),
            "",
            table(
              ["CHECK", "STATUS", "DETAILS"],
              Object.entries(s.checks).map(([name, c]) => [name, !c.healthy ? "FAILING" : c.degraded === true ? "degraded" : "ok", kv(c.details)])
            )
          ].join("\n")
        )
      }
      if (!s.healthy) yield* setExit(1)
    })
  )
).pipe(Command.withDescription("Show the health, job counts and agents of a running coordinator"))

interface JobView {
  readonly job_id: string | null
  readonly state: string
  readonly app_instance: string
  readonly job_sequence: string
  readonly developer: string
  readonly agent: string
  readonly agent_method: string
  readonly attempts: number
  readonly held_by: string | null
  readonly error: string | null
}

/** `jobs`: the daemon's jobs, optionally of one state. */
export const jobsCommand = Command.make(
  "jobs",
  {
    url,
    json,
    state: Options.choice("state", JOB_STATES).pipe(Options.withDescription("Only jobs in this state"), Options.optional),
    limit: Options.integer("limit").pipe(Options.withDescription("At most this many jobs (1 to 10000)"), Options.withDefault(100))
  },
  ({ json, limit, state, url }) =>
    limit < 1 || limit > 10_000
      ? Effect.zipRight(Console.error("--limit: expected an integer from 1 to 10000"), setExit(2))
      : withDaemon(url, (base) =>
          Effect.gen(function* () {
            const query = new URLSearchParams({ limit: String(limit) })
            if (Option.isSome(state)) query.set("state", state.value)
            const { body } = yield* getJson<{ jobs: ReadonlyArray<JobView>; total: number }>(base, `/v1/jobs?${query}`)
            if (json) return yield* Console.log(JSON.stringify(body, null, 2))
            yield* Console.log(
              table(
                ["JOB_ID", "STATE", "DEVELOPER/AGENT/METHOD", "APP_INSTANCE", "SEQ", "ATTEMPTS", "HELD_BY", "ERROR"],
                body.jobs.map((j) => [
                  j.job_id ?? "-",
                  j.state,
                  `${j.developer}/${j.agent}/${j.agent_method}`,
                  shortId(j.app_instance),
                  j.job_sequence,
                  String(j.attempts),
                  shortId(j.held_by),
                  j.error === null ? "" : j.error.replace(/\s+/g, " ").slice(0, 60)
                ])
              )
            )
            yield* Console.log(`${body.jobs.length} shown of ${body.total}`)
          })
        )
).pipe(Command.withDescription("List the jobs a running coordinator knows (optionally of one state)"))

interface AgentView {
  readonly session_id: string
  readonly developer: string
  readonly agent: string
  readonly agent_method: string
  readonly container_id: string | null
  readonly created_at: number
  readonly held_jobs: number
}

/** `agents`: live agent sessions. */
export const agentsCommand = Command.make("agents", { url, json }, ({ json, url }) =>
  withDaemon(url, (base) =>
    Effect.gen(function* () {
      const { body } = yield* getJson<{ agents: ReadonlyArray<AgentView> }>(base, "/v1/agents")
      if (json) return yield* Console.log(JSON.stringify(body, null, 2))
      const now = Date.now()
      yield* Console.log(
        table(
          ["SESSION", "DEVELOPER/AGENT/METHOD", "CONTAINER", "HELD_JOBS", "AGE"],
          body.agents.map((a) => [
            shortId(a.session_id),
            `${a.developer}/${a.agent}/${a.agent_method}`,
            shortId(a.container_id),
            String(a.held_jobs),
            age((now - a.created_at) / 1000)
          ])
        )
      )
      yield* Console.log(`${body.agents.length} agent${body.agents.length === 1 ? "" : "s"} running`)
    })
  )
).pipe(Command.withDescription("List the agent sessions of a running coordinator"))

interface FailedJobsView {
  readonly app_instance: string
  readonly failed_before: ReadonlyArray<string>
  readonly restarted?: ReadonlyArray<string>
  readonly removed?: ReadonlyArray<string>
  readonly not_failed: ReadonlyArray<string>
  readonly tx_digest: string | null
}

/** `failed-jobs restart|remove`: one action on an instance's jobs that failed for good, through the daemon. */
const failedJobsAction = (action: "restart" | "remove", description: string) =>
  Command.make(
    action,
    {
      url,
      json,
      appInstance: Args.text({ name: "app_instance" }).pipe(Args.withDescription("The app instance's object id (0x…)")),
      job: Options.text("job").pipe(
        Options.withDescription("Only this job sequence (repeat for several); default: every failed job of the instance"),
        Options.repeated
      )
    },
    ({ appInstance, job, json, url }) => {
      const bad = job.find((j) => !/^[0-9]{1,20}$/.test(j))
      if (bad !== undefined) return Effect.zipRight(Console.error(`--job: expected a job sequence (a decimal number), got ${JSON.stringify(bad)}`), setExit(2))
      if (!/^0x[0-9a-fA-F]{1,64}$/.test(appInstance)) return Effect.zipRight(Console.error(`app_instance: expected an object id (0x…), got ${JSON.stringify(appInstance)}`), setExit(2))
      return withDaemon(url, (base) =>
        Effect.gen(function* () {
          const { body } = yield* postJson<FailedJobsView>(base, `/v1/failed-jobs/${action}`, {
            app_instance: appInstance,
            ...(job.length === 0 ? {} : { jobs: job })
          })
          if (json) return yield* Console.log(JSON.stringify(body, null, 2))
          const acted = (action === "restart" ? body.restarted : body.removed) ?? []
          const done = action === "restart" ? "restarted" : "removed"
          yield* Console.log(
            [
              acted.length === 0
                ? `nothing to do: ${body.failed_before.length === 0 ? "the instance has no failed jobs" : "none of the jobs asked for is failed"} (failed: ${body.failed_before.join(", ") || "none"})`
                : `${done} ${acted.length} job(s) of ${shortId(body.app_instance)}: ${acted.join(", ")} (tx ${body.tx_digest})`,
              ...(body.not_failed.length === 0 ? [] : [`not failed, left alone: ${body.not_failed.join(", ")}`])
            ].join("\n")
          )
        })
      )
    }
  ).pipe(Command.withDescription(description))

/** `failed-jobs`: jobs that failed for good (max attempts reached) stay failed until the operator acts. */
export const failedJobsCommand = Command.make("failed-jobs").pipe(
  Command.withDescription("Restart or remove an app instance's jobs that failed for good (its block waits for them)"),
  Command.withSubcommands([
    failedJobsAction("restart", "Bring the instance's failed jobs (or those given with --job) back to pending: app_instance::restart_failed_app_jobs"),
    failedJobsAction("remove", "Delete the instance's failed jobs (or those given with --job): app_instance::remove_failed_app_jobs")
  ])
)

const variables: Array<[Span.Span, HelpDoc.HelpDoc]> = configHelp().map((s) => [Span.text(`${s.name} (unset: ${s.unset})`), HelpDoc.p(s.description)])
const variablesHelp = Arr.isNonEmptyArray(variables) ? HelpDoc.descriptionList(variables) : HelpDoc.empty

/**
 * `config`: without `--url`, the effective configuration this machine's environment gives (what
 * `start` would use, with the agent runtime and agent API address resolved as `start` resolves
 * them), as JSON; with `--url`, the configuration the running daemon uses. Secrets are redacted
 * either way. `config --help` describes every variable.
 */
export const configCommand = Command.make(
  "config",
  { url, table: Options.boolean("table").pipe(Options.withDescription("Print a table instead of JSON")) },
  ({ table: asTable, url }) =>
    Option.isSome(url)
      ? withDaemon(url, (base) => Effect.flatMap(getJson<Record<string, unknown>>(base, "/v1/config"), ({ body }) => printConfig(body, !asTable)))
      : Effect.flatMap(
          Effect.promise(() => import("./localConfig.js")),
          (m) => m.localConfig(!asTable)
        )
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p("Print the effective configuration (secrets redacted); with --url, the running daemon's."),
      HelpDoc.p("Every setting is an environment variable:"),
      variablesHelp
    ])
  )
)

/** The operator commands, for `Command.withSubcommands`. */
export const operatorCommands = [statusCommand, jobsCommand, agentsCommand, failedJobsCommand] as const
