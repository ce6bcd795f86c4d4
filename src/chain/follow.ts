/**
 * The event follower behind ChainEvents: one connection attempt ("session") on either event path,
 * gap filling from the last delivered position, replay-gap detection and de-duplication by ledger
 * position. The retry loop around sessions lives in ChainEvents.
 */
import { GrpcTypes, type SuiGrpcClient } from "@mysten/sui/grpc"
import { Effect, Metric, Option, Queue, Stream, Take } from "effect"
import { chainEventsDelivered, chainReplayGaps, chainRewinds } from "./metrics.js"
import type { ChainPosition } from "./position.js"
import { type CoordinationEvent, coordinationEventName, decodeCoordinationEvent } from "./events.js"
import { jobsEvents } from "./moveTypes.js"
import { type CallOpts, ChainRpcError, toRpcError, unary } from "./rpc.js"
import { boundedSubscription, type SubscriptionError } from "./subscription.js"
import {
  type ChainItem,
  ChainSilence,
  ChainStreamEnded,
  comparePositions,
  endOf,
  type FollowSettings
} from "./followTypes.js"

export {
  type ChainItem,
  ChainSilence,
  ChainStreamEnded,
  comparePositions,
  endOf,
  type EventPath,
  type FollowSettings,
  type FollowState,
  type FollowStats
} from "./followTypes.js"

const CHECKPOINT_MASK = [
  "sequence_number",
  "transactions.digest",
  "transactions.events.events.event_type",
  "transactions.events.events.contents"
]
const EVENT_MASK = ["event_type", "contents", "checkpoint", "transaction_digest", "transaction_index", "event_index"]

const isPruned = (e: unknown): boolean =>
  e instanceof ChainRpcError && (e.code === "NOT_FOUND" || e.code === "OUT_OF_RANGE")

/**
 * Shared helpers of both paths. Items are produced synchronously into a buffer and handed over in
 * batches (`flush`), so catching up costs one Effect step per range read, not one per item.
 */
const core = (s: FollowSettings) => {
  const { state, stats } = s
  const out: ChainItem[] = []
  const problems: string[] = []

  const serviceInfo = unary("GetServiceInfo", (o) => s.client.ledgerService.getServiceInfo({}, o), 15_000)

  const flush = Effect.suspend(() => {
    const logs = problems.length === 0 ? Effect.void : Effect.forEach(problems.splice(0), (m) => Effect.logError(m), { discard: true })
    if (out.length === 0) return logs
    const items = out.splice(0)
    const events = items.reduce((n, i) => (i._tag === "Event" ? n + 1 : n), 0)
    return Effect.zipRight(logs, Effect.zipRight(Metric.incrementBy(chainEventsDelivered, events), s.emit(items)))
  })

  const emitEvent = (position: ChainPosition, txDigest: string, ev: GrpcTypes.Event, token: Uint8Array | null): void => {
    if (comparePositions(position, state.last) <= 0) return
    const name = ev.eventType === undefined ? undefined : coordinationEventName(ev.eventType, s.packageId)
    state.last = position
    if (token !== null) state.token = token
    if (name === undefined) return
    const bytes = ev.contents?.value
    let event: CoordinationEvent
    try {
      if (bytes === undefined) throw new Error("event has no BCS contents")
      event = decodeCoordinationEvent(name, bytes)
    } catch (e) {
      stats.decodeErrors++
      problems.push(`cannot decode ${ev.eventType} at checkpoint ${position.checkpoint}: ${(e as Error).message}`)
      return
    }
    stats.events++
    out.push({ _tag: "Event", position, txDigest, event, token })
  }

  const advance = (checkpoint: bigint, token: Uint8Array | null): void => {
    if (checkpoint <= state.covered) return
    state.covered = checkpoint
    const position = endOf(checkpoint)
    if (comparePositions(position, state.last) > 0) state.last = position
    state.token = token
    stats.checkpoints++
    out.push({ _tag: "Checkpoint", checkpoint, position, token })
  }

  /** Reports checkpoints `covered+1 .. lowest-1` as lost and moves past them. */
  const skipPruned = (lowest: bigint) =>
    Effect.suspend(() => {
      if (state.covered + 1n >= lowest) return Effect.succeed(false)
      const from = state.covered + 1n
      const to = lowest - 1n
      stats.replayGaps++
      state.covered = to
      state.last = endOf(to)
      state.token = null
      out.push({ _tag: "ReplayGap", from, to, position: endOf(to), token: null })
      const log = Effect.logError(
        `REPLAY GAP: checkpoints ${from}..${to} are pruned on the node and cannot be replayed; reconciling from chain state`
      ).pipe(Effect.annotateLogs({ replay_gap_from: from.toString(), replay_gap_to: to.toString() }))
      return Metric.increment(chainReplayGaps).pipe(Effect.zipRight(log), Effect.zipRight(flush), Effect.as(true))
    })

  /** The node's tip is behind the delivered position: go on from the tip and say so once. */
  const checkRewound = (tip: bigint) =>
    Effect.suspend(() => {
      if (state.covered <= tip) return Effect.succeed(false)
      const from = tip + 1n
      const to = state.covered
      stats.rewinds++
      state.covered = tip
      state.last = endOf(tip)
      state.token = null
      out.push({ _tag: "Rewound", from, to, position: endOf(tip), token: null })
      return Metric.increment(chainRewinds).pipe(Effect.zipRight(flush), Effect.as(true))
    })

  /** Takes the next chunk of a subscription, failing on silence, error or end. */
  const nextFrames = <A>(queue: Queue.Dequeue<Take.Take<A, SubscriptionError>>, method: string) =>
    Queue.take(queue).pipe(
      Effect.timeoutFail({ duration: s.silenceMs, onTimeout: () => new ChainSilence({ ms: s.silenceMs }) }),
      Effect.flatMap((take) =>
        Take.done(take).pipe(
          Effect.mapError((e) => (Option.isSome(e) ? e.value : new ChainStreamEnded({ method })))
        )
      )
    )

  return { serviceInfo, emitEvent, advance, skipPruned, checkRewound, nextFrames, flush }
}

