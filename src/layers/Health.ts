/**
 * Health — named checks registered by the parts of the daemon (chain stream, agent runtime, gRPC
 * listeners, Journal, store) and aggregated into one report for `GET /health`, plus the readiness
 * flag `GET /ready` answers, set once start-up is complete.
 *
 * A check is an Effect returning `{ healthy, details }`. A check that fails, dies or takes longer
 * than its timeout counts as unhealthy with the reason in its details, so one stuck part can never
 * hang the health endpoint.
 *
 * A check that probes a part (connects to a listener, asks the node or the engine) may be
 * registered with `failAfter`: it is failing only once it has been unhealthy on that many runs in a
 * row. Before that it is reported healthy but degraded, with its error and `failing_runs`, so
 * `/health` says `degraded` and stays 200. The standard probes use 3 (about 6 s at the 2 s
 * refresh): a machine so busy that a probe's own timers fire before its answer is read (a flood of
 * scrapes, a loaded host) does not turn `/health` 503 and get a working daemon restarted, while a
 * part that is really down still does within a few refreshes. Checks that report a known state
 * (divergence from the chain, low gas) fail at once.
 *
 * The node's check (`chain`, see `chainWatch`) goes further: it never calls the node itself. A
 * probe fiber asks the node every 2 s and the checkpoint stream counts as an answer, and the check
 * reads when the node was last heard from; it fails after 10 s of silence.
 */
import * as net from "node:net"
import { Cause, Clock, Context, Duration, Effect, Layer, Option, Ref, Schedule, type Scope } from "effect"
import { AgentApi, type AgentApiService } from "./AgentApi.js"
import { AgentRuntime, type AgentRuntimeService } from "./AgentRuntime.js"
import { ChainEvents, type ChainEventsService } from "./ChainEvents.js"
import { JobStore, type JobStoreService } from "./JobStore.js"
import { Journal, type JournalService } from "./Journal.js"
import * as Metrics from "./Metrics.js"
import { Settlement, type SettlementService } from "./Settlement.js"
import { SuiClient, type SuiClientService } from "./SuiClient.js"

export interface CheckResult {
  readonly healthy: boolean
  /** Healthy but impaired (e.g. a method whose agents cannot start): `/health` says `degraded`, still 200. */
  readonly degraded?: boolean
  readonly details: Readonly<Record<string, unknown>>
}

export type Check = Effect.Effect<CheckResult, unknown>

export interface CheckOptions {
  /** Unhealthy runs in a row before the check counts as failing (default 1: at once). */
  readonly failAfter?: number
}

/** How many unhealthy runs in a row the standard probes (listeners, node, engine, Journal) take to fail. */
export const PROBE_FAIL_AFTER = 3

export interface HealthReport {
  readonly healthy: boolean
  readonly ready: boolean
  /** Names of the checks that are not healthy. */
  readonly failing: ReadonlyArray<string>
  /** Names of the healthy checks that report themselves degraded. */
  readonly degraded: ReadonlyArray<string>
  readonly checks: Readonly<Record<string, CheckResult>>
  readonly uptimeSeconds: number
}

export interface HealthService {
  /** Adds (or replaces) a named check. */
  readonly register: (name: string, check: Check, options?: CheckOptions) => Effect.Effect<void>
  /** Adds a check for the life of the current scope. */
  readonly registerScoped: (name: string, check: Check, options?: CheckOptions) => Effect.Effect<void, never, Scope.Scope>
  readonly unregister: (name: string) => Effect.Effect<void>
  /** Runs every check concurrently, each bounded by the check timeout. */
  readonly report: Effect.Effect<HealthReport>
  /** Runs the checks and keeps the result as the one `latest` answers. */
  readonly refresh: Effect.Effect<HealthReport>
  /**
   * The last refreshed report (with the current readiness), without running any check: what
   * `/health` and `/metrics` serve, so that a scrape never calls the node. Refreshes once if none yet.
   */
  readonly latest: Effect.Effect<HealthReport>
  readonly setReady: (ready: boolean) => Effect.Effect<void>
  readonly ready: Effect.Effect<boolean>
}

const describe = (e: unknown): string =>
  e instanceof Error ? e.message : typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e)

