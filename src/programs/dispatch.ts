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
 * - an agent that cannot start backs its triple off (startBackoff.ts): exponential, capped, one log
 *   line per step; when the back-off gives up, the triple's started jobs are failed on chain.
 */
import * as os from "node:os"
import { Clock, Duration, Effect, FiberMap, FiberSet, Option, Ref } from "effect"
import { type AppInstanceId, Triple, tripleKey } from "../domain/ids.js"
import { AgentApi } from "../layers/AgentApi.js"
import { AgentRuntime } from "../layers/AgentRuntime.js"
import { Config } from "../layers/Config.js"
import { Reports } from "../layers/Reports.js"
import { Sessions } from "../layers/Sessions.js"
import { JobStore, type TripleRef } from "../layers/JobStore.js"
import { Registry } from "../layers/Registry.js"
import * as Metrics from "../layers/Metrics.js"
import { Settlement } from "../layers/Settlement.js"
import { agentSession, type MethodSpec, type SessionHooks } from "./agentSession.js"
import { defaultStartBackoff, healthyStart, isDegraded, type StartBackoffPolicy, type StartHealth, type StartTrouble, startBatch } from "./startBackoff.js"
import { afterSession } from "./startFailures.js"

export interface DispatchOptions {
  /** Coordinator address, written on agents' labels and env. */
  readonly coordinatorId: string
  /** Started-but-not-taken jobs allowed per live session of a triple. */
  readonly prefetchPerSession: number
  readonly maxAgentsPerTriple: number
  /** How often the dispatcher looks for work when nothing woke it. */
  readonly pollMillis: number
  /** How long a triple whose method is missing or cannot run here is left alone. */
  readonly blockMillis: number
  /** Back-off of triples whose agent cannot start. */
  readonly startBackoff: StartBackoffPolicy
  readonly hooks?: SessionHooks
}

export const defaultDispatchOptions = (coordinatorId: string): DispatchOptions => ({
  coordinatorId,
  prefetchPerSession: 32,
  maxAgentsPerTriple: 1,
  pollMillis: 20,
  blockMillis: 60_000,
  startBackoff: defaultStartBackoff
})

interface TripleState {
  readonly triple: TripleRef
  /** Sessions running or waiting for a permit. */
  live: number
  /** Sessions waiting for a permit. */
  waiting: number
  /** Jobs in a start transaction now. */
  starting: number
  blockedUntil: number
  /** Why the triple is left alone until `blockedUntil`. */
  blockedReason: string | undefined
  method: Option.Option<MethodSpec>
  start: StartHealth
}

/** A triple that has work but no running agent, and why (for the status page). */
export interface WaitingTriple {
  readonly triple: TripleRef
  readonly reason: string
}

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