/** Collects every frame of a server-streaming call (one Effect step for the whole call). */
const collect = <A>(method: string, open: (opts: CallOpts) => { readonly responses: AsyncIterable<A> }) =>
  Effect.tryPromise({
    try: async (signal) => {
      const frames: A[] = []
      for await (const f of open({ abort: signal, timeout: 120_000 }).responses) frames.push(f)
      return frames
    },
    catch: toRpcError(method)
  })

/** Checkpoint path: SubscribeCheckpoints from the tip, gaps filled with ListCheckpoints/GetCheckpoint. */
export const checkpointSession = (s: FollowSettings, caps: { listCheckpoints: boolean }) =>
  Effect.scoped(
    Effect.gen(function* () {
      const c = core(s)
      const { state } = s

      const processCheckpoint = (cp: GrpcTypes.Checkpoint): void => {
        const seq = cp.sequenceNumber ?? 0n
        if (seq <= state.covered) return
        const txs = cp.transactions
        for (let t = 0; t < txs.length; t++) {
          const tx = txs[t]!
          const events = tx.events?.events
          if (events === undefined) continue
          for (let e = 0; e < events.length; e++) c.emitEvent({ checkpoint: seq, tx: t, event: e }, tx.digest ?? "", events[e]!, null)
        }
        c.advance(seq, null)
      }

      const getOne = (seq: bigint) =>
        unary(
          "GetCheckpoint",
          (o) =>
            s.client.ledgerService.getCheckpoint(
              { checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: seq }, readMask: { paths: CHECKPOINT_MASK } },
              o
            ),
          30_000
        ).pipe(Effect.map((r) => r.checkpoint!))

      /** Checkpoints `[start, end)` in order. */
      const fetchRange = (start: bigint, end: bigint): Effect.Effect<GrpcTypes.Checkpoint[], ChainRpcError> =>
        Effect.gen(function* () {
          if (caps.listCheckpoints) {
            const got: GrpcTypes.Checkpoint[] = []
            let next = start
            while (next < end) {
              const from = next
              const frames = yield* collect("ListCheckpoints", (o) =>
                s.client.ledgerService.listCheckpoints(
                  { startCheckpoint: from, endCheckpoint: end, readMask: { paths: CHECKPOINT_MASK }, options: { limit: Number(end - from) } },
                  o
                )
              ).pipe(
                Effect.catchIf(
                  (e) => e.code === "UNIMPLEMENTED",
                  () => {
                    caps.listCheckpoints = false
                    return Effect.succeed(undefined)
                  }
                )
              )
              if (frames === undefined) return yield* fetchRange(from, end)
              const before = got.length
              for (const f of frames) if (f.checkpoint !== undefined) got.push(f.checkpoint)
              if (got.length === before) {
                return yield* new ChainRpcError({ method: "ListCheckpoints", code: "NOT_FOUND", message: `no checkpoints from ${from}` })
              }
              next = (got[got.length - 1]!.sequenceNumber ?? from) + 1n
            }
            return got
          }
          const seqs: bigint[] = []
          for (let q = start; q < end; q++) seqs.push(q)
          return yield* Effect.forEach(seqs, getOne, { concurrency: s.gapConcurrency })
        })

      /** Delivers every checkpoint up to `target`, replay gaps reported. */
      const fillTo = (target: bigint) =>
        Effect.gen(function* () {
          let prunedRetries = 0
          while (state.covered < target) {
            const info = yield* c.serviceInfo
            yield* c.skipPruned(info.lowestAvailableCheckpoint ?? 0n)
            if (state.covered >= target) break
            const ranges: Array<[bigint, bigint]> = []
            const step = BigInt(s.chunkSize)
            for (let a = state.covered + 1n; a <= target; a += step) {
              ranges.push([a, a + step - 1n > target ? target + 1n : a + step])
            }
            const result = yield* Stream.fromIterable(ranges).pipe(
              Stream.mapEffect(([a, b]) => fetchRange(a, b), { concurrency: s.gapConcurrency }),
              Stream.runForEach((cps) =>
                Effect.suspend(() => {
                  for (const cp of cps) processCheckpoint(cp)
                  return c.flush
                })
              ),
              Effect.as(true),
              Effect.catchIf(isPruned, (e) => (++prunedRetries > 5 ? Effect.fail(e) : Effect.succeed(false)))
            )
            if (result) break
          }
        })

      const sub = yield* boundedSubscription(
        "SubscribeCheckpoints",
        (o) => s.client.subscriptionService.subscribeCheckpoints({ readMask: { paths: CHECKPOINT_MASK } }, o),
        Math.max(4, Math.ceil(s.subscriptionBuffer / 16))
      )
      const info = yield* c.serviceInfo
      yield* c.checkRewound(info.checkpointHeight ?? 0n)
      yield* fillTo(info.checkpointHeight ?? 0n)
      while (true) {
        const frames = yield* c.nextFrames(sub, "SubscribeCheckpoints")
        for (const frame of frames) {
          const cp = frame.checkpoint
          const seq = frame.cursor ?? cp?.sequenceNumber
          if (cp === undefined || seq === undefined || seq <= state.covered) continue
          if (seq > state.covered + 1n) yield* fillTo(seq - 1n)
          processCheckpoint(cp)
        }
        yield* c.flush
      }
    })
  )

