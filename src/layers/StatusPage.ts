/**
 * StatusPage — the operator's live web page on the HTTP endpoint: its HTML and hashed assets
 * (bundled from src/web/client, see src/web/bundle.ts), and one Server-Sent Events stream per open
 * page carrying a snapshot every `every` (the same counts as `/v1/status`, the Health report
 * `/health` serves, and the StatusFeed's view) plus agent and transaction events as they happen.
 *
 * One snapshot is built per interval whoever watches, and none while nobody does. Routes are
 * served by HttpApi behind the same guard as `/v1/*`.
 */
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Clock, Context, Deferred, Duration, Effect, Layer, Option, PubSub, Schedule, Schema, Stream } from "effect"
import { AppInstanceIdFromString } from "../domain/ids.js"
import { loadBundle, type WebBundle } from "../web/bundle.js"
import { Config } from "./Config.js"
import { Health, type HealthReport } from "./Health.js"
import { JobStore } from "./JobStore.js"
import { PipelineStatus } from "./PipelineStatus.js"
import { Sessions } from "./Sessions.js"
import { StatusFeed } from "./StatusFeed.js"
import { explorerLinks } from "./status/explorer.js"
import { indexHtml } from "./status/html.js"

export interface StatusPageService {
  /** None when the page could not be built (no prebuilt bundle and no esbuild): the daemon runs without it. */
  readonly bundle: Option.Option<WebBundle>
  /** The SSE frames of one page: a snapshot at once, then snapshots and events as they come. */
  readonly connect: Stream.Stream<string>
  /** Ends every open event stream (before the server waits for its connections to close). */
  readonly endStreams: Effect.Effect<void>
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && v !== "" && !Number.isNaN(Number(v)) ? Number(v) : null)

/**
 * Per check: healthy, degraded (healthy but impaired, e.g. a probe short of its failing runs), and
 * the error text when it is either (never the other details: they name the node).
 */
export const checksOf = (report: HealthReport) =>
  Object.fromEntries(
    Object.entries(report.checks).map(([name, r]) => [
      name,
      { healthy: r.healthy, degraded: r.healthy && r.degraded === true, error: typeof r.details["error"] === "string" ? r.details["error"] : null }
    ])
  )

/** One snapshot of everything the page shows. */
export const snapshot = Effect.gen(function* () {
  const config = yield* Config
  const report = yield* (yield* Health).latest
  const stats = yield* (yield* JobStore).stats
  const sessions = yield* (yield* Sessions).list
  const feed = yield* Effect.serviceOption(StatusFeed)
  const pipeline = yield* Effect.serviceOption(PipelineStatus)
  const chain = report.checks["chain"]?.details ?? {}
  const settlement = report.checks["settlement"]?.details
  return {
    at: yield* Clock.currentTimeMillis,
    chain: config.suiChain,
    explorers: explorerLinks(config.suiChain),
    status: {
      healthy: report.healthy,
      ready: report.ready,
      failing: report.failing,
      uptime_seconds: report.uptimeSeconds,
      jobs: stats,
      agents: { active: sessions.length, max: config.maxConcurrentAgents },
      checks: checksOf(report)
    },
    chain_lag: {
      last_checkpoint: num(chain["last_checkpoint"]),
      latest_checkpoint: num(chain["latest_checkpoint"]),
      lag_checkpoints: num(chain["lag_checkpoints"]),
      lag_ms: num(chain["lag_ms"])
    },
    settlement:
      settlement === undefined
        ? null
        : {
            balance_mist: typeof settlement["balance_mist"] === "string" ? settlement["balance_mist"] : null,
            queued: num(settlement["queued"]),
            inflight_transactions: num(settlement["inflightTransactions"]),
            transactions: num(settlement["transactions"]),
            failed_transactions: num(settlement["failedTransactions"]),
            executed_ops: num(settlement["executedOps"]),
            low_balance: settlement["lowBalance"] === true
          },
    feed: Option.isSome(feed) ? yield* feed.value.view : null,
    pipeline: Option.isSome(pipeline) ? yield* pipeline.value.view : null
  }
})

export type Snapshot = Effect.Effect.Success<typeof snapshot>

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

export const makeStatusPage = (every: Duration.DurationInput = Duration.seconds(1)) =>
  Effect.gen(function* () {
    const bundle = yield* Effect.tryPromise({
      try: () => loadBundle(),
      catch: (e) => new Error(`the status page cannot be built (run npm run build:web): ${(e as Error).message}`)
    }).pipe(
      Effect.tapBoth({
        onFailure: (e) => Effect.logWarning(e.message),
        onSuccess: (b) => Effect.logDebug("status page ready", { bundle: b.source, script: b.script })
      }),
      Effect.option
    )
    const context = yield* Effect.context<Config | Health | JobStore | Sessions>()
    const feed = yield* Effect.serviceOption(StatusFeed)
    const build = snapshot.pipe(
      Effect.provide(Option.isSome(feed) ? Context.add(context, StatusFeed, feed.value) : context),
      Effect.map((s) => frame("snapshot", s))
    )
    const frames = yield* PubSub.sliding<string>(64)
    const watched = yield* Effect.makeLatch(false)
    const ending = yield* Deferred.make<void>()
    let watchers = 0

    // One snapshot per interval while anyone watches; asleep on the latch otherwise.
    yield* watched.await.pipe(
      Effect.zipRight(build),
      Effect.flatMap((f) => PubSub.publish(frames, f)),
      Effect.catchAllCause((cause) => Effect.logWarning("status snapshot failed", cause)),
      Effect.repeat(Schedule.spaced(every)),
      Effect.forkScoped
    )
    if (Option.isSome(feed)) {
      yield* feed.value.events.pipe(
        Stream.runForEach((e) => (watchers > 0 ? PubSub.publish(frames, frame(e.type, e)) : Effect.void)),
        Effect.forkScoped
      )
    }

    const connect = Stream.unwrapScoped(
      Effect.gen(function* () {
        const queue = yield* PubSub.subscribe(frames)
        yield* Effect.acquireRelease(
          Effect.zipRight(
            Effect.sync(() => void (watchers += 1)),
            watched.open
          ),
          () => Effect.suspend(() => ((watchers -= 1) === 0 ? watched.close : Effect.void))
        )
        const first = yield* build
        return Stream.make(`retry: 2000\n\n${first}`).pipe(Stream.concat(Stream.fromQueue(queue)))
      })
    ).pipe(Stream.interruptWhen(Deferred.await(ending)))

    yield* Effect.addFinalizer(() => Deferred.succeed(ending, undefined))
    return StatusPage.of({ bundle, connect, endStreams: Deferred.succeed(ending, undefined) })
  })

