/**
 * merges — drives each unproved block of a followed instance to its block proof: reads the block's
 * prover state, plans the merges of adjacent proved ranges (domain/mergePlan.ts, a pure planner)
 * and creates each as a `create_merge_job`, which reserves both halves on chain, so a merge is
 * created once even when several coordinators plan it. A merge whose result is rejected, or whose
 * job died, is planned again from its halves; a rejected leaf is proved again (reproves.ts). A
 * proved block not settled yet is read too: a block proof rejected after it finished the block
 * (by the settle agent) re-opens it (mergePlan.ts `isProved`), and is proved again the same way. Each
 * pass also purges the instance's settled sequence states (purge.ts), where the deployed
 * coordinator does it. Woken when a proof of the instance lands or is rejected (this coordinator's
 * `submit_proof` or `reject_proof` executed), when a block closes (its `try_create_block`, or an
 * action's new prove job) and when a prove or merge job of the instance ends, with a timer as the
 * fallback (proofs submitted through other coordinators).
 */
import { Clock, Effect, Metric, Option, Stream } from "effect"
import { arg } from "../chain/appCalls.js"
import { toBlockProofState } from "../chain/appTypes.js"
import type { AppInstanceFields } from "../layers/AppChain.js"
import { normalizeAppInstance } from "../domain/ids.js"
import { isProveJob, LeafMethods, MERGE_METHOD, proveMethodFor } from "../domain/proveMethod.js"
import { type BlockProofState, type MergeRequest, planMerges, planReproves, type ReproveRequest } from "../domain/mergePlan.js"
import { stalledBlocks } from "../domain/stalls.js"
import { AppApi } from "../layers/AppApi.js"
import { Config } from "../layers/Config.js"
import { decodeJob } from "../layers/ChainState.js"
import { JobStore } from "../layers/JobStore.js"
import { PipelineStatus } from "../layers/PipelineStatus.js"
import { pipelineLoop } from "./pipelineLoop.js"
import { purgeSettled } from "./purge.js"
import { makeReprover } from "./reproves.js"

const planned = Metric.counter("silvana_pipeline_merges_planned_total", { description: "Merges the planner proposed", incremental: true })
export const mergeJobsCreated = Metric.counter("silvana_pipeline_merge_jobs_created_total", { description: "create_merge_job calls that executed", incremental: true })
const refused = Metric.counter("silvana_pipeline_merge_jobs_refused_total", { description: "create_merge_job calls the chain refused (proofs no longer free)", incremental: true })

/** Blocks ahead of the last proved one the program looks at (the deployed one's look-ahead). */
const LOOKAHEAD = 64n

export interface MergesOptions {
  readonly everyMs: number
}

const mergeCall = (m: MergeRequest) => ({
  fn: "create_merge_job",
  args: [
    arg.u64(m.blockNumber), arg.vecU64(m.sequences), arg.vecU64(m.sequences1), arg.vecU64(m.sequences2),
    arg.optString(`merge of block ${m.blockNumber}: [${m.sequences1[0]}..${m.sequences1[m.sequences1.length - 1]}] + [${m.sequences2[0]}..${m.sequences2[m.sequences2.length - 1]}]`)
  ],
  clock: true
})

