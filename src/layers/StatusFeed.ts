/**
 * StatusFeed — what the status page shows beyond the store's counts, recorded where the daemon
 * already knows it: job timelines (JobStore transitions and Settlement outcomes), throughput over
 * the last hour and dispatch latency, agent sessions with their log lines and output, and the
 * recent settlement transactions. Everything is bounded and in memory; nothing here is durable.
 *
 * Observers run synchronously inside store transitions, so they only append to small structures.
 * Session ids leave this service as short prefixes; agent text is scrubbed of private keys.
 */
import { Clock, Context, Effect, Layer, Option, PubSub, Stream } from "effect"
import type { AppInstanceId, SessionId, Triple } from "../domain/ids.js"
import type { AgentHandle, AgentRuntimeKind } from "./AgentRuntime.js"
import { JobStore } from "./JobStore.js"
import { type SettledTx, Settlement } from "./Settlement.js"
import { type AgentEnded, AgentBook } from "./status/agents.js"
import { type Percentiles, Recent, Reservoir, Throughput, type ThroughputView } from "./status/series.js"
import { type JobRecord, type SearchQuery, Timelines } from "./status/timelines.js"
import type { AgentView, LogLine, WaitingView } from "../domain/statusView.js"

export type { AgentEnded, AgentView, LogLine, WaitingView }

export interface TxView extends SettledTx {
  readonly at: number
}

export type FeedEvent =
  | { readonly type: "agent_started"; readonly agent: AgentView }
  | { readonly type: "agent_ended"; readonly agent: AgentView }
  | { readonly type: "tx"; readonly tx: TxView }

export interface FeedView {
  readonly throughput: ThroughputView
  readonly totals: { readonly started: number; readonly completed: number; readonly failed: number }
  readonly dispatchLatencyMs: Percentiles
  readonly agents: { readonly live: ReadonlyArray<AgentView>; readonly ended: ReadonlyArray<AgentView> }
  readonly waiting: ReadonlyArray<WaitingView>
  readonly transactions: ReadonlyArray<TxView>
}

type WaitingSource = Effect.Effect<ReadonlyArray<{ readonly triple: Omit<WaitingView, "reason">; readonly reason: string }>>

export interface StatusFeedService {
  readonly agentStarted: (session: { readonly id: SessionId; readonly triple: Triple }, handle: AgentHandle, runtime: AgentRuntimeKind) => Effect.Effect<void>
  readonly agentEnded: (ended: AgentEnded) => Effect.Effect<void>
  /** An AgentMessage line of a live session. */
  readonly agentMessage: (sessionId: string, level: string, message: string) => Effect.Effect<void>
  /** Where the dispatcher's "why is this triple waiting" answer comes from. */
  readonly setWaitingSource: (source: WaitingSource) => Effect.Effect<void>
  readonly view: Effect.Effect<FeedView>
  readonly search: (query: SearchQuery) => Effect.Effect<ReadonlyArray<JobRecord>>
  readonly timeline: (appInstance: AppInstanceId, sequence: bigint) => Effect.Effect<Option.Option<JobRecord>>
  /** Agent starts and ends and settlement transactions, as they happen. */
  readonly events: Stream.Stream<FeedEvent>
}

/** Counts, throughput, dispatch latency and timelines, fed by the store's transitions. */
const observeJobs = (timelines: Timelines, agents: AgentBook, now: () => number) =>
  Effect.gen(function* () {
    const store = yield* JobStore
    const throughput = new Throughput()
    const latency = new Reservoir()
    const totals = { started: 0, completed: 0, failed: 0 }
    yield* store.observe((t) => {
      const at = now()
      timelines.transition(t.data, t.state, { jobId: t.jobId, heldBy: t.heldBy, error: t.error }, at)
      switch (t.state) {
        case "held":
          latency.add(Math.max(0, at - Number(t.data.createdAt)))
          if (t.heldBy !== undefined) agents.tookJob(t.heldBy)
          return
        case "started":
        case "completed":
        case "failed":
          totals[t.state] += 1
          throughput.add(t.state, at)
          return
      }
    })
    return {
      view: (at: number) => ({ throughput: throughput.view(at), totals: { ...totals }, dispatchLatencyMs: latency.percentiles() })
    }
  })

/** Settlement outcomes into the timelines, its transactions into the recent list and the feed. */
const followSettlement = (timelines: Timelines, txs: Recent<TxView>, events: PubSub.PubSub<FeedEvent>, now: () => number) =>
  Effect.gen(function* () {
    const settlement = yield* Effect.serviceOption(Settlement)
    if (Option.isNone(settlement)) return
    yield* settlement.value.outcomes.pipe(
      Stream.runForEach((o) => Effect.sync(() => timelines.settled(o, now()))),
      Effect.forkScoped
    )
    yield* settlement.value.transactions.pipe(
      Stream.runForEach((tx) => {
        const view: TxView = { ...tx, at: now() }
        txs.push(view)
        return PubSub.publish(events, { type: "tx", tx: view })
      }),
      Effect.forkScoped
    )
  })

export const makeStatusFeed = Effect.gen(function* () {
  const clock = yield* Effect.clock
  const now = () => clock.unsafeCurrentTimeMillis()
  const timelines = new Timelines()
  const agents = new AgentBook(now)
  const txs = new Recent<TxView>(50)
  const events = yield* PubSub.sliding<FeedEvent>(256)
  let waitingSource: WaitingSource = Effect.succeed([])
  const jobs = yield* observeJobs(timelines, agents, now)
  yield* followSettlement(timelines, txs, events, now)

  const service: StatusFeedService = {
    agentStarted: (session, handle, runtime) =>
      Effect.flatMap(agents.started(session, handle, runtime), (agent) => PubSub.publish(events, { type: "agent_started", agent })),
    agentEnded: (e) => Effect.flatMap(agents.endedWith(e), (agent) => PubSub.publish(events, { type: "agent_ended", agent })),
    agentMessage: (sessionId, level, message) => Effect.sync(() => agents.message(sessionId, level, message)),
    setWaitingSource: (source) =>
      Effect.sync(() => {
        waitingSource = source
      }),
    view: Effect.gen(function* () {
      const at = yield* Clock.currentTimeMillis
      const agentViews = yield* agents.views
      const waiting = yield* waitingSource
      return {
        ...jobs.view(at),
        agents: agentViews,
        waiting: waiting.map((w) => ({ ...w.triple, reason: w.reason })),
        transactions: txs.list()
      }
    }),
    search: (query) => Effect.sync(() => timelines.search(query)),
    timeline: (appInstance, sequence) => Effect.sync(() => Option.fromNullable(timelines.get(appInstance, sequence))),
    events: Stream.fromPubSub(events)
  }
  return service
})

export class StatusFeed extends Context.Tag("silvana/StatusFeed")<StatusFeed, StatusFeedService>() {
  /** Observes the JobStore (and Settlement, when present) for the life of the layer. */
  static readonly layer = Layer.scoped(StatusFeed, makeStatusFeed)
}