/** Builds the dispatcher in the current scope; its sessions live in that scope. */
export const makeDispatcher = (options: DispatchOptions) =>
  Effect.gen(function* () {
    const config = yield* Config
    const store = yield* JobStore
    const registry = yield* Registry
    const settlement = yield* Settlement
    const context = yield* Effect.context<Config | Sessions | AgentApi | AgentRuntime | Reports | JobStore>()
    const permits = yield* Effect.makeSemaphore(config.maxConcurrentAgents)
    const sessions = yield* FiberMap.make<string>()
    const topUps = yield* FiberSet.make()
    const triples = new Map<string, TripleState>()
    const waitingTotal = yield* Ref.make(0)
    const host = { memoryBytes: os.totalmem(), cpus: os.cpus().length, tee: config.dockerUseTee }
    let sessionCounter = 0

    const stateOf = (t: TripleRef): TripleState => {
      const k = tripleKey(t)
      let s = triples.get(k)
      if (s === undefined) {
        s = {
          triple: { developer: t.developer, agent: t.agent, agentMethod: t.agentMethod },
          live: 0,
          waiting: 0,
          starting: 0,
          blockedUntil: 0,
          blockedReason: undefined,
          method: Option.none(),
          start: healthyStart
        }
        triples.set(k, s)
      }
      return s
    }

    /** Starts up to `want` pending jobs of the triple on chain; returns how many we now own. */
    const startJobs = (t: TripleRef, want: number) =>
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
        const counts = yield* Effect.forEach(
          byInstance,
          ([appInstance, seqs]) =>
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
              Effect.ensuring(Effect.sync(() => (st.starting -= seqs.length)))
            ),
          { concurrency: "unbounded" }
        )
        return counts.reduce((a, b) => a + b, 0)
      })

    /** One session for the triple: wait for a permit (FIFO), start its first jobs, run the agent. */
    const launch = (t: TripleRef, method: MethodSpec) => {
      const st = stateOf(t)
      st.live += 1
      st.waiting += 1
      const triple = Triple.make({ developer: t.developer, agent: t.agent, agentMethod: t.agentMethod })
      const key = `${tripleKey(t)}#${++sessionCounter}`
      const run = Ref.update(waitingTotal, (n) => n + 1).pipe(
        Effect.zipRight(
          permits.withPermits(1)(
            Effect.gen(function* () {
              st.waiting -= 1
              yield* Ref.update(waitingTotal, (n) => n - 1)
              const ready = yield* store.startedCount(t)
              const batch = startBatch(options.startBackoff, st.start, options.prefetchPerSession)
              const started = ready > 0 ? ready : yield* startJobs(t, batch)
              if (started === 0) return
              const outcome = yield* agentSession(triple, method, options.coordinatorId, options.hooks ?? {})
              st.start = yield* afterSession(options.startBackoff, t, st.start, outcome)
              st.blockedUntil = Math.max(st.blockedUntil, st.start.retryAt)
            })
          )
        ),
        Effect.ensuring(
          Effect.sync(() => {
            st.live -= 1
          })
        ),
        Effect.catchAllCause((cause) => Effect.logError("agent session failed", cause))
      )
      return FiberMap.run(sessions, key, run)
    }

    const methodFor = (t: TripleRef, st: TripleState, now: number) =>
      Effect.gen(function* () {
        if (Option.isSome(st.method)) return st.method
        const found = yield* registry.lookup(t.developer, t.agent, t.agentMethod).pipe(Effect.either)
        if (found._tag === "Left") {
          const missing = found.left.reason !== "Unavailable"
          // A missing method is an answer: leave the jobs alone for a while. A failed read is retried soon.
          st.blockedUntil = now + (missing ? options.blockMillis : 2_000)
          st.blockedReason = missing ? "no agent method registered for this triple" : `registry read failed: ${found.left.message}`
          yield* (missing ? Effect.logWarning : Effect.logDebug)(
            missing
              ? "no agent method registered for this triple; its jobs are left for other coordinators"
              : "registry read failed; retrying shortly",
            { developer: t.developer, agent: t.agent, agent_method: t.agentMethod, error: found.left.message }
          )
          return Option.none<MethodSpec>()
        }
        const reason = hostCannotRun(found.right, host)
        if (reason !== undefined) {
          st.blockedUntil = now + options.blockMillis
          st.blockedReason = reason
          yield* Effect.logWarning(`leaving this method's jobs for other coordinators: ${reason}`, {
            developer: t.developer,
            agent: t.agent,
            agent_method: t.agentMethod
          })
          return Option.none<MethodSpec>()
        }
        st.method = Option.some(found.right)
        return st.method
      })

    const tick = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const pending = yield* store.pendingTriples
      const someoneWaits = (yield* Ref.get(waitingTotal)) > 0
      for (const { triple: t, pending: n } of pending) {
        const st = stateOf(t)
        if (st.blockedUntil > now) continue
        const method = yield* methodFor(t, st, now)
        if (Option.isNone(method)) continue
        if (st.live === 0) {
          yield* launch(t, method.value)
          continue
        }
        // A live session takes further jobs through GetJob; top it up unless others wait for a permit.
        const running = st.live - st.waiting
        // (A triple whose agent failed to start is not topped up: its next agent probes with one job.)
        if (running > 0 && !someoneWaits && st.start.failures === 0) {
          const inReserve = (yield* store.startedCount(t)) + st.starting
          const want = Math.min(n, options.prefetchPerSession * running - inReserve)
          if (want > 0) yield* FiberSet.run(topUps, startJobs(t, want))
        }
        // A triple whose agent failed to start gets no second agent until one starts.
        if (st.start.failures === 0 && st.live < options.maxAgentsPerTriple && n > options.prefetchPerSession * st.live && !someoneWaits) {
          yield* launch(t, method.value)
        }
      }
      // Started jobs whose session ended before taking them need a new session.
      for (const t of yield* store.startedTriples) {
        const st = stateOf(t)
        if (st.live > 0 || st.blockedUntil > now) continue
        const method = yield* methodFor(t, st, now)
        if (Option.isSome(method)) yield* launch(t, method.value)
      }
    })

    const countLive = () => [...triples.values()].reduce((n, s) => n + s.live, 0)
    const countRunning = () => [...triples.values()].reduce((n, s) => n + s.live - s.waiting, 0)

    const run = Effect.logInfo("dispatch running", {
      max_concurrent_agents: config.maxConcurrentAgents,
      prefetch_per_session: options.prefetchPerSession
    }).pipe(
      Effect.zipRight(
        tick.pipe(
          Effect.zipRight(Effect.suspend(() => Metrics.agents(countRunning(), config.maxConcurrentAgents - countRunning()))),
          Effect.zipRight(Effect.sleep(options.pollMillis)),
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
          yield* Effect.logWarning("agents still running after the grace period; stopping them", { sessions: countLive() })
        }
        yield* FiberMap.clear(sessions)
      })

    const waiting = Effect.map(Clock.currentTimeMillis, (now) => {
      const out: Array<WaitingTriple> = []
      for (const st of triples.values()) {
        const triple = st.triple
        if (st.blockedUntil > now && st.blockedReason !== undefined) out.push({ triple, reason: st.blockedReason })
        else if (st.waiting > 0) {
          out.push({ triple, reason: `waiting for an agent permit (all ${config.maxConcurrentAgents} of MAX_CONCURRENT_AGENTS in use)` })
        }
      }
      return out
    })

    const startTrouble = Effect.sync(() =>
      [...triples.values()]
        .filter((st) => st.start.failures > 0)
        .map((st): StartTrouble => ({
          triple: st.triple,
          failures: st.start.failures,
          degraded: isDegraded(options.startBackoff, st.start),
          lastError: st.start.lastError,
          retryAt: st.start.retryAt
        }))
    )

    return { run, activeSessions: Effect.sync(countLive), drain, waiting, startTrouble } satisfies Dispatcher
  })