export const mergesProgram = (o: MergesOptions) =>
  Effect.gen(function* () {
    const app = yield* AppApi
    const reproveLeaf = yield* makeReprover
    const status = yield* Effect.serviceOption(PipelineStatus)
    /** The failed jobs each instance's stalls were last logged for (a stall is logged once). */
    const logged = new Map<string, ReadonlySet<number>>()
    /** Reports the instance's blocks held up by prove jobs that failed for good (domain/stalls.ts). */
    const reportStalls = (id: string, inst: AppInstanceFields, states: ReadonlyMap<bigint, BlockProofState>) =>
      Effect.gen(function* () {
        if (Option.isNone(status)) return
        const rows = inst.failedJobs.length === 0 ? new Map<bigint, Uint8Array>() : yield* app.chain.tableEntries(inst.jobsTable, inst.failedJobs)
        const jobs = yield* Effect.try(() => [...rows.values()].map(decodeJob)).pipe(
          Effect.catchAll((e) => Effect.as(Effect.logWarning("cannot decode the instance's failed jobs", { app_instance: id, error: String(e.error) }), []))
        )
        const failed = jobs.flatMap((j) =>
          j.status._tag === "Failed"
            ? [{ jobSequence: j.jobSequence, method: j.appInstanceMethod, blockNumber: Option.getOrUndefined(j.blockNumber), sequences: Option.getOrElse(j.sequences, () => []), attempts: j.attempts, error: j.status.error }]
            : []
        )
        const stalls = stalledBlocks(`0x${normalizeAppInstance(id)}`, inst.lastProvedBlockNumber, states, failed)
        const key = normalizeAppInstance(id)
        const before = logged.get(key) ?? new Set<number>()
        for (const st of stalls) if (!before.has(st.job)) yield* Effect.logWarning("block stalled", { app_instance: id, block: String(st.block), reason: st.reason })
        logged.set(key, new Set(stalls.map((st) => st.job)))
        yield* status.value.stalls(id, stalls)
      })
    // the method of each leaf's prove job, to prove it again under the same one
    const leafMethods = new LeafMethods()
    yield* (yield* JobStore).observe((t) => {
      if (t.state === "pending" && isProveJob(t.data)) leafMethods.remember(normalizeAppInstance(t.data.appInstance), t.data.blockNumber!, t.data.sequences, t.data.appInstanceMethod)
    })
    const planInstance = (id: string) =>
      Effect.gen(function* () {
        const inst = yield* app.chain.instance(id)
        const last = inst.blockNumber < inst.lastProvedBlockNumber + LOOKAHEAD ? inst.blockNumber : inst.lastProvedBlockNumber + LOOKAHEAD
        const now = BigInt(yield* Clock.currentTimeMillis)
        const plans: Array<MergeRequest> = []
        const reproves: Array<ReproveRequest> = []
        const states = new Map<bigint, BlockProofState>()
        // Proved blocks not settled yet too (a rejected block proof re-opens its block: isProved),
        // at most LOOKAHEAD of them: an instance nobody settles must not cost a read per block.
        const settledFloor = inst.settlements.reduce((m, st) => (st.lastSettledBlockNumber < m ? st.lastSettledBlockNumber : m), inst.lastProvedBlockNumber)
        const lookBack = inst.lastProvedBlockNumber > LOOKAHEAD ? inst.lastProvedBlockNumber - LOOKAHEAD : 0n
        for (let b = (settledFloor > lookBack ? settledFloor : lookBack) + 1n; b <= last; b++) {
          const pc = yield* app.chain.proofCalculationOf(inst, b)
          if (Option.isNone(pc)) continue
          const state = toBlockProofState(pc.value)
          states.set(b, state)
          plans.push(...planMerges(state, now))
          reproves.push(...planReproves(state, now))
        }
        // a failed read of the failed jobs must not hold the merges up
        yield* reportStalls(id, inst, states).pipe(Effect.catchAll((e) => Effect.logDebug("cannot read the failed jobs", { app_instance: id, error: e.message })))
        yield* Effect.forEach(
          reproves,
          (r) => {
            const method = proveMethodFor(leafMethods.get(normalizeAppInstance(id), r.blockNumber, r.sequences), inst.methods.keys())
            return method === undefined
              ? Effect.logWarning("a rejected leaf proof cannot be proved again: the instance has no method that tells how", { app_instance: id, block: String(r.blockNumber) })
              : reproveLeaf(id, r, method)
          },
          { concurrency: "unbounded", discard: true }
        )
        // As the deployed merge analysis does: settled sequence states are purged from here.
        yield* purgeSettled(app, id)
        if (plans.length === 0) return
        yield* Metric.incrementBy(planned, plans.length)
        yield* Effect.forEach(
          plans,
          (m) =>
            Effect.flatten(app.settlement.coordinatorCall(id, mergeCall(m))).pipe(
              Effect.flatMap((r) =>
                // create_merge_job answers None (the op is `rejected`) when the halves are no longer free
                r.result === "done" ? Metric.increment(mergeJobsCreated) : Metric.increment(refused)
              )
            ),
          { concurrency: "unbounded", discard: true }
        )
      })
    return yield* pipelineLoop({
      name: "merges",
      instances: (yield* Config).appInstances,
      everyMs: o.everyMs,
      // a pass reads every unproved block's prover state: let a burst of proofs share one
      minGapMs: 10,
      // a new prove job (its action may have closed the open block), an ended prove or merge job
      wakeOn: (t) => (t.state === "pending" && isProveJob(t.data)) || (t.state === "removed" && (isProveJob(t.data) || t.data.appInstanceMethod === MERGE_METHOD)),
      // a proof landed or was rejected, a block was closed
      wakeOnOutcomes: Stream.filter(app.settlement.outcomes, (x) => x.result === "done" && (x.call === "submit_proof" || x.call === "reject_proof" || x.call === "try_create_block")),
      step: (id) => Effect.as(planInstance(id), Option.none<number>())
    })
  })
