/**
 * dispatch — turns pending jobs into running agents.
 *
 * For every triple with pending jobs: look its method up in the registry, start jobs on chain
 * (batched by Settlement), and make sure an agent session serves the triple. Rules:
 * - at most `maxAgentsPerTriple` sessions per triple and `MAX_CONCURRENT_AGENTS` in all: a
 *   Semaphore permit is held for each agent's whole life;
 * - fair: a triple waiting for a permit queues once, permits are granted first-come first-served,
 *   and while any triple waits, running sessions are not topped up with new jobs, so they drain
 *   and hand their permit on — no triple starves while others have work;
 * - bounded prefetch: no more jobs are started on chain than the triple's sessions can take soon,
 *   so other coordinators can take the rest;
 * - methods this host cannot run (memory, CPUs, TEE) and methods missing from the registry are left
 *   for other coordinators with one log line, not retried in a loop;
 * - a hung agent (no GetJob for `idleHandoffMillis`) does not keep the jobs started for its triple
 *   waiting: a fresh agent of the triple is launched beside it when a permit is free, and takes
 *   them; the hung one keeps only what it holds;
 * - an agent that cannot start backs its triple off (startBackoff.ts): exponential, capped, one log
 *   line per step; when the back-off gives up, the triple's started jobs are failed on chain.
 */
import * as os from "node:os"
import { Clock, type Context, Duration, Effect, FiberMap, FiberSet, Option, Queue } from "effect"
import { type AppInstanceId, Triple, tripleKey } from "../domain/ids.js"
import { AgentApi } from "../layers/AgentApi.js"
import { AgentRuntime } from "../layers/AgentRuntime.js"
import { AgentSlots } from "../layers/AgentSlots.js"
import { Config } from "../layers/Config.js"
import { Reports } from "../layers/Reports.js"
import { Sessions } from "../layers/Sessions.js"
import { JobStore, type TripleRef } from "../layers/JobStore.js"
import { Registry } from "../layers/Registry.js"
import * as Metrics from "../layers/Metrics.js"
import { Settlement } from "../layers/Settlement.js"
import { agentSession, type MethodSpec, type SessionHooks } from "./agentSession.js"
import { newTripleState, planPending, sessionCounts, startTroubles, type TripleState, type WaitingTriple, waitingTriples } from "./dispatchPlan.js"
import { defaultStartBackoff, type StartBackoffPolicy, type StartTrouble, startBatch } from "./startBackoff.js"
import { afterSession } from "./startFailures.js"

export interface DispatchOptions {
  /** Coordinator address, written on agents' labels and env. */
  readonly coordinatorId: string
  /** Started-but-not-taken jobs allowed per live session of a triple. */
  readonly prefetchPerSession: number
  readonly maxAgentsPerTriple: number
  /**
   * The least time between two passes: the transitions of a burst share one. A pass runs when a
   * job changes state or a session ends, at the latest `idleMillis` after the last one, or when a
   * triple left alone may be looked at again.
   */
  readonly pollMillis: number
  /** The longest wait for a pass when nothing wakes the dispatcher (an agent gone quiet is noticed by it). */
  readonly idleMillis: number
  /** How long a triple whose method is missing or cannot run here is left alone. */
  readonly blockMillis: number
  /** Back-off of triples whose agent cannot start. */
  readonly startBackoff: StartBackoffPolicy
  /** An agent that has not called GetJob for this long no longer keeps its triple's started jobs waiting. */
  readonly idleHandoffMillis?: number
  readonly hooks?: SessionHooks
}

export const defaultDispatchOptions = (coordinatorId: string): DispatchOptions => ({
  coordinatorId,
  prefetchPerSession: 32,
  maxAgentsPerTriple: 1,
  pollMillis: 20,
  idleMillis: 1_000,
  blockMillis: 60_000,
  startBackoff: defaultStartBackoff
})

export type { WaitingTriple } from "./dispatchPlan.js"

