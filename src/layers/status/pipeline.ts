/**
 * The proving pipeline as the status page, `status` and /metrics show it, pure and bounded: which
 * actions arrived (an app's prove job for a sequence, at its `created_at` on chain), and from the
 * instance's fields read after each step, when each block closed, was proved and was settled on
 * every settlement chain — with the latency of each stage.
 *
 * Blocks closed between two reads are seen together: they share the later read's time and the
 * sequences up to its `previous_block_last_sequence`. An instance seen for the first time starts
 * from where it is: the blocks it had closed then are not counted, not even once proved or settled.
 */
import type { PipelineBlockView, PipelineInstanceView } from "../../domain/statusView.js"
import { Reservoir } from "./series.js"

/** The instance fields the tracker reads (a subset of AppChain's AppInstanceFields). */
export interface InstanceProgress {
  readonly sequence: bigint
  readonly blockNumber: bigint
  readonly previousBlockLastSequence: bigint
  readonly lastProvedBlockNumber: bigint
  /** Per settlement chain, its last settled block. */
  readonly lastSettled: ReadonlyArray<bigint>
}

/** Blocks closed together in one read: blocks (fromBlock, toBlock], sequences (fromSeq, toSeq]. */
interface Group {
  readonly toBlock: bigint
  readonly fromSeq: bigint
  readonly toSeq: bigint
  readonly blocks: number
  readonly closedAt: number
  provedAt: number | null
  settledAt: number | null
  /** Arrival times of the group's actions that this coordinator saw arrive. */
  readonly actions: ReadonlyArray<number>
}

interface Instance {
  /** Blocks closed before the first read: not counted when they are proved or settled. */
  readonly base: bigint
  closed: bigint
  proved: bigint
  settled: bigint
  lastSeq: bigint
  sequence: bigint
  /** Arrival (ms) of actions not yet in a closed block, by sequence. */
  readonly arrivals: Map<bigint, number>
  /** Closed groups not yet settled, oldest first. */
  readonly open: Array<Group>
}

/** Actions waiting for their block kept per instance; older ones are dropped (not measured). */
const MAX_ARRIVALS = 50_000
const hex0x = (id: string) => (id.startsWith("0x") ? id : `0x${id}`)
const RECENT = 20
const RECENT_SETTLED = 5

export interface PipelineCounts {
  actions: number
  blocksClosed: number
  blocksProved: number
  blocksSettled: number
}

/** What one read moved: the samples to record in /metrics. */
export interface PipelineStep {
  readonly closed: number
  readonly proved: number
  readonly settled: number
  readonly actionToClosedMs: ReadonlyArray<number>
  readonly closedToProvedMs: ReadonlyArray<number>
  readonly provedToSettledMs: ReadonlyArray<number>
  readonly actionToSettledMs: ReadonlyArray<number>
}

export class PipelineTracker {
  private readonly instances = new Map<string, Instance>()
  readonly counts: PipelineCounts = { actions: 0, blocksClosed: 0, blocksProved: 0, blocksSettled: 0 }
  readonly actionToClosed = new Reservoir()
  readonly closedToProved = new Reservoir()
  readonly provedToSettled = new Reservoir()
  readonly actionToSettled = new Reservoir()
  /** The newest closed groups (read when the view is built, so later stages show). */
  private readonly recent: Array<{ readonly instance: string; readonly group: Group }> = []
  /** The newest settled groups (settling lags closing: they may be older than every recent one). */
  private readonly recentSettled: Array<{ readonly instance: string; readonly group: Group }> = []

  /**
   * An action of `instance` took `sequence`, at `at` (its prove job's creation); false when the
   * sequence is already in a closed block (a job created again for it is not an action).
   */
  action(instance: string, sequence: bigint, at: number): boolean {
    const i = this.instances.get(instance)
    // before the first read: the read that follows decides what is new
    const arrivals = i?.arrivals ?? this.pendingArrivals(instance)
    if (i !== undefined && sequence <= i.lastSeq) return false
    this.counts.actions += 1
    arrivals.set(sequence, at)
    if (arrivals.size > MAX_ARRIVALS) arrivals.delete(arrivals.keys().next().value!)
    return true
  }

  private readonly early = new Map<string, Map<bigint, number>>()
  private pendingArrivals(instance: string): Map<bigint, number> {
    let m = this.early.get(instance)
    if (m === undefined) this.early.set(instance, (m = new Map()))
    return m
  }

