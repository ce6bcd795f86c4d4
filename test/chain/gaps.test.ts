/**
 * ChainEvents across restarts: a gap larger than the node's subscription buffer (256 checkpoints) is
 * filled from history on both paths; a gap reaching pruned history yields a ReplayGap item, and
 * ChainState recovers the pending jobs the stream could not replay.
 */
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { createJobs } from "../../src/localnet/client.js"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { type ChainItem, ChainEvents, type ChainEventsOptions } from "../../src/layers/ChainEvents.js"
import { ChainState } from "../../src/layers/ChainState.js"
import { Journal } from "../../src/layers/Journal.js"
import { endOf } from "../../src/chain/follow.js"
import { appHex, eventsLayer, METHOD, scopedNet, scopedTempDir, suiLayer } from "./fixture.js"

const jobs = (n: LocalnetHandle, count: number) => Effect.promise(() => createJobs(n.manifest, { count, method: METHOD }))

/** Runs the stream (a fresh layer on the journal file) until `until` holds, committing every item. */
const follow = (n: LocalnetHandle, file: string, options: ChainEventsOptions, until: (items: ChainItem[]) => boolean, init?: bigint) =>
  Effect.scoped(
    Effect.gen(function* () {
      const events = yield* ChainEvents
      if (init !== undefined) yield* events.commit({ ...endOf(init), token: null })
      const items: ChainItem[] = []
      yield* events.stream.pipe(
        Stream.tap((item) => Effect.sync(() => items.push(item))),
        Stream.tap(events.commit),
        Stream.takeUntil(() => until(items)),
        Stream.runDrain,
        Effect.timeoutFail({ duration: "40 seconds", onTimeout: () => new Error(`timed out with ${items.length} items`) })
      )
      return { items, stats: yield* events.stats }
    })
  ).pipe(Effect.provide(eventsLayer(n, { backoffInitialMs: 20, backoffMaxMs: 200, silenceMs: 5_000, ...options }, file)))

const createdSeqs = (items: ChainItem[], app: string) =>
  items.flatMap((i) => (i._tag === "Event" && i.event._tag === "JobCreatedEvent" && i.event.appInstance === app ? [i.event.jobSequence] : []))