export class Health extends Context.Tag("silvana/Health")<Health, HealthService>() {
  /** The registry; `checkTimeout` bounds each check (default 2 s). */
  static readonly make = (options: { readonly checkTimeout?: Duration.DurationInput } = {}) =>
    Effect.gen(function* () {
      const checks = yield* Ref.make(new Map<string, { readonly check: Check; readonly failAfter: number }>())
      const readyRef = yield* Ref.make(false)
      const startedAt = yield* Clock.currentTimeMillis
      const timeout = options.checkTimeout ?? Duration.seconds(2)
      /** Unhealthy runs in a row, per check (absent: its last run was healthy). */
      const badRuns = yield* Ref.make(new Map<string, number>())

      const register = (name: string, check: Check, o: CheckOptions = {}) =>
        Ref.update(checks, (m) => new Map(m).set(name, { check, failAfter: Math.max(1, o.failAfter ?? 1) }))
      const without = <V>(m: ReadonlyMap<string, V>, name: string) => {
        const next = new Map(m)
        next.delete(name)
        return next
      }
      const unregister = (name: string) => Effect.zipRight(Ref.update(checks, (m) => without(m, name)), Ref.update(badRuns, (m) => without(m, name)))

      const runOne = (check: Check): Effect.Effect<CheckResult> =>
        check.pipe(
          Effect.timeoutFail({ duration: timeout, onTimeout: () => new Error(`check timed out after ${Duration.format(timeout)}`) }),
          Effect.catchAllCause((cause) =>
            Effect.succeed<CheckResult>({
              healthy: false,
              details: { error: Cause.isFailType(cause) ? describe(cause.error) : Cause.pretty(cause).split("\n")[0] }
            })
          )
        )

      /** A run's result as reported: unhealthy counts only from the `failAfter`-th such run in a row. */
      const debounced = (name: string, failAfter: number, r: CheckResult): Effect.Effect<CheckResult> =>
        Ref.modify(badRuns, (m): [CheckResult, Map<string, number>] => {
          const next = new Map(m)
          if (r.healthy) {
            next.delete(name)
            return [r, next]
          }
          const runs = (m.get(name) ?? 0) + 1
          next.set(name, runs)
          return [runs >= failAfter ? r : { healthy: true, degraded: true, details: { ...r.details, failing_runs: runs, fails_after: failAfter } }, next]
        })

      const report = Effect.gen(function* () {
        const all = [...(yield* Ref.get(checks)).entries()]
        const results = yield* Effect.forEach(all, ([name, c]) => Effect.map(Effect.flatMap(runOne(c.check), (r) => debounced(name, c.failAfter, r)), (r) => [name, r] as const), {
          concurrency: "unbounded"
        })
        const failing = results.filter(([, r]) => !r.healthy).map(([name]) => name)
        const degraded = results.filter(([, r]) => r.healthy && r.degraded === true).map(([name]) => name)
        const now = yield* Clock.currentTimeMillis
        return {
          healthy: failing.length === 0,
          ready: yield* Ref.get(readyRef),
          failing,
          degraded,
          checks: Object.fromEntries(results),
          uptimeSeconds: Math.round((now - startedAt) / 1000)
        } satisfies HealthReport
      }).pipe(Effect.withSpan("Health.report"))

      const lastReport = yield* Ref.make(Option.none<HealthReport>())
      const refresh = Effect.tap(report, (r) => Ref.set(lastReport, Option.some(r)))
      const latest = Effect.flatMap(Ref.get(lastReport), (last) =>
        Option.match(last, {
          onNone: () => refresh,
          onSome: (r) => Effect.map(Ref.get(readyRef), (ready) => ({ ...r, ready }))
        })
      )

      return Health.of({
        register,
        refresh,
        latest,
        registerScoped: (name, check, o) => Effect.acquireRelease(register(name, check, o), () => unregister(name)),
        unregister,
        report,
        setReady: (r) => Ref.set(readyRef, r),
        ready: Ref.get(readyRef)
      })
    })

  static readonly layer = Layer.effect(Health, Health.make())
}

// ---- the standard checks of the daemon's parts ----------------------------------------------------

const canConnect = (target: { readonly path: string } | { readonly host: string; readonly port: number }) =>
  Effect.async<boolean>((resume) => {
    const s = "path" in target ? net.createConnection(target.path) : net.createConnection(target.port, target.host)
    const done = (ok: boolean) => {
      s.destroy()
      resume(Effect.succeed(ok))
    }
    s.setTimeout(1000, () => done(false))
    s.once("connect", () => done(true))
    s.once("error", () => done(false))
    return Effect.sync(() => s.destroy())
  })

