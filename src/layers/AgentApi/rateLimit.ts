/**
 * A token bucket per session for AgentMessage: an agent may log in bursts of `capacity` lines and
 * `perSecond` lines a second after that. What is over is dropped (and counted); the first drop of
 * each burst is reported once, so a flooding agent costs one warning, not one line per message.
 *
 * Buckets do not outlive their use: a bucket that has refilled to its capacity is the same as no
 * bucket, so every `SWEEP_EVERY_MS` of the callers' clock the full ones are dropped — those of
 * ended sessions among them, whatever way the session ended.
 */
export interface RateLimitOptions {
  readonly capacity: number
  readonly perSecond: number
}

export const defaultLogRateLimit: RateLimitOptions = { capacity: 200, perSecond: 50 }

/** How often (in the callers' clock) buckets that have refilled are dropped. */
export const SWEEP_EVERY_MS = 10_000

interface Bucket {
  tokens: number
  at: number
  dropping: boolean
}

export interface RateLimiter {
  /** `allowed`: keep the message; `firstDrop`: this is the first message dropped since the last kept one. */
  readonly take: (key: string, nowMs: number) => { readonly allowed: boolean; readonly firstDrop: boolean }
  readonly forget: (key: string) => void
  /** Buckets held now (one per session that logged recently). */
  readonly size: () => number
}

export const makeRateLimiter = (options: RateLimitOptions = defaultLogRateLimit): RateLimiter => {
  const buckets = new Map<string, Bucket>()
  const refill = (b: Bucket, now: number) => {
    b.tokens = Math.min(options.capacity, b.tokens + (Math.max(0, now - b.at) / 1000) * options.perSecond)
    b.at = now
  }
  let sweptAt: number | undefined
  const sweep = (now: number) => {
    sweptAt ??= now
    if (now - sweptAt < SWEEP_EVERY_MS) return
    sweptAt = now
    for (const [key, b] of buckets) {
      refill(b, now)
      if (b.tokens >= options.capacity) buckets.delete(key)
    }
  }
  return {
    take: (key, now) => {
      sweep(now)
      const b = buckets.get(key) ?? { tokens: options.capacity, at: now, dropping: false }
      refill(b, now)
      buckets.set(key, b)
      if (b.tokens >= 1) {
        b.tokens -= 1
        b.dropping = false
        return { allowed: true, firstDrop: false }
      }
      const firstDrop = !b.dropping
      b.dropping = true
      return { allowed: false, firstDrop }
    },
    forget: (key) => void buckets.delete(key),
    size: () => buckets.size
  }
}