/** Why a method cannot run on this host, or `undefined` when it can. */
export const hostCannotRun = (m: MethodSpec, host: { memoryBytes: number; cpus: number; tee: boolean }): string | undefined => {
  if (m.requiresTee && !host.tee) return "the method requires TEE and this coordinator is not in TEE mode (DOCKER_USE_TEE)"
  if (m.minMemoryGb * 1024 ** 3 > host.memoryBytes) {
    return `the method needs ${m.minMemoryGb} GiB of memory; this host has ${(host.memoryBytes / 1024 ** 3).toFixed(1)} GiB`
  }
  if (m.minCpuCores > host.cpus) return `the method needs ${m.minCpuCores} CPU cores; this host has ${host.cpus}`
  return undefined
}

export interface Dispatcher {
  /** The dispatch loop; runs until interrupted. Interrupting it stops new starts and sessions. */
  readonly run: Effect.Effect<never>
  /** Sessions running now (including those waiting for a permit). */
  readonly activeSessions: Effect.Effect<number>
  /** Waits until no session runs, or `timeout` passes; then interrupts the rest (agents stopped). */
  readonly drain: (timeout: Duration.DurationInput) => Effect.Effect<void>
  /** Triples waiting for a permit or left alone (method missing, memory, CPUs, TEE), with why. */
  readonly waiting: Effect.Effect<ReadonlyArray<WaitingTriple>>
  /** Triples whose last agent start failed (backing off or degraded). */
  readonly startTrouble: Effect.Effect<ReadonlyArray<StartTrouble>>
}

/**
 * Starts jobs of a triple on chain through Settlement, keeping the store and the triple's count in
 * step; `settled` is called once a start transaction is over (the dispatcher looks again).
 */
const makeJobStarter = (stateOf: (t: TripleRef) => TripleState, settled: () => void) =>
  Effect.gen(function* () {
    const store = yield* JobStore
    const settlement = yield* Settlement
    const startAt = (st: TripleState, appInstance: AppInstanceId, seqs: ReadonlyArray<bigint>) =>
      settlement.start(appInstance, seqs).pipe(
        Effect.flatMap((results) =>
          Effect.reduce(seqs, 0, (n, seq) =>
            results.get(seq) === true
              ? Effect.map(store.markStarted(appInstance, seq), (id) => (Option.isSome(id) ? n + 1 : n)).pipe(Effect.tap(() => Metrics.jobStarted()))
              : Effect.as(store.startLost(appInstance, seq), n)
          )
        ),
        Effect.catchAll((error) =>
          Effect.zipRight(
            Effect.logWarning("start transaction failed; the jobs stay pending", { error: String(error), jobs: seqs.length }),
            Effect.as(Effect.forEach(seqs, (seq) => store.startFailed(appInstance, seq), { discard: true }), 0)
          )
        ),
        Effect.ensuring(
          Effect.sync(() => {
            st.starting -= seqs.length
            settled()
          })
        )
      )
    /** Starts up to `want` pending jobs of the triple on chain; returns how many we now own. */
    return (t: TripleRef, want: number) =>
      Effect.gen(function* () {
        const st = stateOf(t)
        const claimed = yield* store.claimForStart(t, want)
        if (claimed.length === 0) return 0
        st.starting += claimed.length
        const byInstance = new Map<AppInstanceId, Array<bigint>>()
        for (const j of claimed) {
          const list = byInstance.get(j.appInstance) ?? []
          list.push(j.jobSequence)
          byInstance.set(j.appInstance, list)
        }
        const counts = yield* Effect.forEach(byInstance, ([appInstance, seqs]) => startAt(st, appInstance, seqs), { concurrency: "unbounded" })
        return counts.reduce((a, b) => a + b, 0)
      })
  })

