/**
 * HttpApi — the operator's HTTP endpoint on `HTTP_ADDRESS` (default 127.0.0.1:8080):
 *
 * | route | answer |
 * |---|---|
 * | `GET /health` | 200 when every registered check is healthy, else 503 naming the failing ones (JSON) |
 * | `GET /ready` | 200 once start-up is complete, else 503 |
 * | `GET /metrics` | Prometheus text format 0.0.4 |
 * | `GET /v1/status` | health summary, job counts by state, agents, listeners |
 * | `GET /v1/jobs?state=…&limit=…` | jobs of the store (no payloads) |
 * | `GET /v1/agents` | live agent sessions (never their keys) |
 * | `GET /v1/config` | the effective configuration, secrets redacted |
 * | `POST /v1/failed-jobs/restart`, `/remove` | an instance's jobs that failed for good back to pending, or deleted (JSON body `{ app_instance, jobs? }`) |
 * | `GET /`, `/assets/*` | the live status page (StatusPage.ts); `/?token=…` signs a browser in |
 * | `GET /v1/feed` | the page's Server-Sent Events: snapshots and agent/transaction events |
 * | `GET /v1/feed/jobs?q=&state=`, `/v1/feed/job?app_instance=&sequence=` | job search, one job's timeline |
 *
 * `/v1/*` needs the bearer token of `<STATE_DIR>/api-token` and an allowed `Host` (HttpAuth.ts).
 * `/health`, `/metrics` and `/v1/status` serve the report the refresher keeps (every
 * `refreshEvery`), so a scrape never calls the node; requests are served at most `maxConcurrent`
 * at a time. The server lives in the layer's scope and binds where it is told (default loopback).
 */
import { createServer } from "node:http"
import * as path from "node:path"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Data, Duration, Effect, Layer, Option, ParseResult, Schedule, Schema } from "effect"
import { JobState, type StoredJob } from "../domain/job.js"
import { actOnFailedJobs, type FailedJobsAction } from "./appApi/failedJobs.js"
import { AppApi } from "./AppApi.js"
import { AgentApi } from "./AgentApi.js"
import { shortSecret } from "../domain/redact.js"
import { AgentRuntime } from "./AgentRuntime.js"
import { Config, type HostPort } from "./Config.js"
import { Health, registerStandardChecks } from "./Health.js"
import { API_TOKEN_FILE, type ApiAuth, guardV1, loadOrCreateApiToken } from "./HttpAuth.js"
import { JobStore } from "./JobStore.js"
import * as Metrics from "./Metrics.js"
import { PipelineStatus } from "./PipelineStatus.js"
import { Sessions } from "./Sessions.js"
import { pageAsset, pageEvents, pageIndex, pageJobSearch, pageJobTimeline, StatusPage } from "./StatusPage.js"

export const VERSION = "0.1.0"

export interface HttpApiService {
  /** Where the server listens (the real port when 0 was asked for). */
  readonly address: HostPort
  readonly url: string
  /** The `/v1/*` guard's token and host names (tests and embedders read the token here). */
  readonly auth: ApiAuth
}

export interface HttpApiOptions {
  /** Default: the token of `<STATE_DIR>/api-token` (created at first start), `HTTP_ALLOWED_HOSTS`. */
  readonly auth?: ApiAuth
  /** Requests served at once; the rest wait their turn (default 64). */
  readonly maxConcurrent?: number
  /** How often the health report and the gauges derived from it are refreshed (default 2 s). */
  readonly refreshEvery?: Duration.DurationInput
}

export class HttpApiStartError extends Data.TaggedError("HttpApiStartError")<{ readonly message: string }> {}

/** The JSON form of a job for operators: ids, triple, state, holder; never the payload itself. */
export const jobView = (j: StoredJob) => ({
  job_id: j.jobId ?? null,
  state: j.state,
  app_instance: `0x${j.appInstance}`,
  job_sequence: j.jobSequence.toString(),
  developer: j.developer,
  agent: j.agent,
  agent_method: j.agentMethod,
  app: j.app,
  app_instance_method: j.appInstanceMethod,
  attempts: j.attempts,
  held_by: j.heldBy === undefined ? null : shortSecret(j.heldBy),
  error: j.error ?? null,
  data_bytes: j.data.length,
  created_at: Number(j.createdAt),
  updated_at: Number(j.updatedAt)
})