describe.each(["filtered", "checkpoints"] as const)("ChainEvents gaps (%s path)", (mode) => {
  it.scopedLive("fills a gap of more than 256 checkpoints after a restart, from the stored cursor", () => Effect.gen(function* () {
    const n = yield* scopedNet()
    const file = join(yield* scopedTempDir("chain-gap-"), "journal.sqlite")
    const app = appHex(n.manifest.appInstanceId)
    // The node also seals empty heartbeat checkpoints, so the start is read before the jobs exist.
    const tip0 = n.chain.latestCheckpoint().sequenceNumber ?? 0n
    const first = yield* jobs(n, 5)
    const run1 = yield* follow(n, file, { mode }, (items) => createdSeqs(items, app).length >= 5, tip0)
    expect(createdSeqs(run1.items, app)).toEqual(first.jobSequences)
    // The coordinator is down while more than 256 checkpoints are produced: mostly empty ones,
    // with jobs at three places across the gap, the last ones at its very end.
    const before = n.chain.latestCheckpoint().sequenceNumber ?? 0n
    const gapJobs: bigint[] = []
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) n.chain.sealCheckpoint()
      gapJobs.push(...(yield* jobs(n, 10)).jobSequences)
    }
    const after = n.chain.latestCheckpoint().sequenceNumber ?? 0n
    expect(after - before).toBeGreaterThan(256n)
    const run2 = yield* follow(n, file, { mode }, (items) => createdSeqs(items, app).length >= gapJobs.length)
    expect(createdSeqs(run2.items, app)).toEqual(gapJobs)
    expect(run2.stats.path).toBe(mode)
    expect(run2.stats.replayGaps).toBe(0)
  }))

  it.scopedLive("reports a ReplayGap when the gap reaches pruned history, and ChainState recovers the pending jobs", () => Effect.gen(function* () {
    const n = yield* scopedNet()
    const file = join(yield* scopedTempDir("chain-prune-"), "journal.sqlite")
    const app = appHex(n.manifest.appInstanceId)
    const tip0 = n.chain.latestCheckpoint().sequenceNumber ?? 0n
    const run1 = yield* follow(n, file, { mode }, () => true, tip0)
    const lastCheckpoint = run1.items.filter((i) => i._tag === "Checkpoint").at(-1)
    const covered = lastCheckpoint?._tag === "Checkpoint" ? lastCheckpoint.checkpoint : tip0
    const lost = yield* jobs(n, 20)
    // The checkpoint holding the last "lost" job (heartbeat checkpoints may have followed it).
    let prunePoint = n.chain.latestCheckpoint().sequenceNumber ?? 0n
    while ((n.chain.getCheckpoint(prunePoint)?.transactions.length ?? 0) === 0) prunePoint--
    n.faults.pruneBelow(prunePoint)
    const later = yield* jobs(n, 5)
    const run = yield* follow(n, file, { mode }, (items) => createdSeqs(items, app).length >= 6)
    const gaps = run.items.filter((i) => i._tag === "ReplayGap")
    expect(gaps).toHaveLength(1)
    const gap = gaps[0]!
    if (gap._tag !== "ReplayGap") throw new Error("unreachable")
    expect(gap.from).toBe(covered + 1n)
    expect(gap.to).toBe(prunePoint - 1n)
    expect(run.stats.replayGaps).toBe(1)
    // The gap item comes before any event after it, and the later jobs still arrive in order.
    expect(run.items.findIndex((i) => i._tag === "ReplayGap")).toBeLessThan(run.items.findIndex((i) => i._tag === "Event"))
    // Checkpoint `prunePoint` itself is still available: it holds the last of the "lost" jobs.
    expect(createdSeqs(run.items, app)).toEqual([lost.jobSequences.at(-1)!, ...later.jobSequences])
    // Reconciliation from chain state finds every job the stream lost.
    const pending = yield* Effect.flatMap(ChainState, (c) => c.pendingJobs(n.manifest.appInstanceId)).pipe(
      Effect.provide(Layer.provide(ChainState.layer, suiLayer(n)))
    )
    const pendingSeqs = new Set(pending.map((j) => j.jobSequence))
    for (const s of lost.jobSequences) expect(pendingSeqs.has(s)).toBe(true)
    expect(pending.every((j) => j.status._tag === "Pending" && j.appInstance === app)).toBe(true)
    expect(pending.find((j) => j.jobSequence === lost.jobSequences[0])?.agentMethod).toBe(METHOD)
  }))
})

describe.each(["filtered", "checkpoints"] as const)("ChainEvents on a node behind the cursor (%s path)", (mode) => {
  it.scopedLive("a cursor ahead of the node's tip (node restored or replaced) yields one Rewound item, then the node's new events", () => Effect.gen(function* () {
    const n = yield* scopedNet()
    const file = join(yield* scopedTempDir("rewind-"), "journal.db")
    const tip = n.chain.latestCheckpoint().sequenceNumber ?? 0n
    const app = appHex(n.manifest.appInstanceId)
    // the journal believes it has seen 1,000 checkpoints more than this node has
    const ahead = tip + 1_000n
    const created = createJobs(n.manifest, { count: 3, method: METHOD })
    const { items, stats } = yield* follow(n, file, { mode }, (all) => createdSeqs(all, app).length >= 3, ahead)
    const { jobSequences } = yield* Effect.promise(() => created)
    const rewinds = items.filter((i) => i._tag === "Rewound")
    expect(rewinds).toHaveLength(1)
    const r = rewinds[0]!
    if (r._tag !== "Rewound") throw new Error("unreachable")
    expect(r.to).toBe(ahead)
    expect(r.from).toBeLessThanOrEqual(ahead)
    expect(r.from).toBeGreaterThan(tip)
    expect(stats.rewinds).toBe(1)
    // the events created on the node after the rewind are delivered, none lost
    expect(createdSeqs(items, app)).toEqual([...jobSequences])
    // the journal's cursor moved back to the node's history
    const cursor = yield* Effect.flatMap(Journal, (j) => j.getCursor).pipe(Effect.provide(Journal.layerFile(file)))
    expect(cursor._tag === "Some" && cursor.value.checkpoint < ahead).toBe(true)
  }))
})