/** The method of a triple from the registry, cached; blocks the triple for a while when it is missing or cannot run here. */
const makeMethodLookup = (blockMillis: number, host: Parameters<typeof hostCannotRun>[1]) =>
  Effect.gen(function* () {
    const registry = yield* Registry
    const block = (t: TripleRef, st: TripleState, until: number, reason: string, log: Effect.Effect<void>) => {
      st.blockedUntil = until
      st.blockedReason = reason
      return Effect.as(Effect.annotateLogs(log, { developer: t.developer, agent: t.agent, agent_method: t.agentMethod }), Option.none<MethodSpec>())
    }
    return (t: TripleRef, st: TripleState, now: number) =>
      Effect.gen(function* () {
        if (Option.isSome(st.method)) return st.method
        const found = yield* registry.lookup(t.developer, t.agent, t.agentMethod).pipe(Effect.either)
        if (found._tag === "Left") {
          // A missing method is an answer: leave the jobs alone for a while. A failed read is retried soon.
          return yield* found.left.reason !== "Unavailable"
            ? block(t, st, now + blockMillis, "no agent method registered for this triple",
              Effect.logWarning("no agent method registered for this triple; its jobs are left for other coordinators", { error: found.left.message }))
            : block(t, st, now + 2_000, `registry read failed: ${found.left.message}`,
              Effect.logDebug("registry read failed; retrying shortly", { error: found.left.message }))
        }
        const reason = hostCannotRun(found.right, host)
        if (reason !== undefined) {
          return yield* block(t, st, now + blockMillis, reason, Effect.logWarning(`leaving this method's jobs for other coordinators: ${reason}`))
        }
        st.method = Option.some(found.right)
        return st.method
      })
  })

/** Whether a hung session's waiting jobs should go to a fresh session of the triple now. */
const makeHandOff =
  (options: DispatchOptions, sessions: Context.Tag.Service<Sessions>, slots: Context.Tag.Service<AgentSlots>) =>
  (t: TripleRef, st: TripleState, now: number) =>
    Effect.gen(function* () {
      if (options.idleHandoffMillis === undefined || st.waiting > 0) return false
      const hung = yield* sessions.idleSince(t, now - options.idleHandoffMillis)
      if (hung === 0 || st.live - hung >= options.maxAgentsPerTriple) return false
      if ((yield* slots.inUse) + (yield* slots.waiting) >= slots.capacity) return false
      yield* Effect.logWarning("an agent has not asked for a job for a while; its triple's waiting jobs go to a fresh agent", {
        developer: t.developer,
        agent: t.agent,
        agent_method: t.agentMethod,
        idle_ms: options.idleHandoffMillis,
        hung_sessions: hung
      })
      return true
    })

/**
 * Until a pass may find something new to do: a job changed state (new pending work, a start that
 * landed or failed, a job taken or ended) or a session ended (`wake` rung), or a triple left alone
 * is due again. A dispatcher with nothing to do does no pass at all, save one every `idleMillis`;
 * passes are at least `pollMillis` apart.
 */
const untilWoken = (wake: Queue.Dequeue<void>, triples: ReadonlyMap<string, TripleState>, options: DispatchOptions) =>
  Effect.gen(function* () {
    yield* Effect.sleep(options.pollMillis)
    const now = yield* Clock.currentTimeMillis
    let until = now + options.idleMillis
    for (const st of triples.values()) if (st.blockedUntil > now && st.blockedUntil < until) until = st.blockedUntil
    yield* Effect.raceFirst(Queue.take(wake), Effect.sleep(until - now))
  })