const MAX_LIMIT = 10_000

const badRequest = (message: string) => HttpServerResponse.unsafeJson({ error: message }, { status: 400 })

/**
 * Refreshes the health report on the refresher's timer: the checks run (which also read the node's
 * tip and the cursor for the checkpoint gauges) and their gauges follow.
 */
export const refreshHealth = Effect.gen(function* () {
  const report = yield* (yield* Health).refresh
  yield* Metrics.healthChecks(report.checks)
})

/** The gauges read from memory at each scrape (store and session counts); never the node. */
const refreshGauges = Effect.gen(function* () {
  const store = yield* JobStore
  const sessions = yield* Sessions
  const config = yield* Config
  yield* Metrics.setJobCounts({ ...(yield* store.stats) })
  const active = (yield* sessions.list).length
  yield* Metrics.agents(active, Math.max(0, config.maxConcurrentAgents - active))
})

const healthResponse = Effect.gen(function* () {
  const report = yield* (yield* Health).latest
  return HttpServerResponse.unsafeJson(
    { status: report.healthy ? (report.degraded.length > 0 ? "degraded" : "ok") : "unhealthy", ...report },
    { status: report.healthy ? 200 : 503 }
  )
})

const pipelineView = Effect.flatMap(Effect.serviceOption(PipelineStatus), (p) => (Option.isSome(p) ? p.value.view : Effect.succeed(null)))

const status = Effect.gen(function* () {
  const config = yield* Config
  const report = yield* (yield* Health).latest
  const stats = yield* (yield* JobStore).stats
  const sessions = yield* (yield* Sessions).list
  return HttpServerResponse.unsafeJson({
    service: "silvana-coordinator",
    version: VERSION,
    chain: config.suiChain,
    healthy: report.healthy,
    ready: report.ready,
    failing: report.failing,
    uptime_seconds: report.uptimeSeconds,
    jobs: stats,
    // Since this process started (the live status line shows the same counters).
    totals: yield* Metrics.jobTotals,
    agents: { active: sessions.length, max: config.maxConcurrentAgents },
    // The proving pipeline (null when it does not run here): the status page shows the same.
    pipeline: yield* pipelineView,
    checks: report.checks
  })
})

const jobs = Effect.gen(function* () {
  const params = yield* HttpServerRequest.ParsedSearchParams
  const rawState = params["state"]
  const rawLimit = params["limit"]
  if (Array.isArray(rawState) || Array.isArray(rawLimit)) return badRequest("state and limit may be given once")
  let state: JobState | undefined
  if (rawState !== undefined && rawState !== "") {
    if (!Schema.is(JobState)(rawState)) return badRequest(`state must be one of ${JobState.literals.join(", ")}`)
    state = rawState
  }
  let limit = 100
  if (rawLimit !== undefined && rawLimit !== "") {
    const n = Number(rawLimit)
    if (!Number.isSafeInteger(n) || n <= 0 || n > MAX_LIMIT) return badRequest(`limit must be an integer from 1 to ${MAX_LIMIT}`)
    limit = n
  }
  const store = yield* JobStore
  const list = yield* store.list(state, limit)
  const stats = yield* store.stats
  return HttpServerResponse.unsafeJson({ jobs: list.map(jobView), total: state === undefined ? stats.total : stats[state] })
})

const agents = Effect.gen(function* () {
  const sessions = yield* (yield* Sessions).list
  const store = yield* JobStore
  const out = yield* Effect.forEach(sessions, (s) =>
    Effect.map(store.heldBy(s.id), (held) => ({
      session_id: shortSecret(s.id),
      developer: s.triple.developer,
      agent: s.triple.agent,
      agent_method: s.triple.agentMethod,
      container_id: s.containerId ?? null,
      created_at: s.createdAt,
      held_jobs: held.length
    }))
  )
  return HttpServerResponse.unsafeJson({ agents: out })
})

/** The configuration in use, with what start-up resolved (runtime, agent API address) filled in. */
const effectiveConfig = Effect.gen(function* () {
  const config = yield* Config
  const runtime = yield* Effect.serviceOption(AgentRuntime)
  const api = yield* Effect.serviceOption(AgentApi)
  return HttpServerResponse.unsafeJson(
    Config.render(config, {
      ...(Option.isSome(runtime) ? { agentRuntime: runtime.value.kind } : {}),
      ...(Option.isSome(api) ? { grpcTcpAddress: api.value.tcp } : {})
    })
  )
})