  /** The instance's fields as read at `at`; what moved since the last read. */
  observe(instance: string, f: InstanceProgress, at: number): PipelineStep {
    const settledNow = f.lastSettled.length === 0 ? 0n : f.lastSettled.reduce((a, b) => (b < a ? b : a))
    const closedNow = f.blockNumber - 1n
    let i = this.instances.get(instance)
    if (i === undefined) {
      const arrivals = this.early.get(instance) ?? new Map<bigint, number>()
      this.early.delete(instance)
      for (const s of [...arrivals.keys()]) if (s <= f.previousBlockLastSequence) arrivals.delete(s)
      i = { base: closedNow, closed: closedNow, proved: f.lastProvedBlockNumber, settled: settledNow, lastSeq: f.previousBlockLastSequence, sequence: f.sequence, arrivals, open: [] }
      this.instances.set(instance, i)
      return { closed: 0, proved: 0, settled: 0, actionToClosedMs: [], closedToProvedMs: [], provedToSettledMs: [], actionToSettledMs: [] }
    }
    const step = { closed: 0, proved: 0, settled: 0, actionToClosedMs: [] as Array<number>, closedToProvedMs: [] as Array<number>, provedToSettledMs: [] as Array<number>, actionToSettledMs: [] as Array<number> }
    i.sequence = f.sequence
    if (closedNow > i.closed) {
      const actions: Array<number> = []
      for (let s = i.lastSeq + 1n; s <= f.previousBlockLastSequence; s++) {
        const t = i.arrivals.get(s)
        if (t === undefined) continue
        i.arrivals.delete(s)
        actions.push(t)
        step.actionToClosedMs.push(Math.max(0, at - t))
      }
      const g: Group = { toBlock: closedNow, fromSeq: i.lastSeq, toSeq: f.previousBlockLastSequence, blocks: Number(closedNow - i.closed), closedAt: at, provedAt: null, settledAt: null, actions }
      i.open.push(g)
      step.closed = g.blocks
      this.remember(instance, g)
      i.closed = closedNow
      i.lastSeq = f.previousBlockLastSequence
    }
    const since = (from: bigint, to: bigint) => Number(to - (from > i.base ? from : i.base))
    if (f.lastProvedBlockNumber > i.proved) {
      step.proved = Math.max(0, since(i.proved, f.lastProvedBlockNumber))
      i.proved = f.lastProvedBlockNumber
      for (const g of i.open) {
        if (g.provedAt !== null || g.toBlock > i.proved) continue
        g.provedAt = at
        step.closedToProvedMs.push(at - g.closedAt)
      }
    }
    if (settledNow > i.settled) {
      step.settled = Math.max(0, since(i.settled, settledNow))
      i.settled = settledNow
      while (i.open.length > 0 && i.open[0]!.toBlock <= i.settled) {
        const g = i.open.shift()!
        g.provedAt ??= at
        g.settledAt = at
        this.recentSettled.push({ instance, group: g })
        if (this.recentSettled.length > RECENT_SETTLED) this.recentSettled.shift()
        step.provedToSettledMs.push(at - g.provedAt)
        for (const t of g.actions) step.actionToSettledMs.push(Math.max(0, at - t))
      }
    }
    this.record(step)
    return step
  }

  private record(step: PipelineStep): void {
    this.counts.blocksClosed += step.closed
    this.counts.blocksProved += step.proved
    this.counts.blocksSettled += step.settled
    for (const v of step.actionToClosedMs) this.actionToClosed.add(v)
    for (const v of step.closedToProvedMs) this.closedToProved.add(v)
    for (const v of step.provedToSettledMs) this.provedToSettled.add(v)
    for (const v of step.actionToSettledMs) this.actionToSettled.add(v)
  }

  private remember(instance: string, g: Group): void {
    this.recent.push({ instance, group: g })
    if (this.recent.length > RECENT) this.recent.shift()
  }

  /** Per instance: where it stands. */
  instancesView(): ReadonlyArray<PipelineInstanceView> {
    return [...this.instances.entries()].map(([instance, i]) => ({
      instance: hex0x(instance),
      sequence: Number(i.sequence),
      lastBlockClosed: Number(i.closed),
      lastBlockProved: Number(i.proved),
      lastBlockSettled: Number(i.settled),
      actionsWaiting: i.arrivals.size
    }))
  }

  /** The newest closed blocks (groups of blocks closed together) and the newest settled ones, newest first. */
  blocksView(): ReadonlyArray<PipelineBlockView> {
    const byGroup = new Map([...this.recentSettled, ...this.recent].map((r) => [r.group, r] as const))
    const shown = [...byGroup.values()].sort((a, b) => a.group.closedAt - b.group.closedAt)
    return shown
      .map(({ instance, group: g }) => ({
          instance: hex0x(instance),
          lastBlock: Number(g.toBlock),
          blocks: g.blocks,
          firstSequence: Number(g.fromSeq + 1n),
          lastSequence: Number(g.toSeq),
          closedAt: g.closedAt,
          provedAt: g.provedAt,
          settledAt: g.settledAt
        }))
      .reverse()
  }
}
