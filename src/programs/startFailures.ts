/**
 * What the dispatcher does after a session of a triple ended: a session whose agent could not
 * start advances the triple's back-off (startBackoff.ts) with one log line per step; when the
 * back-off gives up, the jobs started for the triple are failed on chain with the reason.
 */
import { Clock, Effect, Schedule } from "effect"
import type { SessionId } from "../domain/ids.js"
import type { Check } from "../layers/Health.js"
import { JobStore, type TripleRef } from "../layers/JobStore.js"
import * as Metrics from "../layers/Metrics.js"
import { Reports } from "../layers/Reports.js"
import type { SessionOutcome } from "./agentSession.js"
import { afterStartFailure, healthyStart, type StartBackoffPolicy, type StartHealth, type StartTrouble } from "./startBackoff.js"

/** The triple's next start record after `outcome`; logs and fails jobs as the back-off decides. */
export const afterSession = (policy: StartBackoffPolicy, triple: TripleRef, current: StartHealth, outcome: SessionOutcome) =>
  Effect.gen(function* () {
    if (outcome.startError === undefined) {
      if (current.failures > 0) yield* Effect.logInfo("agent started again after start failures", { failures: current.failures })
      return healthyStart
    }
    const now = yield* Clock.currentTimeMillis
    const [next, decision] = afterStartFailure(policy, current, now, outcome.startError)
    if (decision._tag === "Retry") {
      yield* Metrics.agentStartFailed(triple, "retry")
      yield* Effect.logWarning("agent could not start; backing off", {
        attempt: decision.attempt,
        give_up_after: policy.giveUpAfter,
        retry_in_ms: decision.delayMillis,
        error: outcome.startError
      })
      return next
    }
    yield* Metrics.agentStartFailed(triple, "give_up")
    const failed = yield* failStartedJobs(triple, outcome.sessionId, decision.reason)
    yield* Effect.logError("agent could not start; its started jobs are failed on chain", {
      attempt: decision.attempt,
      failed_jobs: failed,
      retry_in_ms: decision.delayMillis,
      error: outcome.startError
    })
    return next
  }).pipe(Effect.annotateLogs({ developer: triple.developer, agent: triple.agent, agent_method: triple.agentMethod }))

/** Fails on chain (through the durable outbox) every started job of the triple; returns how many. */
const failStartedJobs = (triple: TripleRef, sessionId: SessionId, reason: string) =>
  Effect.gen(function* () {
    const store = yield* JobStore
    const reports = yield* Reports
    const failed = yield* store.failStarted(triple, sessionId, reason)
    yield* Effect.forEach(
      failed,
      (report) =>
        reports.record(report).pipe(
          Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")), Schedule.upTo("2 minutes"))),
          // Reconciliation still fails the job later: it is Running for us with no holder.
          Effect.catchAll((e) => Effect.logError("could not record the failure of a started job", { job_id: report.jobId, error: e.message }))
        ),
      { discard: true }
    )
    return failed.length
  })

/**
 * The `agents` health check: healthy (one broken method must not take the coordinator out of a
 * load balancer), but `degraded` with each triple whose agents cannot start, its failures, the
 * last error and when it is tried next.
 */
export const startTroubleCheck = (trouble: Effect.Effect<ReadonlyArray<StartTrouble>>): Check =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const list = yield* trouble
    return {
      healthy: true,
      degraded: list.length > 0,
      details: {
        triples_failing_to_start: list.map((t) => ({
          developer: t.triple.developer,
          agent: t.triple.agent,
          agent_method: t.triple.agentMethod,
          state: t.degraded ? "degraded" : "backing_off",
          failed_starts: t.failures,
          last_error: t.lastError ?? null,
          retry_in_ms: Math.max(0, t.retryAt - now)
        }))
      }
    }
  })