/** Builds the dispatcher in the current scope; its sessions live in that scope. */
export const makeDispatcher = (options: DispatchOptions) =>
  Effect.gen(function* () {
    const config = yield* Config
    const store = yield* JobStore
    const slots = yield* AgentSlots
    const context = yield* Effect.context<Config | Sessions | AgentApi | AgentRuntime | Reports | JobStore>()
    const sessionsService = yield* Sessions
    const sessions = yield* FiberMap.make<string>()
    const topUps = yield* FiberSet.make()
    const triples = new Map<string, TripleState>()
    // Rung by every job transition and session end; holds one ring, so a burst wakes one pass.
    const wake = yield* Queue.sliding<void>(1)
    const ring = () => void Queue.unsafeOffer(wake, undefined)
    yield* store.observe(ring)
    let sessionCounter = 0
    const stateOf = (t: TripleRef): TripleState => {
      const k = tripleKey(t)
      const known = triples.get(k)
      if (known !== undefined) return known
      const fresh = newTripleState(t)
      triples.set(k, fresh)
      return fresh
    }
    const startJobs = yield* makeJobStarter(stateOf, ring)
    const methodFor = yield* makeMethodLookup(options.blockMillis, { memoryBytes: os.totalmem(), cpus: os.cpus().length, tee: config.dockerUseTee })

    /** One session for the triple: wait for a slot (FIFO), start its first jobs, run the agent. */
    const launch = (t: TripleRef, method: MethodSpec) => {
      const st = stateOf(t)
      st.live += 1
      st.waiting += 1
      const triple = Triple.make({ developer: t.developer, agent: t.agent, agentMethod: t.agentMethod })
      const key = `${tripleKey(t)}#${++sessionCounter}`
      const session = Effect.gen(function* () {
        st.waiting -= 1
        const ready = yield* store.startedCount(t)
        const started = ready > 0 ? ready : yield* startJobs(t, startBatch(options.startBackoff, st.start, options.prefetchPerSession))
        if (started === 0) return
        const outcome = yield* agentSession(triple, method, options.coordinatorId, options.hooks ?? {})
        st.start = yield* afterSession(options.startBackoff, t, st.start, outcome)
        st.blockedUntil = Math.max(st.blockedUntil, st.start.retryAt)
      })
      const run = slots.withSlot(session).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            st.live -= 1
            ring()
          })
        ),
        Effect.catchAllCause((cause) => Effect.logError("agent session failed", cause))
      )
      return FiberMap.run(sessions, key, run)
    }

    const handOff = makeHandOff(options, sessionsService, slots)

    const tick = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const someoneWaits = (yield* slots.waiting) > 0
      for (const { triple: t, pending } of yield* store.pendingTriples) {
        const st = stateOf(t)
        if (st.blockedUntil > now) continue
        const method = yield* methodFor(t, st, now)
        if (Option.isNone(method)) continue
        const inReserve = st.live > 0 ? (yield* store.startedCount(t)) + st.starting : 0
        const view = { pending, live: st.live, waiting: st.waiting, inReserve, startFailures: st.start.failures }
        const plan = planPending(view, someoneWaits, options)
        if (plan.topUp > 0) yield* FiberSet.run(topUps, startJobs(t, plan.topUp))
        if (plan.launch) yield* launch(t, method.value)
      }
      // Started jobs whose session ended before taking them need a new session; those whose
      // sessions all hang get a fresh one beside them when a permit is free.
      for (const t of yield* store.startedTriples) {
        const st = stateOf(t)
        if (st.blockedUntil > now) continue
        if (st.live > 0 && !(yield* handOff(t, st, now))) continue
        const method = yield* methodFor(t, st, now)
        if (Option.isSome(method)) yield* launch(t, method.value)
      }
    })

    const run = Effect.logInfo("dispatch running", {
      max_concurrent_agents: slots.capacity,
      prefetch_per_session: options.prefetchPerSession
    }).pipe(
      Effect.zipRight(
        tick.pipe(
          Effect.zipRight(Effect.suspend(() => {
            const { running } = sessionCounts(triples.values())
            return Metrics.agents(running, slots.capacity - running)
          })),
          Effect.zipRight(untilWoken(wake, triples, options)),
          Effect.forever
        )
      ),
      Effect.withSpan("program.dispatch"),
      Effect.provide(context)
    )

    const drain = (timeout: Duration.DurationInput) =>
      Effect.gen(function* () {
        yield* FiberSet.clear(topUps)
        const waited = yield* FiberMap.awaitEmpty(sessions).pipe(Effect.interruptible, Effect.timeout(timeout), Effect.option)
        if (Option.isNone(waited)) {
          yield* Effect.logWarning("agents still running after the grace period; stopping them", { sessions: sessionCounts(triples.values()).live })
        }
        yield* FiberMap.clear(sessions)
      })

    return {
      run,
      activeSessions: Effect.sync(() => sessionCounts(triples.values()).live),
      drain,
      waiting: Effect.map(Clock.currentTimeMillis, (now) => waitingTriples(triples.values(), now, slots.capacity)),
      startTrouble: Effect.sync(() => startTroubles(triples.values(), options.startBackoff))
    } satisfies Dispatcher
  })
