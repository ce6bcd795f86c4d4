/**
 * A token bucket per session for AgentMessage: an agent may log in bursts of `capacity` lines and
 * `perSecond` lines a second after that. What is over is dropped (and counted); the first drop of
 * each burst is reported once, so a flooding agent costs one warning, not one line per message.
 */
export interface RateLimitOptions {
  readonly capacity: number
  readonly perSecond: number
}

export const defaultLogRateLimit: RateLimitOptions = { capacity: 200, perSecond: 50 }

interface Bucket {
  tokens: number
  at: number
  dropping: boolean
}

export interface RateLimiter {
  /** `allowed`: keep the message; `firstDrop`: this is the first message dropped since the last kept one. */
  readonly take: (key: string, nowMs: number) => { readonly allowed: boolean; readonly firstDrop: boolean }
  readonly forget: (key: string) => void
}

export const makeRateLimiter = (options: RateLimitOptions = defaultLogRateLimit): RateLimiter => {
  const buckets = new Map<string, Bucket>()
  return {
    take: (key, now) => {
      const b = buckets.get(key) ?? { tokens: options.capacity, at: now, dropping: false }
      b.tokens = Math.min(options.capacity, b.tokens + (Math.max(0, now - b.at) / 1000) * options.perSecond)
      b.at = now
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
    forget: (key) => void buckets.delete(key)
  }
}