const U64_MAX = 0xffff_ffff_ffff_ffffn
const FailedJobsBody = Schema.Struct({
  app_instance: Schema.String.pipe(Schema.pattern(/^0x[0-9a-fA-F]{1,64}$/, { message: () => "expected an object id (0x and up to 64 hex digits)" })),
  jobs: Schema.optionalWith(
    Schema.Array(
      Schema.String.pipe(
        Schema.pattern(/^[0-9]{1,20}$/, { message: () => "expected a job sequence as a decimal string" }),
        Schema.filter((s) => BigInt(s) <= U64_MAX || "a job sequence is a u64")
      )
    ).pipe(Schema.maxItems(1000, { message: () => "at most 1000 at a time" })),
    { exact: true }
  )
})

/** The first problem of a refused body, as `field: what is wrong`. */
const bodyProblem = (e: ParseResult.ParseError): string => {
  const first = ParseResult.ArrayFormatter.formatErrorSync(e)[0]
  if (first === undefined) return "the body is not what was expected"
  const where = first.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`)).join("")
  return where === "" ? first.message : `${where}: ${first.message}`
}

/**
 * `POST /v1/failed-jobs/<action>`: restarts or removes an instance's failed jobs through the
 * failedJobs program; answers once the transaction executed. A JSON body only (a cross-site form
 * cannot send one without the browser asking first).
 */
const failedJobs = (action: FailedJobsAction) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (!(request.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) return badRequest("expected a JSON body (content-type: application/json)")
    const body = yield* request.json.pipe(
      Effect.flatMap(Schema.decodeUnknown(FailedJobsBody, { onExcessProperty: "error" })),
      Effect.either
    )
    if (body._tag === "Left") {
      const e = body.left
      return badRequest(e._tag === "ParseError" ? bodyProblem(e) : "the body is not JSON")
    }
    const app = yield* Effect.serviceOption(AppApi)
    if (Option.isNone(app)) return HttpServerResponse.unsafeJson({ error: "this coordinator was assembled without the app API (AppApi layer)" }, { status: 503 })
    const jobs = body.right.jobs?.map((s) => BigInt(s))
    return yield* actOnFailedJobs(action, body.right.app_instance, jobs).pipe(
      Effect.provideService(AppApi, app.value),
      Effect.map((r) =>
        HttpServerResponse.unsafeJson({
          action: r.action,
          app_instance: r.appInstance,
          failed_before: r.failedBefore.map(String),
          [action === "restart" ? "restarted" : "removed"]: r.acted.map(String),
          not_failed: r.notFailed.map(String),
          tx_digest: r.txDigest
        })
      ),
      Effect.catchTag("FailedJobsError", (e) =>
        Effect.succeed(
          HttpServerResponse.unsafeJson(
            { error: e.message },
            { status: e.reason === "NotExecuted" ? 409 : e.reason === "Unreadable" ? 404 : 503 }
          )
        )
      )
    )
  })

/** The routes, as an app over the services (exported so tests can serve them on any server). */
export const router = HttpRouter.empty.pipe(
  HttpRouter.get("/health", healthResponse),
  HttpRouter.get(
    "/ready",
    Effect.map(Effect.flatMap(Health, (h) => h.ready), (ready) => HttpServerResponse.unsafeJson({ ready }, { status: ready ? 200 : 503 }))
  ),
  HttpRouter.get(
    "/metrics",
    Effect.zipRight(
      refreshGauges,
      Effect.map(Metrics.prometheusText, (text) =>
        HttpServerResponse.text(text, { contentType: "text/plain; version=0.0.4; charset=utf-8" })
      )
    )
  ),
  HttpRouter.get("/v1/status", status),
  HttpRouter.get("/v1/jobs", jobs),
  HttpRouter.get("/v1/agents", agents),
  HttpRouter.get("/v1/config", effectiveConfig),
  HttpRouter.post("/v1/failed-jobs/restart", failedJobs("restart")),
  HttpRouter.post("/v1/failed-jobs/remove", failedJobs("remove")),
  // The status page (StatusPage.ts), behind the same guard as the rest of /v1/*.
  HttpRouter.get("/", pageIndex),
  HttpRouter.get("/assets/:name", pageAsset),
  HttpRouter.get("/v1/feed", pageEvents),
  HttpRouter.get("/v1/feed/jobs", pageJobSearch),
  HttpRouter.get("/v1/feed/job", pageJobTimeline),
  HttpRouter.all("*", Effect.succeed(HttpServerResponse.unsafeJson({ error: "not found" }, { status: 404 })))
)

/**
 * When an `AgentRuntime` is below, re-provides it decorated with the container metrics, so that
 * the programs above (which read the service from the merged context, where this layer's output
 * wins) start agents through the instrumented one. Typed as adding nothing: it only replaces.
 */
const instrumentedRuntimeIfPresent: Layer.Layer<never> = Layer.unwrapEffect(
  Effect.map(Effect.serviceOption(AgentRuntime), (runtime) =>
    Option.isSome(runtime) ? (Layer.succeed(AgentRuntime, Metrics.instrumentRuntime(runtime.value)) as unknown as Layer.Layer<never>) : Layer.empty
  )
)

export class HttpApi extends Context.Tag("silvana/HttpApi")<HttpApi, HttpApiService>() {
  /** Listens on `address` (port 0 picks a free one) for the life of the layer's scope. */
  static readonly layerWith = (address: HostPort, options: HttpApiOptions = {}) =>
    Layer.scoped(
      HttpApi,
      Effect.gen(function* () {
        yield* Metrics.registerAll
        const config = yield* Config
        const auth: ApiAuth = options.auth ?? {
          token: yield* loadOrCreateApiToken(config.apiTokenFile ?? path.join(config.stateDir, API_TOKEN_FILE)),
          allowedHosts: config.httpAllowedHosts
        }
        const permits = yield* Effect.makeSemaphore(options.maxConcurrent ?? 64)
        const every = options.refreshEvery ?? Duration.seconds(2)
        yield* Effect.forkScoped(
          refreshHealth.pipe(
            Effect.catchAllCause((cause) => Effect.logWarning("health refresh failed", cause)),
            Effect.repeat(Schedule.spaced(every))
          )
        )
        const server = yield* NodeHttpServer.make(() => createServer(), { host: address.host, port: address.port, backlog: 4096 }).pipe(
          Effect.mapError(
            (e) => new HttpApiStartError({ message: `HTTP_ADDRESS: cannot listen on ${address.host}:${address.port}: ${String(e.cause ?? e)}` })
          )
        )
        // Event streams never end by themselves: end them before the server waits for its connections.
        const page = yield* Effect.serviceOption(StatusPage)
        if (Option.isSome(page)) yield* Effect.addFinalizer(() => page.value.endStreams)
        yield* HttpServer.serveEffect(permits.withPermits(1)(guardV1(auth)(router))).pipe(
          Effect.provideService(HttpServer.HttpServer, server)
        )
        const port = server.address._tag === "TcpAddress" ? server.address.port : address.port
        const host = address.host.includes(":") ? `[${address.host}]` : address.host
        yield* Effect.logInfo("HTTP endpoint listening", { http: `${host}:${port}` })
        return HttpApi.of({ address: { host: address.host, port }, url: `http://${host}:${port}`, auth })
      })
    )

  /** On `HTTP_ADDRESS`. */
  static readonly layer = Layer.unwrapEffect(Effect.map(Config, (c) => HttpApi.layerWith(c.httpAddress)))

  /**
   * What the daemon adds on top of its services: the Health registry with the standard checks of
   * every part present below it, the HTTP endpoint, and readiness once all of it is up. Provide it
   * over the other layers so that it is built last.
   */
  static readonly layerDaemon = Layer.mergeAll(
    Layer.scopedDiscard(
      Effect.gen(function* () {
        yield* registerStandardChecks
        // The first report served has every part's check in it.
        yield* refreshHealth
        yield* Effect.flatMap(Health, (h) => h.setReady(true))
      })
    ),
    instrumentedRuntimeIfPresent
  ).pipe(Layer.provideMerge(HttpApi.layer), Layer.provideMerge(StatusPage.layer), Layer.provideMerge(Health.layer))
}
