/**
 * Bounded in-memory series for the status page: per-interval counts over the last hour (a ring of
 * buckets), and a reservoir of recent latency samples for percentiles. Both are plain mutable
 * structures updated synchronously from observers; time is passed in by the caller.
 */
import type { Percentiles, ThroughputView } from "../../domain/statusView.js"

export type { Percentiles, ThroughputView }

export type Counted = "started" | "completed" | "failed"

/** Counts per `bucketMs` interval for the last `buckets` intervals. */
export class Throughput {
  private readonly series: Record<Counted, Array<number>>
  /** Index (time / bucketMs) of the newest bucket. */
  private head = -1

  constructor(
    readonly bucketMs = 10_000,
    readonly buckets = 360
  ) {
    this.series = { started: new Array(buckets).fill(0), completed: new Array(buckets).fill(0), failed: new Array(buckets).fill(0) }
  }

  private advance(now: number) {
    const index = Math.floor(now / this.bucketMs)
    if (this.head < 0) this.head = index
    if (index <= this.head) return
    const steps = Math.min(index - this.head, this.buckets)
    for (let i = 1; i <= steps; i++) {
      const slot = (this.head + i) % this.buckets
      for (const s of Object.values(this.series)) s[slot] = 0
    }
    this.head = index
  }

  add(what: Counted, now: number, n = 1) {
    this.advance(now)
    const index = Math.floor(now / this.bucketMs)
    // A sample older than the window (clock stepped back) is dropped.
    if (index <= this.head - this.buckets) return
    this.series[what][index % this.buckets]! += n
  }

  view(now: number): ThroughputView {
    this.advance(now)
    const first = this.head - this.buckets + 1
    const pick = (s: Array<number>) => Array.from({ length: this.buckets }, (_, i) => s[(((first + i) % this.buckets) + this.buckets) % this.buckets]!)
    return {
      bucketMs: this.bucketMs,
      from: first * this.bucketMs,
      started: pick(this.series.started),
      completed: pick(this.series.completed),
      failed: pick(this.series.failed)
    }
  }
}


/** The last `size` samples (a ring), with nearest-rank percentiles. */
export class Reservoir {
  private readonly values: Array<number> = []
  private next = 0

  constructor(readonly size = 2048) {}

  add(v: number) {
    if (this.values.length < this.size) this.values.push(v)
    else this.values[this.next] = v
    this.next = (this.next + 1) % this.size
  }

  percentiles(): Percentiles {
    const n = this.values.length
    if (n === 0) return { samples: 0, p50: null, p99: null }
    const sorted = [...this.values].sort((a, b) => a - b)
    const rank = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!
    return { samples: n, p50: rank(0.5), p99: rank(0.99) }
  }
}

/** A bounded list keeping the newest `size` items, newest first on read. */
export class Recent<A> {
  private items: Array<A> = []
  constructor(readonly size: number) {}
  push(a: A) {
    this.items.push(a)
    if (this.items.length > this.size * 2) this.items = this.items.slice(-this.size)
  }
  list(): ReadonlyArray<A> {
    return this.items.slice(-this.size).reverse()
  }
}
