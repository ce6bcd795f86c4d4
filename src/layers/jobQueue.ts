/**
 * The JobStore's per-triple queues: a binary heap ordered by a rank (settle → block → size →
 * sequence, `domain/jobRank.ts`), ties in arrival order, with O(1) removal anywhere. The rank is
 * taken once per item as four numbers kept in its slot, so a step of the heap compares numbers. Removal
 * invalidates the item's ticket and the stale slot is dropped when it reaches the top, or when
 * stale slots outnumber live ones (the heap is then rebuilt).
 */

/** What the queue needs of an item: a ticket it owns (0 when queued nowhere). */
export interface Queued {
  ticket: number
}

let tickets = 0

/** An item's rank: four numbers compared in turn, lowest first. */
export type RankKey = readonly [number, number, number, number]

interface Slot<T> {
  readonly item: T
  readonly ticket: number
  readonly k0: number
  readonly k1: number
  readonly k2: number
  readonly k3: number
}

export class RankedQueue<T extends Queued> {
  private heap: Array<Slot<T>> = []
  size = 0

  constructor(private readonly keyOf: (item: T) => RankKey) {}

  private before(x: Slot<T>, y: Slot<T>): boolean {
    if (x.k0 !== y.k0) return x.k0 < y.k0
    if (x.k1 !== y.k1) return x.k1 < y.k1
    if (x.k2 !== y.k2) return x.k2 < y.k2
    if (x.k3 !== y.k3) return x.k3 < y.k3
    return x.ticket < y.ticket
  }

  private up(i: number) {
    const h = this.heap
    const slot = h[i]!
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(slot, h[parent]!)) break
      h[i] = h[parent]!
      i = parent
    }
    h[i] = slot
  }

  private down(i: number) {
    const h = this.heap
    const n = h.length
    const slot = h[i]!
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const child = r < n && this.before(h[r]!, h[l]!) ? r : l
      if (!this.before(h[child]!, slot)) break
      h[i] = h[child]!
      i = child
    }
    h[i] = slot
  }

  private insert(slot: Slot<T>) {
    this.heap.push(slot)
    this.up(this.heap.length - 1)
  }

  private popTop(): Slot<T> | undefined {
    const h = this.heap
    const top = h[0]
    if (top === undefined) return undefined
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      this.down(0)
    }
    return top
  }

  private live(s: Slot<T>) {
    return s.item.ticket === s.ticket
  }

  push(item: T) {
    item.ticket = ++tickets
    const [k0, k1, k2, k3] = this.keyOf(item)
    this.insert({ item, ticket: item.ticket, k0, k1, k2, k3 })
    this.size += 1
  }

  remove(item: T) {
    if (item.ticket === 0) return
    item.ticket = 0
    this.size -= 1
    if (this.heap.length > 1024 && this.heap.length > 2 * this.size) {
      this.heap = this.heap.filter((s) => this.live(s))
      for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i)
    }
  }

  /** The best-ranked item still queued. */
  first(): T | undefined {
    while (this.heap.length > 0 && !this.live(this.heap[0]!)) this.popTop()
    return this.heap[0]?.item
  }

  /** Up to `max` items in rank order (they stay queued). */
  take(max: number): Array<T> {
    const out: Array<Slot<T>> = []
    while (out.length < max) {
      const top = this.popTop()
      if (top === undefined) break
      if (this.live(top)) out.push(top)
    }
    for (const s of out) this.insert(s)
    return out.map((s) => s.item)
  }
}