/** The agent API's two listeners accept connections. */
export const agentApiCheck = (api: AgentApiService): Check =>
  Effect.gen(function* () {
    const socket = yield* canConnect({ path: api.socketPath })
    const tcp = yield* canConnect(api.tcp)
    return {
      healthy: socket && tcp,
      details: {
        socket: api.socketPath,
        socket_listening: socket,
        tcp: `${api.tcp.host}:${api.tcp.port}`,
        tcp_listening: tcp,
        in_flight: api.inFlight()
      }
    }
  })

/** The store's counts; always healthy (it is memory), reported for operators. */
export const storeCheck = (store: JobStoreService): Check =>
  Effect.map(store.stats, (stats) => ({ healthy: true, details: { ...stats } }))

/** The Journal answers a read. */
export const journalCheck = (journal: JournalService): Check =>
  Effect.gen(function* () {
    const cursor = yield* journal.getCursor
    return {
      healthy: true,
      details: {
        cursor_checkpoint: Option.match(cursor, { onNone: () => null, onSome: (c) => c.checkpoint.toString() }),
        commits: yield* journal.commits
      }
    }
  })

/** The agent runtime's engine (Docker daemon) answers. */
export const runtimeCheck = (runtime: AgentRuntimeService): Check =>
  Effect.map(runtime.health, (h) => ({ healthy: true, details: { kind: h.kind, version: h.version } }))

/** A checkpoint's timestamp in ms, if the node still has it. */
const checkpointTime = (sui: SuiClientService, seq: bigint): Effect.Effect<Option.Option<number>> =>
  Effect.tryPromise((signal) =>
    sui.client.ledgerService.getCheckpoint(
      { checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: seq }, readMask: { paths: ["summary.timestamp"] } },
      { abort: signal, timeout: 1500 }
    ).response
  ).pipe(
    Effect.map((r) => {
      const t = r.checkpoint?.summary?.timestamp
      return t === undefined ? Option.none<number>() : Option.some(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6))
    }),
    Effect.orElseSucceed(() => Option.none<number>())
  )

/** How long the node may go unheard — no probe answered, no checkpoint from the stream — before `chain` fails. */
export const CHAIN_SILENCE_MS = 10_000
/** How long one probe of the node may take before it counts as unanswered. */
const NODE_PROBE_TIMEOUT_MS = 5_000

/**
 * One probe of the full node: it answers, and how far this coordinator is behind it (checkpoints
 * between the node's latest and the Journal's cursor, the age of the node's latest checkpoint).
 * Also feeds the checkpoint gauges.
 */
const probeNode = (sui: SuiClientService, journal: Option.Option<JournalService>) =>
  Effect.gen(function* () {
    const info = yield* Effect.tryPromise({
      try: (signal) => sui.client.ledgerService.getServiceInfo({}, { abort: signal, timeout: NODE_PROBE_TIMEOUT_MS }).response,
      catch: (e) => new Error(`full node at ${sui.url} does not answer: ${(e as Error).message ?? String(e)}`)
    })
    const latest = info.checkpointHeight ?? 0n
    const latestAt = info.timestamp === undefined ? undefined : Number(info.timestamp.seconds) * 1000 + Math.floor(info.timestamp.nanos / 1e6)
    const cursor = Option.isSome(journal) ? yield* Effect.orElseSucceed(journal.value.getCursor, () => Option.none()) : Option.none()
    const processed = Option.map(cursor, (c) => c.checkpoint)
    if (Option.isSome(processed)) yield* Metrics.checkpoint(processed.value, latest)
    // Lag in time: the node's tip against the timestamp of the last checkpoint processed.
    const processedAt: Option.Option<number> = Option.isNone(processed) ? Option.none() : yield* checkpointTime(sui, processed.value)
    const now = yield* Clock.currentTimeMillis
    return {
      connected: true,
      node: sui.url,
      chain_id: info.chainId ?? null,
      latest_checkpoint: latest.toString(),
      last_checkpoint: Option.match(processed, { onNone: () => null, onSome: (p) => p.toString() }),
      lag_checkpoints: Option.match(processed, { onNone: () => null, onSome: (p) => Number(latest > p ? latest - p : 0n) }),
      lag_ms: latestAt === undefined || Option.isNone(processedAt) ? null : Math.max(0, latestAt - processedAt.value),
      node_checkpoint_age_ms: latestAt === undefined ? null : Math.max(0, now - latestAt)
    } as Record<string, unknown>
  }).pipe(
    Effect.timeoutFail({
      duration: Duration.millis(NODE_PROBE_TIMEOUT_MS),
      onTimeout: () => new Error(`full node at ${sui.url} does not answer: no answer within ${NODE_PROBE_TIMEOUT_MS / 1000} s`)
    })
  )

