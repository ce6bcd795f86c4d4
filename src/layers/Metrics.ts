/**
 * Metrics — every metric the coordinator exposes, as Effect `Metric`s named for Prometheus
 * (`silvana_…`), the small helpers the other parts call to update them, and the Prometheus text
 * exposition (format 0.0.4) rendered from `Metric.snapshot`.
 *
 * Why our own renderer rather than the OpenTelemetry Prometheus exporter: Effect's metric registry
 * already holds every value; the exporter would add a second registry, a bridge and its own HTTP
 * listener, while rendering the snapshot is a page of code served on the HTTP endpoint we have.
 *
 * Helpers that run on hot paths outside Effect (the gRPC server) use `unsafeUpdate` with cached
 * label arrays: a map lookup and an add, no fiber. The agent API's per-call updates (a call's
 * count and latency, a job handed out, a report) go further: they are plain numbers in a hot
 * slot (`HotSlot`), handed to their Effect metric in one pass when the metrics are read (`flushHot`, which
 * every reader here calls first) or when a slot's buffer fills.
 */
import { Effect, Layer, Metric, MetricBoundaries, type MetricLabel, MetricState, Option } from "effect"
import { make as MetricLabelMake } from "effect/MetricLabel"
import type { MetricPair } from "effect/MetricPair"
import { Status } from "nice-grpc"
import { AgentRuntime, type AgentRuntimeService, type ExitInfo } from "./AgentRuntime.js"

const ms = (...b: Array<number>) => MetricBoundaries.fromIterable(b)

