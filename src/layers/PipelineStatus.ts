/**
 * PipelineStatus — the proving pipeline as the operator sees it on the status page, `status`
 * (`/v1/status`) and `/metrics`, all from one place: actions arriving (an app's job for a
 * sequence, seen pending), proofs submitted and rejected and merge jobs created (this
 * coordinator's executed calls), and blocks closed, proved and settled with the latency of each
 * stage (status/pipeline.ts, fed with the instance's fields by the pipeline status program).
 * Bounded and in memory, since this process started.
 */
import { Clock, Context, Effect, Layer, Metric, MetricBoundaries, Option, Stream } from "effect"
import { normalizeAppInstance } from "../domain/ids.js"
import type { PipelineStall, PipelineView } from "../domain/statusView.js"
import { JobStore } from "./JobStore.js"
import { Settlement } from "./Settlement.js"
import { type InstanceProgress, type PipelineStep, PipelineTracker } from "./status/pipeline.js"

export type { InstanceProgress, PipelineView }

const stageMs = MetricBoundaries.fromIterable([50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000, 600000])
const counter = (name: string, description: string) => Metric.counter(name, { description, incremental: true })

const actions = counter("silvana_pipeline_actions_total", "Actions of followed app instances seen arriving (an app job for a sequence)")
const blocksClosed = counter("silvana_pipeline_blocks_closed_total", "Blocks of followed instances seen closed")
const blocksProved = counter("silvana_pipeline_blocks_proved_total", "Blocks of followed instances seen proved")
const blocksSettled = counter("silvana_pipeline_blocks_settled_total", "Blocks of followed instances seen settled on every settlement chain")
const proofsSubmitted = counter("silvana_pipeline_proofs_submitted_total", "submit_proof calls this coordinator executed")
const proofsRejected = counter("silvana_pipeline_proofs_rejected_total", "reject_proof calls this coordinator executed")
const stalledBlocks = Metric.gauge("silvana_pipeline_stalled_blocks", { description: "Blocks of followed instances that wait on a job that failed for good" })
const stage = (name: string, description: string) => Metric.histogram(name, stageMs, description)
const actionToClosed = stage("silvana_pipeline_action_to_block_closed_ms", "From an action (its job's creation on chain) to its block seen closed")
const closedToProved = stage("silvana_pipeline_block_closed_to_proved_ms", "From a block seen closed to seen proved")
const provedToSettled = stage("silvana_pipeline_block_proved_to_settled_ms", "From a block seen proved to seen settled on every settlement chain")
const actionToSettled = stage("silvana_pipeline_action_to_settled_ms", "From an action to its block seen settled")

/** Jobs that are not an action: the pipeline's own merge and settle jobs. */
const PIPELINE_METHODS = new Set(["merge", "settle"])

export interface PipelineStatusService {
  /** The instance's fields as just read: records the blocks that moved. */
  readonly observe: (instance: string, fields: InstanceProgress) => Effect.Effect<void>
  /** The instance's blocks held up by a job that failed for good, as just found (replaces the last list). */
  readonly stalls: (instance: string, stalls: ReadonlyArray<PipelineStall>) => Effect.Effect<void>
  readonly view: Effect.Effect<PipelineView>
}

const recordStep = (s: PipelineStep) =>
  Effect.sync(() => {
    if (s.closed > 0) blocksClosed.unsafeUpdate(s.closed, [])
    if (s.proved > 0) blocksProved.unsafeUpdate(s.proved, [])
    if (s.settled > 0) blocksSettled.unsafeUpdate(s.settled, [])
    for (const v of s.actionToClosedMs) actionToClosed.unsafeUpdate(v, [])
    for (const v of s.closedToProvedMs) closedToProved.unsafeUpdate(v, [])
    for (const v of s.provedToSettledMs) provedToSettled.unsafeUpdate(v, [])
    for (const v of s.actionToSettledMs) actionToSettled.unsafeUpdate(v, [])
  })

export const makePipelineStatus = Effect.gen(function* () {
  const tracker = new PipelineTracker()
  const calls = { submitted: 0, rejected: 0, merges: 0 }
  const stalled = new Map<string, ReadonlyArray<PipelineStall>>()
  const store = yield* JobStore
  // An app's action creates a job for its new sequence (the demo app's `prove`).
  yield* store.observe((t) => {
    if (t.state !== "pending" || t.data.sequences.length !== 1 || t.data.blockNumber === undefined || PIPELINE_METHODS.has(t.data.appInstanceMethod)) return
    if (tracker.action(normalizeAppInstance(t.data.appInstance), t.data.sequences[0]!, Number(t.data.createdAt))) actions.unsafeUpdate(1, [])
  })
  const settlement = yield* Effect.serviceOption(Settlement)
  if (Option.isSome(settlement)) {
    yield* settlement.value.outcomes.pipe(
      Stream.runForEach((o) =>
        Effect.sync(() => {
          if (o.result !== "done") return
          if (o.call === "submit_proof") {
            calls.submitted += 1
            proofsSubmitted.unsafeUpdate(1, [])
          } else if (o.call === "reject_proof") {
            calls.rejected += 1
            proofsRejected.unsafeUpdate(1, [])
          } else if (o.call === "create_merge_job") calls.merges += 1
        })
      ),
      Effect.forkScoped
    )
  }
  const service: PipelineStatusService = {
    observe: (instance, fields) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => recordStep(tracker.observe(normalizeAppInstance(instance), fields, now))),
    stalls: (instance, list) =>
      Effect.sync(() => {
        const key = normalizeAppInstance(instance)
        if (list.length === 0) stalled.delete(key)
        else stalled.set(key, list)
        stalledBlocks.unsafeUpdate([...stalled.values()].reduce((n, l) => n + l.length, 0), [])
      }),
    view: Effect.sync(() => ({
      actions: tracker.counts.actions,
      blocksClosed: tracker.counts.blocksClosed,
      proofsSubmitted: calls.submitted,
      proofsRejected: calls.rejected,
      mergeJobsCreated: calls.merges,
      blocksProved: tracker.counts.blocksProved,
      blocksSettled: tracker.counts.blocksSettled,
      latencyMs: {
        actionToBlockClosed: tracker.actionToClosed.percentiles(),
        blockClosedToProved: tracker.closedToProved.percentiles(),
        blockProvedToSettled: tracker.provedToSettled.percentiles(),
        actionToSettled: tracker.actionToSettled.percentiles()
      },
      instances: tracker.instancesView(),
      blocks: tracker.blocksView(),
      stalls: [...stalled.values()].flat()
    }))
  }
  return service
})

export class PipelineStatus extends Context.Tag("silvana/PipelineStatus")<PipelineStatus, PipelineStatusService>() {
  /** Observes the JobStore and Settlement's outcomes for the life of the layer. */
  static readonly layer = Layer.scoped(PipelineStatus, makePipelineStatus)
}