export class StatusPage extends Context.Tag("silvana/StatusPage")<StatusPage, StatusPageService>() {
  static readonly layer = Layer.scoped(StatusPage, makeStatusPage())
  static readonly layerWith = (every: Duration.DurationInput) => Layer.scoped(StatusPage, makeStatusPage(every))
}

// ---- routes (served by HttpApi behind its guard) --------------------------------------------------

const notAvailable = HttpServerResponse.unsafeJson({ error: "the status page is not part of this server" }, { status: 404 })

const withPage = <E, R>(f: (page: StatusPageService) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.flatMap(Effect.serviceOption(StatusPage), Option.match({ onNone: () => Effect.succeed(notAvailable), onSome: f }))

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
} as const

/** `GET /`: the page itself, revalidated on every load (its asset names change with their content). */
export const pageIndex = withPage((page) =>
  Effect.gen(function* () {
    const config = yield* Config
    if (Option.isNone(page.bundle)) {
      return HttpServerResponse.unsafeJson({ error: "the status page was not built: run npm run build:web" }, { status: 503 })
    }
    const html = indexHtml(page.bundle.value, config.suiChain)
    return HttpServerResponse.text(html, {
      contentType: "text/html; charset=utf-8",
      headers: { ...SECURITY_HEADERS, "cache-control": "no-cache" }
    })
  })
)

/** `GET /assets/:name`: immutable, content-hashed files with a strong ETag. */
export const pageAsset = withPage((page) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const asset = Option.getOrUndefined(page.bundle)?.assets.get(request.url.split("?")[0]!)
    if (asset === undefined) return HttpServerResponse.unsafeJson({ error: "not found" }, { status: 404 })
    const headers = { ...SECURITY_HEADERS, etag: asset.etag, "cache-control": "public, max-age=31536000, immutable" }
    if (request.headers["if-none-match"] === asset.etag) return HttpServerResponse.empty({ status: 304, headers })
    return HttpServerResponse.uint8Array(asset.body, { contentType: asset.contentType, headers })
  })
)

/** `GET /v1/feed`: the page's event stream. */
export const pageEvents = withPage((page) =>
  Effect.succeed(
    HttpServerResponse.stream(Stream.encodeText(page.connect), {
      contentType: "text/event-stream; charset=utf-8",
      headers: { "cache-control": "no-store", "x-accel-buffering": "no" }
    })
  )
)

/** `GET /v1/feed/jobs?q=&state=&limit=`: recent jobs matching app instance, sequence, job id or triple. */
export const pageJobSearch = Effect.gen(function* () {
  const feed = yield* Effect.serviceOption(StatusFeed)
  if (Option.isNone(feed)) return notAvailable
  const params = yield* HttpServerRequest.ParsedSearchParams
  const one = (k: string) => {
    const v = params[k]
    return typeof v === "string" ? v : undefined
  }
  const limit = Number(one("limit") ?? "50")
  const jobs = yield* feed.value.search({ q: one("q"), state: one("state"), limit: Number.isSafeInteger(limit) ? limit : 50 })
  return HttpServerResponse.unsafeJson({ jobs: jobs.map(({ steps: _steps, ...rest }) => rest) })
})

/** The timeline's query, decoded where it enters: an app instance id in any spelling, a decimal sequence. */
const TimelineParams = Schema.Struct({
  app_instance: AppInstanceIdFromString,
  sequence: Schema.compose(Schema.String.pipe(Schema.pattern(/^[0-9]+$/)), Schema.BigInt)
})

/** `GET /v1/feed/job?app_instance=&sequence=`: one job's timeline. */
export const pageJobTimeline = Effect.gen(function* () {
  const feed = yield* Effect.serviceOption(StatusFeed)
  if (Option.isNone(feed)) return notAvailable
  const params = yield* HttpServerRequest.schemaSearchParams(TimelineParams).pipe(Effect.option)
  if (Option.isNone(params)) {
    return HttpServerResponse.unsafeJson({ error: "app_instance and sequence are required" }, { status: 400 })
  }
  const job = yield* feed.value.timeline(params.value.app_instance, params.value.sequence)
  return Option.match(job, {
    onNone: () => HttpServerResponse.unsafeJson({ error: "no such job in the recent history" }, { status: 404 }),
    onSome: (j) => HttpServerResponse.unsafeJson({ job: j })
  })
})
