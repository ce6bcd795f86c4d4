/**
 * The dispatcher's decisions, pure: given what one triple has (pending jobs, sessions, jobs in
 * reserve) and whether any triple waits for an agent slot, what to do this tick. The dispatcher
 * (dispatch.ts) gathers the facts, asks `planPending`, and carries the answer out.
 *
 * Fairness lives here: a triple with no session queues exactly one; while any triple waits for a
 * slot, running sessions get no new jobs and no triple gets a second agent, so sessions drain and
 * hand their slot on — no triple starves while others have work.
 */
import { Option } from "effect"
import type { TripleRef } from "../layers/JobStore.js"
import type { MethodSpec } from "./agentSession.js"
import { healthyStart, isDegraded, type StartBackoffPolicy, type StartHealth, type StartTrouble } from "./startBackoff.js"

/** The limits the planner keeps. */
export interface PlanLimits {
  /** Started-but-not-taken jobs allowed per running session of a triple. */
  readonly prefetchPerSession: number
  readonly maxAgentsPerTriple: number
}

/** One triple with pending jobs, as the dispatcher sees it at a tick. */
export interface PendingView {
  /** Jobs pending on chain, not started by us. */
  readonly pending: number
  /** Sessions running or waiting for a slot. */
  readonly live: number
  /** Sessions waiting for a slot. */
  readonly waiting: number
  /** Jobs started for the triple and not yet taken, plus those in a start transaction now. */
  readonly inReserve: number
  /** Agent starts that failed in a row (0: healthy). */
  readonly startFailures: number
}

/** What to do for the triple this tick: jobs to start for its running sessions, and whether to launch a session. */
export interface TriplePlan {
  readonly topUp: number
  readonly launch: boolean
}

/** The plan for a triple with pending jobs whose method this host can run. */
export const planPending = (view: PendingView, someoneWaits: boolean, limits: PlanLimits): TriplePlan => {
  // No session: queue one (it waits for a slot like any other).
  if (view.live === 0) return { topUp: 0, launch: true }
  const healthy = view.startFailures === 0
  const running = view.live - view.waiting
  // A live session takes further jobs through GetJob; top it up unless others wait for a slot. A
  // triple whose agent failed to start is not topped up: its next agent probes with one job.
  const topUp =
    running > 0 && !someoneWaits && healthy
      ? Math.max(0, Math.min(view.pending, limits.prefetchPerSession * running - view.inReserve))
      : 0
  // A second agent only for a healthy triple with more work than its sessions prefetch, and only
  // while nobody waits for a slot.
  const launch = healthy && !someoneWaits && view.live < limits.maxAgentsPerTriple && view.pending > limits.prefetchPerSession * view.live
  return { topUp, launch }
}

/** The dispatcher's record of one triple. */
export interface TripleState {
  readonly triple: TripleRef
  /** Sessions running or waiting for a slot. */
  live: number
  /** Sessions waiting for a slot. */
  waiting: number
  /** Jobs in a start transaction now. */
  starting: number
  blockedUntil: number
  /** Why the triple is left alone until `blockedUntil`. */
  blockedReason: string | undefined
  method: Option.Option<MethodSpec>
  start: StartHealth
}

export const newTripleState = (t: TripleRef): TripleState => ({
  triple: { developer: t.developer, agent: t.agent, agentMethod: t.agentMethod },
  live: 0,
  waiting: 0,
  starting: 0,
  blockedUntil: 0,
  blockedReason: undefined,
  method: Option.none(),
  start: healthyStart
})

/** A triple that has work but no running agent, and why (for the status page). */
export interface WaitingTriple {
  readonly triple: TripleRef
  readonly reason: string
}

/** Triples left alone (with their reason) or waiting for a slot, at `now`. */
export const waitingTriples = (states: Iterable<TripleState>, now: number, capacity: number): ReadonlyArray<WaitingTriple> => {
  const out: Array<WaitingTriple> = []
  for (const st of states) {
    if (st.blockedUntil > now && st.blockedReason !== undefined) out.push({ triple: st.triple, reason: st.blockedReason })
    else if (st.waiting > 0) {
      out.push({ triple: st.triple, reason: `waiting for an agent permit (all ${capacity} of MAX_CONCURRENT_AGENTS in use)` })
    }
  }
  return out
}

/** Triples whose last agent start failed (backing off or degraded). */
export const startTroubles = (states: Iterable<TripleState>, policy: StartBackoffPolicy): ReadonlyArray<StartTrouble> =>
  [...states]
    .filter((st) => st.start.failures > 0)
    .map((st) => ({
      triple: st.triple,
      failures: st.start.failures,
      degraded: isDegraded(policy, st.start),
      lastError: st.start.lastError,
      retryAt: st.start.retryAt
    }))

/** Sessions running or waiting, and those holding a slot, over all triples. */
export const sessionCounts = (states: Iterable<TripleState>): { readonly live: number; readonly running: number } => {
  let live = 0
  let running = 0
  for (const st of states) {
    live += st.live
    running += st.live - st.waiting
  }
  return { live, running }
}
