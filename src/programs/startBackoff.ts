/**
 * Start back-off — what the dispatcher does when a triple's agent cannot start (no command for the
 * image, pull failure, digest mismatch, engine refusal). Pure: the dispatcher keeps one
 * `StartHealth` per triple and asks `afterStartFailure` what to do next.
 *
 * The delays grow exponentially up to a cap, so a broken image costs one log line per step instead
 * of a retry loop. After `giveUpAfter` failures in a row the triple is degraded: the jobs started for
 * it are failed on chain with the reason (the contract retries or fails them — never Running
 * forever), and from then on it is probed once per cap with a single job until an agent starts.
 */

export interface StartBackoffPolicy {
  /** Delay after the first failure. */
  readonly baseMillis: number
  /** Largest delay; also the probe interval of a degraded triple. */
  readonly maxMillis: number
  /** Failures in a row after which the triple's started jobs are failed on chain. */
  readonly giveUpAfter: number
}

export const defaultStartBackoff: StartBackoffPolicy = { baseMillis: 1_000, maxMillis: 60_000, giveUpAfter: 5 }

/** A triple whose last agent start failed, as `/health` shows it. */
export interface StartTrouble {
  readonly triple: { readonly developer: string; readonly agent: string; readonly agentMethod: string }
  readonly failures: number
  readonly degraded: boolean
  readonly lastError: string | undefined
  readonly retryAt: number
}

/** One triple's start record; `failures === 0` is a healthy triple. */
export interface StartHealth {
  readonly failures: number
  readonly lastError: string | undefined
  /** Epoch ms before which no agent of the triple is started. */
  readonly retryAt: number
}

export const healthyStart: StartHealth = { failures: 0, lastError: undefined, retryAt: 0 }

export type StartDecision =
  /** Try again after `delayMillis`; the started jobs stay started. */
  | { readonly _tag: "Retry"; readonly attempt: number; readonly delayMillis: number }
  /** Fail the triple's started jobs with `reason`; probe again after `delayMillis`. */
  | { readonly _tag: "GiveUp"; readonly attempt: number; readonly delayMillis: number; readonly reason: string }

/** The delay after the `failures`-th failure in a row: base · 2^(failures−1), capped. */
export const backoffDelay = (policy: StartBackoffPolicy, failures: number): number =>
  Math.min(policy.maxMillis, policy.baseMillis * 2 ** Math.max(0, Math.min(failures - 1, 30)))

/** The next state and what to do after an agent of the triple failed to start at `now`. */
export const afterStartFailure = (
  policy: StartBackoffPolicy,
  current: StartHealth,
  now: number,
  error: string
): readonly [StartHealth, StartDecision] => {
  const failures = current.failures + 1
  const delayMillis = backoffDelay(policy, failures)
  const next: StartHealth = { failures, lastError: error, retryAt: now + delayMillis }
  if (failures < policy.giveUpAfter) return [next, { _tag: "Retry", attempt: failures, delayMillis }]
  const reason = `agent could not start (${failures} attempts): ${error}`
  return [next, { _tag: "GiveUp", attempt: failures, delayMillis, reason }]
}

/** Degraded: the back-off has given up at least once and no agent has started since. */
export const isDegraded = (policy: StartBackoffPolicy, h: StartHealth): boolean => h.failures >= policy.giveUpAfter

/** How many jobs to start for a new agent: one probe job while degraded, else the prefetch. */
export const startBatch = (policy: StartBackoffPolicy, h: StartHealth, prefetch: number): number =>
  isDegraded(policy, h) ? 1 : prefetch