interface NodeSeen {
  /** When a probe last got an answer, and what it said. */
  readonly answeredAt: number | null
  readonly details: Record<string, unknown> | null
  /** The last probe's error; `null` once a probe is answered again. */
  readonly error: string | null
  /** The stream's checkpoint count when last looked at, and when it last grew. */
  readonly streamCheckpoints: number
  readonly streamAt: number | null
}

/**
 * The `chain` check: whether the full node has been heard from within `silenceMs`. A probe of the
 * node (`probeNode`) runs every `every` in a fiber of the current scope, and the checkpoint stream
 * counts as hearing from it whenever it has delivered a checkpoint since the last look. The check
 * itself only reads what was seen, so it never waits on the node: a daemon too busy to read an
 * answer in time (a flood of scrapes on a loaded host) is not declared cut off from a node whose
 * checkpoints keep arriving, while a node that is gone fails it after `silenceMs`. A probe that
 * failed while the node was heard from otherwise shows as degraded with its error. The first probe
 * runs before this returns, so the first report already has the node's answer.
 */
export const chainWatch = (
  sui: SuiClientService,
  journal: Option.Option<JournalService>,
  chainEvents: Option.Option<ChainEventsService>,
  o: { readonly every?: Duration.DurationInput; readonly silenceMs?: number } = {}
): Effect.Effect<Check, never, Scope.Scope> =>
  Effect.gen(function* () {
    const silenceMs = o.silenceMs ?? CHAIN_SILENCE_MS
    const seen = yield* Ref.make<NodeSeen>({ answeredAt: null, details: null, error: null, streamCheckpoints: 0, streamAt: null })
    const probeOnce = probeNode(sui, journal).pipe(
      Effect.flatMap((details) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(seen, (s) => ({ ...s, answeredAt: now, details, error: null })))
      ),
      Effect.catchAllCause((cause) =>
        Ref.update(seen, (s) => ({ ...s, error: Cause.isFailType(cause) ? describe(cause.error) : Cause.pretty(cause).split("\n")[0]! }))
      )
    )
    yield* probeOnce
    yield* Effect.forkScoped(Effect.repeat(probeOnce, Schedule.spaced(o.every ?? Duration.seconds(2))))
    return Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const stats = Option.isSome(chainEvents) ? yield* chainEvents.value.stats : undefined
      const s = yield* Ref.updateAndGet(seen, (s) =>
        stats !== undefined && stats.checkpoints > s.streamCheckpoints ? { ...s, streamCheckpoints: stats.checkpoints, streamAt: now } : s
      )
      const heard = Math.max(s.answeredAt ?? Number.NEGATIVE_INFINITY, s.streamAt ?? Number.NEGATIVE_INFINITY)
      const quietMs = Number.isFinite(heard) ? now - heard : null
      const stream = stats === undefined ? {} : { stream: { ...stats } }
      if (quietMs !== null && quietMs <= silenceMs) {
        const details = { ...s.details, ...stream, probed_ms_ago: s.answeredAt === null ? null : now - s.answeredAt }
        return s.error === null ? { healthy: true, details } : { healthy: true, degraded: true, details: { ...details, error: s.error } }
      }
      return {
        healthy: false,
        details: {
          connected: false,
          node: sui.url,
          error: s.error ?? `full node at ${sui.url} does not answer: nothing heard for ${quietMs ?? "ever"} ms`,
          silent_ms: quietMs,
          ...stream
        }
      }
    })
  })

/** How often the coordinator's gas balance is read for the `settlement` check and the gas gauge. */
const BALANCE_EVERY = Duration.seconds(5)
/** How long one read of the balance may take. */
const BALANCE_READ_TIMEOUT_MS = 5_000