/** Filtered path: ListEvents from the stored cursor to the tip, then SubscribeEvents. */
export const filteredSession = (s: FollowSettings) =>
  Effect.scoped(
    Effect.gen(function* () {
      const c = core(s)
      const { state } = s
      // One exact event type per term: `emit_module` matches the module of the top-level call
      // (`app_instance`), not the module that declares the event, so it cannot select `jobs` events.
      const filter: GrpcTypes.EventFilter = {
        terms: Object.keys(jobsEvents).map((name) => ({
          literals: [
            { negated: false, predicate: { oneofKind: "eventType", eventType: { eventType: `${s.packageId}::jobs::${name}` } } }
          ]
        }))
      }
      const positionOf = (ev: GrpcTypes.Event): ChainPosition => ({
        checkpoint: ev.checkpoint ?? 0n,
        tx: Number(ev.transactionIndex ?? 0n),
        event: ev.eventIndex ?? 0
      })

      /** Handles one ListEvents frame; returns its end reason, if it is the last frame. */
      const onListFrame = (frame: GrpcTypes.ListEventsResponse): GrpcTypes.QueryEndReason | undefined => {
        const wm = frame.watermark
        if (frame.event !== undefined) {
          const ev = frame.event
          const pos = positionOf(ev)
          // A watermark below the event's checkpoint closes earlier checkpoints; its cursor is the
          // event's, so that boundary gets no token of its own.
          if (wm?.checkpoint !== undefined && wm.checkpoint < pos.checkpoint) c.advance(wm.checkpoint, null)
          c.emitEvent(pos, ev.transactionDigest ?? "", ev, wm?.cursor ?? null)
          if (wm?.checkpoint !== undefined && wm.checkpoint >= pos.checkpoint) c.advance(wm.checkpoint, wm.cursor ?? null)
        } else if (wm?.checkpoint !== undefined) {
          c.advance(wm.checkpoint, wm.cursor ?? null)
        }
        return frame.end?.reason
      }

      /** Replays events after the current position up to `endExclusive` (or the ledger tip). */
      const catchUp = (endExclusive: bigint | undefined) =>
        Effect.gen(function* () {
          let prunedRetries = 0
          // The page cursor moves with every frame, even over duplicates, so paging always advances.
          let resume: Uint8Array | null = state.token
          while (true) {
            const info = yield* c.serviceInfo
            if (yield* c.checkRewound(info.checkpointHeight ?? 0n)) resume = null
            if (yield* c.skipPruned(info.lowestAvailableCheckpoint ?? 0n)) resume = null
            if (endExclusive !== undefined && state.covered + 1n >= endExclusive) return
            const token = resume
            const req: GrpcTypes.ListEventsRequest = {
              filter,
              readMask: { paths: EVENT_MASK },
              options: token !== null ? { limit: 1000, after: token } : { limit: 1000 }
            }
            if (token === null) req.startCheckpoint = state.covered + 1n
            if (endExclusive !== undefined) req.endCheckpoint = endExclusive
            const frames = yield* collect("ListEvents", (o) => s.client.ledgerService.listEvents(req, o)).pipe(
              Effect.catchIf(isPruned, (e) => (++prunedRetries > 5 ? Effect.fail(e) : Effect.succeed(undefined)))
            )
            if (frames === undefined) continue
            let reason: GrpcTypes.QueryEndReason | undefined
            for (const f of frames) {
              reason = onListFrame(f) ?? reason
              if (f.watermark?.cursor !== undefined) resume = f.watermark.cursor
            }
            yield* c.flush
            if (
              reason === GrpcTypes.QueryEndReason.LEDGER_TIP ||
              reason === GrpcTypes.QueryEndReason.CHECKPOINT_BOUND ||
              reason === undefined
            ) {
              return
            }
          }
        })

      const sub = yield* boundedSubscription(
        "SubscribeEvents",
        (o) => s.client.subscriptionService.subscribeEvents({ filter, readMask: { paths: EVENT_MASK } }, o),
        s.subscriptionBuffer
      )
      yield* catchUp(undefined)
      while (true) {
        const frames = yield* c.nextFrames(sub, "SubscribeEvents")
        for (const frame of frames) {
          const wm = frame.watermark
          if (frame.event !== undefined) {
            const pos = positionOf(frame.event)
            if (pos.checkpoint > state.covered + 1n) {
              yield* c.flush
              yield* catchUp(pos.checkpoint + 1n)
            }
            c.emitEvent(pos, frame.event.transactionDigest ?? "", frame.event, wm?.cursor ?? null)
          } else if (wm?.checkpoint !== undefined && wm.checkpoint > state.covered) {
            if (wm.checkpoint > state.covered + 1n) {
              yield* c.flush
              yield* catchUp(wm.checkpoint + 1n)
            }
            c.advance(wm.checkpoint, wm.cursor ?? null)
          }
        }
        yield* c.flush
      }
    })
  )

/** Reads the tip (start position when there is no cursor). */
export const tipOf = (client: SuiGrpcClient) =>
  unary("GetServiceInfo", (o) => client.ledgerService.getServiceInfo({}, o), 15_000).pipe(
    Effect.map((i) => i.checkpointHeight ?? 0n)
  )