/** Latencies of sub-millisecond to second operations (RPCs, dispatch), in milliseconds. */
const latencyMs = ms(0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
/** Waits and start-ups that run from milliseconds to minutes, in milliseconds. */
const longMs = ms(10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000, 600000)

// ---- jobs -----------------------------------------------------------------------------------

/** Jobs in the store by state (label `state`). */
export const jobsByState = Metric.gauge("silvana_jobs", { description: "Jobs in the coordinator's store by state" })
export const jobsStarted = Metric.counter("silvana_jobs_started_total", {
  description: "Jobs this coordinator started on chain",
  incremental: true
})
export const jobsCompleted = Metric.counter("silvana_jobs_completed_total", {
  description: "Jobs reported completed by agents",
  incremental: true
})
export const jobsFailed = Metric.counter("silvana_jobs_failed_total", {
  description: "Jobs reported failed (by agents, or because their session ended)",
  incremental: true
})
/** Time a job waited between being seen pending and a session taking it (labels developer/agent/agent_method). */
export const queueWait = Metric.histogram("silvana_job_queue_wait_ms", longMs, "Time from pending to taken by an agent, per triple")
/**
 * From the job's creation on chain to the agent's GetJob returning it. Measured from the job's
 * `created_at` (the clock of the transaction that created it, which the checkpoint carrying the
 * JobCreatedEvent seals) against this host's clock, so it includes any clock skew to the chain.
 */
export const dispatchLatency = Metric.histogram(
  "silvana_dispatch_latency_ms",
  latencyMs,
  "From the job's creation on chain to GetJob returning it"
)

// ---- agents ---------------------------------------------------------------------------------

export const agentsActive = Metric.gauge("silvana_agents_active", { description: "Agent sessions running now" })
export const permitsFree = Metric.gauge("silvana_agent_permits_free", {
  description: "Free MAX_CONCURRENT_AGENTS permits"
})
export const containerStart = Metric.histogram(
  "silvana_container_start_ms",
  longMs,
  "Time to start an agent container or process (image pull included)"
)
/** Agent exits by reason (label `reason`: exited, timeout, killed, lost, …). */
export const containerExits = Metric.counter("silvana_container_exits_total", {
  description: "Agent containers/processes that ended, by reason",
  incremental: true
})

/** Agent API connections closed because they did not finish the HTTP/2 handshake in time. */
export const handshakeTimeouts = Metric.counter("silvana_agent_api_handshake_timeouts_total", {
  description: "Agent API connections closed for not finishing the HTTP/2 handshake in time",
  incremental: true
})

/** AgentMessage lines dropped by the per-session rate limit. */
export const agentMessagesDropped = Metric.counter("silvana_agent_messages_dropped_total", {
  description: "Agent log lines (AgentMessage) dropped by the per-session rate limit",
  incremental: true
})

/** Agents that could not start, by triple and back-off step (label `step`: retry, give_up). */
/** ProofEvent telemetry from agents, by `type` (submitted, fetched, verified, unavailable, rejected). */
export const proofEvents = Metric.counter("silvana_proof_events_total", {
  description: "Proof pipeline events reported by agents (ProofEvent), by type",
  incremental: true
})
export const agentStartFailures = Metric.counter("silvana_agent_start_failures_total", {
  description: "Agents that could not start, by triple and back-off step (retry, give_up)",
  incremental: true
})

// ---- chain ----------------------------------------------------------------------------------

/** Transactions by outcome (label `outcome`: success, failure, error) and kind (label `kind`). */
export const transactions = Metric.counter("silvana_transactions_total", {
  description: "Transactions sent, by kind and outcome",
  incremental: true
})
export const opsPerTransaction = Metric.histogram(
  "silvana_transaction_ops",
  ms(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
  "Operations (start/complete/fail calls) batched into one transaction"
)
export const gasBalance = Metric.gauge("silvana_gas_balance_mist", { description: "Coordinator gas balance in MIST" })
export const checkpointLag = Metric.gauge("silvana_checkpoint_lag", {
  description: "Checkpoints between the chain's latest and the last one processed"
})
export const lastCheckpoint = Metric.gauge("silvana_checkpoint_last", { description: "Last checkpoint processed" })
export const replayGaps = Metric.counter("silvana_replay_gaps_total", {
  description: "Gaps in the checkpoint stream that had to be filled from history",
  incremental: true
})

// ---- health ----------------------------------------------------------------------------------

/** 1 when the named health check passed at the last scrape, else 0 (label `check`). */
export const healthCheckUp = Metric.gauge("silvana_health_check_up", { description: "Health check result at the last scrape (1 healthy, 0 failing)" })

/** Records the results of a health report. */
export const healthChecks = (results: Readonly<Record<string, { readonly healthy: boolean }>>) =>
  Effect.sync(() => {
    for (const [name, r] of Object.entries(results)) healthCheckUp.unsafeUpdate(r.healthy ? 1 : 0, labels("check", name))
  })

// ---- hot paths ----------------------------------------------------------------------------------

/** Values a slot keeps before it hands them over by itself (a histogram needs each one). */
const HOT_BUFFER = 1024

/**
 * One metric and label set updated on a hot path: a counter's increments summed, a histogram's
 * observations buffered, and either handed to the metric by `flush`.
 */
class HotSlot {
  private sum = 0
  private readonly values: Float64Array | undefined
  private n = 0

  constructor(
    private readonly metric: Pick<Metric.Metric<unknown, number, unknown>, "unsafeUpdate">,
    private readonly tags: ReadonlyArray<MetricLabel.MetricLabel>,
    kind: "counter" | "histogram"
  ) {
    this.values = kind === "histogram" ? new Float64Array(HOT_BUFFER) : undefined
    hotSlots.push(this)
  }

  add(x: number): void {
    if (this.values === undefined) {
      this.sum += x
      return
    }
    this.values[this.n++] = x
    if (this.n === HOT_BUFFER) this.flush()
  }

  flush(): void {
    if (this.values === undefined) {
      if (this.sum !== 0) this.metric.unsafeUpdate(this.sum, this.tags)
      this.sum = 0
      return
    }
    for (let i = 0; i < this.n; i++) this.metric.unsafeUpdate(this.values[i]!, this.tags)
    this.n = 0
  }
}

const hotSlots: Array<HotSlot> = []

/** Hands every hot-path update made so far to its Effect metric (before any read of the metrics). */
export const unsafeFlushHot = (): void => {
  for (const slot of hotSlots) slot.flush()
}
export const flushHot: Effect.Effect<void> = Effect.sync(unsafeFlushHot)

/** One value per key, made on first use (the hot paths' slots). */
const memoBy = <K, V>(make: (key: K) => V) => {
  const made = new Map<K, V>()
  return (key: K): V => {
    let v = made.get(key)
    if (v === undefined) {
      v = make(key)
      made.set(key, v)
    }
    return v
  }
}

// ---- agent API --------------------------------------------------------------------------------

export const grpcRequests = Metric.counter("silvana_grpc_requests_total", {
  description: "Agent API calls by method and status code",
  incremental: true
})
export const grpcLatency = Metric.histogram("silvana_grpc_request_duration_ms", latencyMs, "Agent API call latency by method")

// ---- helpers ----------------------------------------------------------------------------------

const labelCache = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
/** Cached label arrays, so hot-path updates allocate nothing after the first call. */
const labels = (...kv: Array<string>): ReadonlyArray<MetricLabel.MetricLabel> => {
  const key = kv.join("\u0000")
  let out = labelCache.get(key)
  if (out === undefined) {
    const arr: Array<MetricLabel.MetricLabel> = []
    for (let i = 0; i < kv.length; i += 2) arr.push(MetricLabelMake(kv[i]!, kv[i + 1]!))
    out = arr
    labelCache.set(key, out)
  }
  return out
}

/** The status name of a gRPC code (`OK`, `INVALID_ARGUMENT`, …). */
export const grpcCodeName = (code: number): string => Status[code] ?? String(code)

/** A method's hot slots: its latency, and its count per status code. */
interface MethodSlots {
  readonly latency: HotSlot
  readonly byCode: (code: string) => HotSlot
}
const slotsOfMethod = memoBy(
  (method: string): MethodSlots => ({
    latency: new HotSlot(grpcLatency, labels("method", method), "histogram"),
    byCode: memoBy((code: string) => new HotSlot(grpcRequests, labels("method", method, "code", code), "counter"))
  })
)

/** Records one agent API call (synchronous: called from the gRPC server's promise world). */
export const grpcRequest = (method: string, code: number | string, millis: number): void => {
  const m = slotsOfMethod(method)
  m.byCode(typeof code === "number" ? grpcCodeName(code) : code).add(1)
  m.latency.add(millis)
}

/**
 * Wraps an async gRPC handler so every call is counted with its method, final status and latency.
 * A thrown error carrying a numeric `code` (nice-grpc `ServerError`) gives the status; anything
 * else counts as UNKNOWN, which is what the transport answers.
 */
export const timedRpc =
  <Req, Ctx, Res>(method: string, handler: (req: Req, ctx: Ctx) => Res | Promise<Res>) =>
  (req: Req, ctx: Ctx): Res | Promise<Res> => {
    const t0 = performance.now()
    const failed = (e: unknown): never => {
      const code = typeof (e as { code?: unknown })?.code === "number" ? (e as { code: number }).code : Status.UNKNOWN
      grpcRequest(method, code, performance.now() - t0)
      throw e
    }
    let res: Res | Promise<Res>
    try {
      res = handler(req, ctx)
    } catch (e) {
      return failed(e)
    }
    // A reply given at once is counted at once: no promise and no extra turn for it.
    if (!(res instanceof Promise)) {
      grpcRequest(method, Status.OK, performance.now() - t0)
      return res
    }
    return res.then((r) => {
      grpcRequest(method, Status.OK, performance.now() - t0)
      return r
    }, failed)
  }

/** Triple labels for per-triple metrics. */
export const tripleLabels = (t: { readonly developer: string; readonly agent: string; readonly agentMethod: string }) =>
  labels("developer", t.developer, "agent", t.agent, "agent_method", t.agentMethod)

/** Sets the jobs-by-state gauges from store counts. */
export const setJobCounts = (counts: Readonly<Record<string, number>>): Effect.Effect<void> =>
  Effect.sync(() => {
    for (const [state, n] of Object.entries(counts)) {
      if (state !== "total") jobsByState.unsafeUpdate(n, labels("state", state))
    }
  })

/**
 * Jobs started, completed and failed since this process started: what the live status line and
 * `/v1/status` (hence `silvana-coordinator status`) both show.
 */
export const jobTotals = Effect.zipRight(flushHot, Effect.all({
  started: Effect.map(Metric.value(jobsStarted), (s) => Number(s.count)),
  completed: Effect.map(Metric.value(jobsCompleted), (s) => Number(s.count)),
  failed: Effect.map(Metric.value(jobsFailed), (s) => Number(s.count))
}))

export const jobStarted = (n = 1) => Effect.sync(() => jobsStarted.unsafeUpdate(n, []))
/** The job helpers synchronously, for the agent API's fast path. */
type TripleRef = Parameters<typeof tripleLabels>[0]
const completedSlot = new HotSlot(jobsCompleted, [], "counter")
const failedSlot = new HotSlot(jobsFailed, [], "counter")
const dispatchSlot = new HotSlot(dispatchLatency, [], "histogram")
/** Queue-wait slots by triple: a session's triple is one object for its life, so most calls find it by identity. */
const waitByTriple = new WeakMap<TripleRef, HotSlot>()
const waitByLabels = memoBy((tags: ReadonlyArray<MetricLabel.MetricLabel>) => new HotSlot(queueWait, tags, "histogram"))
export const unsafeJobReported = (kind: "complete" | "fail" | "terminate"): void => (kind === "complete" ? completedSlot : failedSlot).add(1)
export const unsafeJobWaited = (t: TripleRef, millis: number): void => {
  let slot = waitByTriple.get(t)
  if (slot === undefined) {
    // tripleLabels hands back one cached array per triple, so equal triples share a slot.
    slot = waitByLabels(tripleLabels(t))
    waitByTriple.set(t, slot)
  }
  slot.add(millis)
}
export const unsafeJobDispatched = (millis: number): void => dispatchSlot.add(millis)
export const jobReported = (kind: "complete" | "fail" | "terminate") => Effect.sync(() => unsafeJobReported(kind))
export const jobWaited = (t: TripleRef, millis: number) => Effect.sync(() => unsafeJobWaited(t, millis))
export const jobDispatched = (millis: number) => Effect.sync(() => unsafeJobDispatched(millis))
export const agents = (active: number, free: number) =>
  Effect.sync(() => {
    agentsActive.unsafeUpdate(active, [])
    permitsFree.unsafeUpdate(free, [])
  })
export const containerStarted = (millis: number) => Effect.sync(() => containerStart.unsafeUpdate(millis, []))
export const containerExited = (reason: string) => Effect.sync(() => containerExits.unsafeUpdate(1, labels("reason", reason)))
export const agentStartFailed = (t: Parameters<typeof tripleLabels>[0], step: "retry" | "give_up") =>
  Effect.sync(() => agentStartFailures.unsafeUpdate(1, [...tripleLabels(t), ...labels("step", step)]))
export const transaction = (kind: string, outcome: "success" | "failure" | "error", ops: number) =>
  Effect.sync(() => {
    transactions.unsafeUpdate(1, labels("kind", kind, "outcome", outcome))
    opsPerTransaction.unsafeUpdate(ops, [])
  })
export const proofEvent = (type: string) => Effect.sync(() => proofEvents.unsafeUpdate(1, labels("type", type)))
/** Adds `n` transactions of a kind and outcome (when only totals are known, without ops). */
export const transactionsCounted = (kind: string, outcome: "success" | "failure" | "error", n: number) =>
  Effect.sync(() => transactions.unsafeUpdate(n, labels("kind", kind, "outcome", outcome)))
export const gas = (mist: bigint | number) => Effect.sync(() => gasBalance.unsafeUpdate(Number(mist), []))
export const checkpoint = (processed: bigint | number, latest: bigint | number) =>
  Effect.sync(() => {
    lastCheckpoint.unsafeUpdate(Number(processed), [])
    checkpointLag.unsafeUpdate(Math.max(0, Number(latest) - Number(processed)), [])
  })
export const replayGap = (n = 1) => Effect.sync(() => replayGaps.unsafeUpdate(n, []))

// ---- Prometheus exposition ----------------------------------------------------------------------

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
const num = (n: number) => (Number.isNaN(n) ? "NaN" : n === Infinity ? "+Inf" : n === -Infinity ? "-Inf" : String(n))
const validName = (n: string) => n.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([0-9])/, "_$1")
const labelStr = (pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.length === 0 ? "" : `{${pairs.map(([k, v]) => `${validName(k)}="${escapeLabel(v)}"`).join(",")}}`

/**
 * Renders metric pairs as Prometheus text format 0.0.4. Only `silvana_` metrics by default: Effect
 * registers its own internal fiber metrics, which are not this daemon's contract.
 */
export const renderPrometheus = (
  pairs: ReadonlyArray<MetricPair.Untyped>,
  filter: (name: string) => boolean = (n) => n.startsWith("silvana_")
): string => {
  const families = new Map<string, { type: string; help: string; lines: Array<string> }>()
  const family = (name: string, type: string, help: string) => {
    let f = families.get(name)
    if (f === undefined) {
      f = { type, help, lines: [] }
      families.set(name, f)
    }
    return f
  }
  for (const pair of pairs) {
    const key = pair.metricKey
    if (!filter(key.name)) continue
    const name = validName(key.name)
    const help = Option.getOrElse(key.description, () => name)
    const tags = key.tags.map((t) => [t.key, t.value] as const)
    const state = pair.metricState
    if (MetricState.isCounterState(state)) {
      family(name, "counter", help).lines.push(`${name}${labelStr(tags)} ${num(Number(state.count))}`)
    } else if (MetricState.isGaugeState(state)) {
      family(name, "gauge", help).lines.push(`${name}${labelStr(tags)} ${num(Number(state.value))}`)
    } else if (MetricState.isHistogramState(state)) {
      const f = family(name, "histogram", help)
      // Effect's boundaries end with +Inf already; the +Inf bucket is written once, from the count.
      for (const [bound, count] of state.buckets) {
        if (bound === Infinity) continue
        f.lines.push(`${name}_bucket${labelStr([...tags, ["le", num(bound)]])} ${count}`)
      }
      f.lines.push(`${name}_bucket${labelStr([...tags, ["le", "+Inf"]])} ${state.count}`)
      f.lines.push(`${name}_sum${labelStr(tags)} ${num(state.sum)}`)
      f.lines.push(`${name}_count${labelStr(tags)} ${state.count}`)
    } else if (MetricState.isFrequencyState(state)) {
      const f = family(name, "counter", help)
      for (const [value, count] of state.occurrences) {
        f.lines.push(`${name}${labelStr([...tags, ["value", value]])} ${count}`)
      }
    } else if (MetricState.isSummaryState(state)) {
      const f = family(name, "summary", help)
      for (const [q, v] of state.quantiles) {
        f.lines.push(`${name}${labelStr([...tags, ["quantile", num(q)]])} ${num(Option.getOrElse(v, () => NaN))}`)
      }
      f.lines.push(`${name}_sum${labelStr(tags)} ${num(state.sum)}`)
      f.lines.push(`${name}_count${labelStr(tags)} ${state.count}`)
    }
  }
  const out: Array<string> = []
  for (const [name, f] of [...families.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines)
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`
}

/** The current exposition of every `silvana_` metric. */
export const prometheusText: Effect.Effect<string> = Effect.zipRight(flushHot, Effect.map(Metric.snapshot, (pairs) => renderPrometheus(pairs)))

/**
 * Makes every unlabelled metric visible from the start (at zero / empty), so a scrape shows the
 * whole list before anything happened. Reading a value registers it without observing anything.
 */
export const registerAll: Effect.Effect<void> = Effect.sync(() => {
  for (const m of [
    jobsStarted,
    jobsCompleted,
    jobsFailed,
    dispatchLatency,
    agentsActive,
    permitsFree,
    containerStart,
    opsPerTransaction,
    gasBalance,
    checkpointLag,
    lastCheckpoint,
    replayGaps,
    agentMessagesDropped
  ] as ReadonlyArray<Metric.Metric<unknown, never, unknown>>) {
    m.unsafeValue([])
  }
})

/**
 * Decorates an agent runtime so every start is timed (`silvana_container_start_ms`, failures
 * counted as exits with reason `start_failed`) and every agent's end is counted by reason
 * (`silvana_container_exits_total`), once per agent however often its `exit` is awaited.
 */
export const instrumentRuntime = (runtime: AgentRuntimeService): AgentRuntimeService => ({
  ...runtime,
  start: (spec) =>
    Effect.gen(function* () {
      const t0 = performance.now()
      const handle = yield* runtime.start(spec).pipe(Effect.tapError(() => containerExited("start_failed")))
      yield* containerStarted(performance.now() - t0)
      let counted = false
      const count = (info: ExitInfo) =>
        Effect.suspend(() => {
          if (counted) return Effect.void
          counted = true
          return containerExited(info.reason)
        })
      return { ...handle, exit: Effect.tap(handle.exit, count), stop: (graceMs) => Effect.tap(handle.stop(graceMs), count) }
    })
})

/** The same, as a layer over the current `AgentRuntime` (it replaces the service it decorates). */
export const layerInstrumentedRuntime = Layer.effect(AgentRuntime, Effect.map(AgentRuntime, instrumentRuntime))