/**
 * Settlement: healthy while the gas pool is not low. Feeds the transaction counters (from the
 * cumulative stats, by difference since the last check). The gas balance is read from the node by
 * a fiber of the current scope every `every` (and feeds the gas gauge); the check shows the last
 * balance read, so like `chain` it never waits on the node — a daemon too busy to read an answer
 * in time (a flood of scrapes on a loaded host) is not declared unable to settle. The first read
 * starts at once, in the fiber.
 */
export const settlementWatch = (
  settlement: SettlementService,
  sui: Option.Option<SuiClientService>,
  o: { readonly every?: Duration.DurationInput } = {}
): Effect.Effect<Check, never, Scope.Scope> =>
  Effect.gen(function* () {
    const balance = yield* Ref.make<{ readonly mist: string | null; readonly readAt: number | null }>({ mist: null, readAt: null })
    if (Option.isSome(sui)) {
      const client = sui.value
      const readOnce = Effect.tryPromise((signal) =>
        // the Effect timeout below bounds the read; interrupting it aborts the call
        client.client.stateService.getBalance({ owner: client.address, coinType: "0x2::sui::SUI" }, { abort: signal }).response
      ).pipe(
        Effect.flatMap((r) => Option.match(Option.fromNullable(r.balance?.balance), {
          onNone: () => Effect.void,
          onSome: (mist) =>
            Effect.zipRight(Metrics.gas(mist), Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.set(balance, { mist: mist.toString(), readAt: now })))
        })),
        Effect.timeout(Duration.millis(BALANCE_READ_TIMEOUT_MS)),
        // a read that failed keeps the last balance; the node's own check says whether it answers
        Effect.ignore
      )
      // the first read at once, in the fiber: start-up does not wait on the node for it
      yield* Effect.forkScoped(Effect.repeat(readOnce, Schedule.spaced(o.every ?? BALANCE_EVERY)))
    }
    let seen = { ok: 0, failed: 0 }
    return Effect.gen(function* () {
      const stats = yield* settlement.stats
      const ok = stats.transactions - stats.failedTransactions
      if (ok > seen.ok) yield* Metrics.transactionsCounted("settlement", "success", ok - seen.ok)
      if (stats.failedTransactions > seen.failed) {
        yield* Metrics.transactionsCounted("settlement", "failure", stats.failedTransactions - seen.failed)
      }
      seen = { ok: Math.max(ok, seen.ok), failed: Math.max(stats.failedTransactions, seen.failed) }
      const b = yield* Ref.get(balance)
      const now = yield* Clock.currentTimeMillis
      const details = { ...stats, balance_mist: b.mist, balance_read_ms_ago: b.readAt === null ? null : now - b.readAt }
      return { healthy: !stats.lowBalance, details: stats.lowBalance ? { ...details, error: "gas is low: fund the coordinator's address" } : details }
    })
  })

/**
 * Registers the checks of every part present in the context (agent API, store, Journal, runtime,
 * chain) for the life of the current scope. Parts that are absent are simply not checked.
 */
export const registerStandardChecks = Effect.gen(function* () {
  const health = yield* Health
  const api = yield* Effect.serviceOption(AgentApi)
  const store = yield* Effect.serviceOption(JobStore)
  const journal = yield* Effect.serviceOption(Journal)
  const runtime = yield* Effect.serviceOption(AgentRuntime)
  const sui = yield* Effect.serviceOption(SuiClient)
  const chainEvents = yield* Effect.serviceOption(ChainEvents)
  const probe = { failAfter: PROBE_FAIL_AFTER }
  if (Option.isSome(api)) yield* health.registerScoped("grpc", agentApiCheck(api.value), probe)
  if (Option.isSome(store)) yield* health.registerScoped("store", storeCheck(store.value))
  if (Option.isSome(journal)) yield* health.registerScoped("journal", journalCheck(journal.value), probe)
  if (Option.isSome(runtime)) yield* health.registerScoped("agent_runtime", runtimeCheck(runtime.value), probe)
  const settlement = yield* Effect.serviceOption(Settlement)
  // The node's check reads what a probe fiber and the stream have seen (never waits on the node).
  if (Option.isSome(sui)) yield* health.registerScoped("chain", yield* chainWatch(sui.value, journal, chainEvents))
  if (Option.isSome(settlement)) yield* health.registerScoped("settlement", yield* settlementWatch(settlement.value, sui))
})
