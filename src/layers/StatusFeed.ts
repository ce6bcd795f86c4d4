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
import type { SessionId, Triple } from "../domain/ids.js"
import type { AgentHandle, AgentRuntimeKind } from "./AgentRuntime.js"
import { JobStore } from "./JobStore.js"
import { type SettledTx, Settlement } from "./Settlement.js"
import { scrub, shortId } from "./status/redact.js"
import { type Percentiles, Recent, Reservoir, Throughput, type ThroughputView } from "./status/series.js"
import { type JobRecord, type SearchQuery, Timelines } from "./status/timelines.js"
import type { AgentView, LogLine, WaitingView } from "../domain/statusView.js"

export type { AgentView, LogLine, WaitingView }

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

export interface StatusFeedService {
  readonly agentStarted: (session: { readonly id: SessionId; readonly triple: Triple }, handle: AgentHandle, runtime: AgentRuntimeKind) => Effect.Effect<void>
  readonly agentEnded: (ended: {
    readonly sessionId: string
    readonly triple: Triple
    readonly exit: { readonly reason: string; readonly exitCode: number | null; readonly message: string }
  }) => Effect.Effect<void>
  /** An AgentMessage line of a live session. */
  readonly agentMessage: (sessionId: string, level: string, message: string) => Effect.Effect<void>
  /** Where the dispatcher's "why is this triple waiting" answer comes from. */
  readonly setWaitingSource: (source: Effect.Effect<ReadonlyArray<{ readonly triple: Omit<WaitingView, "reason">; readonly reason: string }>>) => Effect.Effect<void>
  readonly view: Effect.Effect<FeedView>
  readonly search: (query: SearchQuery) => Effect.Effect<ReadonlyArray<JobRecord>>
  readonly timeline: (appInstance: string, sequence: string) => Effect.Effect<Option.Option<JobRecord>>
  /** Agent starts and ends and settlement transactions, as they happen. */
  readonly events: Stream.Stream<FeedEvent>
}

const MESSAGES_KEPT = 20
const OUTPUT_LINES = 20
const MAX_AGENTS = 1000

interface AgentRecord {
  readonly sessionId: string
  developer: string
  agent: string
  agentMethod: string
  runtime: AgentRuntimeKind | null
  name: string | null
  startedAt: number
  endedAt: number | null
  exit: AgentView["exit"]
  jobsTaken: number
  messages: Array<LogLine>
  handle: AgentHandle | null
  finalOutput: ReadonlyArray<string> | null
}

const tailLines = (text: string, n: number) => text.split("\n").filter((l) => l.trim() !== "").slice(-n)

export const makeStatusFeed = Effect.gen(function* () {
  const clock = yield* Effect.clock
  const now = () => clock.unsafeCurrentTimeMillis()
  const store = yield* JobStore
  const timelines = new Timelines()
  const throughput = new Throughput()
  const latency = new Reservoir()
  const totals = { started: 0, completed: 0, failed: 0 }
  const agents = new Map<string, AgentRecord>()
  const ended = new Recent<AgentRecord>(20)
  const txs = new Recent<TxView>(50)
  const events = yield* PubSub.sliding<FeedEvent>(256)
  let waitingSource: Effect.Effect<ReadonlyArray<{ readonly triple: Omit<WaitingView, "reason">; readonly reason: string }>> = Effect.succeed([])

  const recordOf = (sessionId: string): AgentRecord => {
    let r = agents.get(sessionId)
    if (r === undefined) {
      r = {
        sessionId,
        developer: "",
        agent: "",
        agentMethod: "",
        runtime: null,
        name: null,
        startedAt: now(),
        endedAt: null,
        exit: null,
        jobsTaken: 0,
        messages: [],
        handle: null,
        finalOutput: null
      }
      agents.set(sessionId, r)
      // A session seen only through the API (no agent started by the dispatcher) must not pile up.
      if (agents.size > MAX_AGENTS) agents.delete(agents.keys().next().value!)
    }
    return r
  }

  const outputOf = (r: AgentRecord): Effect.Effect<ReadonlyArray<string>> =>
    r.finalOutput !== null || r.handle === null
      ? Effect.succeed(r.finalOutput ?? [])
      : Effect.map(r.handle.logs, (t) => tailLines(scrub(`${t.stdout}\n${t.stderr}`, [r.sessionId]), OUTPUT_LINES))

  const viewOf = (r: AgentRecord): Effect.Effect<AgentView> =>
    Effect.map(outputOf(r), (output) => ({
      session: shortId(r.sessionId),
      developer: r.developer,
      agent: r.agent,
      agentMethod: r.agentMethod,
      runtime: r.runtime,
      name: r.name,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      exit: r.exit,
      jobsTaken: r.jobsTaken,
      messages: [...r.messages],
      output
    }))

  yield* store.observe((t) => {
    const at = now()
    timelines.transition(t.data, t.state, { jobId: t.jobId, heldBy: t.heldBy, error: t.error }, at)
    switch (t.state) {
      case "started":
        totals.started += 1
        throughput.add("started", at)
        return
      case "held":
        latency.add(Math.max(0, at - Number(t.data.createdAt)))
        if (t.heldBy !== undefined) recordOf(t.heldBy).jobsTaken += 1
        return
      case "completed":
        totals.completed += 1
        throughput.add("completed", at)
        return
      case "failed":
        totals.failed += 1
        throughput.add("failed", at)
        return
    }
  })

  const settlement = yield* Effect.serviceOption(Settlement)
  if (Option.isSome(settlement)) {
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
  }

  const service: StatusFeedService = {
    agentStarted: (session, handle, runtime) =>
      Effect.suspend(() => {
        const r = recordOf(session.id)
        r.developer = session.triple.developer
        r.agent = session.triple.agent
        r.agentMethod = session.triple.agentMethod
        r.runtime = runtime
        r.name = handle.name
        r.handle = handle
        return Effect.flatMap(viewOf(r), (agent) => PubSub.publish(events, { type: "agent_started", agent }))
      }),
    agentEnded: (e) =>
      Effect.gen(function* () {
        const r = recordOf(e.sessionId)
        r.developer = e.triple.developer
        r.agent = e.triple.agent
        r.agentMethod = e.triple.agentMethod
        r.endedAt = now()
        r.exit = { reason: e.exit.reason, exitCode: e.exit.exitCode, message: scrub(e.exit.message, [r.sessionId]) }
        r.finalOutput = yield* outputOf(r)
        r.handle = null
        agents.delete(e.sessionId)
        ended.push(r)
        yield* PubSub.publish(events, { type: "agent_ended", agent: yield* viewOf(r) })
      }),
    agentMessage: (sessionId, level, message) =>
      Effect.sync(() => {
        const r = recordOf(sessionId)
        r.messages.push({ at: now(), level, message: scrub(message, [sessionId]) })
        if (r.messages.length > MESSAGES_KEPT) r.messages.splice(0, r.messages.length - MESSAGES_KEPT)
      }),
    setWaitingSource: (source) =>
      Effect.sync(() => {
        waitingSource = source
      }),
    view: Effect.gen(function* () {
      const at = yield* Clock.currentTimeMillis
      const live = yield* Effect.forEach([...agents.values()], viewOf)
      const gone = yield* Effect.forEach(ended.list(), viewOf)
      const waiting = yield* waitingSource
      return {
        throughput: throughput.view(at),
        totals: { ...totals },
        dispatchLatencyMs: latency.percentiles(),
        agents: { live, ended: gone },
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
