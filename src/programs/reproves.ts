/**
 * Re-proving a rejected leaf proof (part of the merges program): a merge agent that finds a half
 * invalid rejects it (`reject_proof`); a rejected merge is planned again from its halves, but a
 * rejected leaf — the proof of an app's prove job — has no halves, and the deployed coordinator
 * leaves its block stalled. Ours claims the leaf on chain with `start_proving` (which only a
 * rejected or timed-out proof allows, so of several coordinators one wins), reads the proof back
 * to see whether the claim is its own, and only then creates a new prove job for those
 * sequences, under the method of the job that proved the leaf (domain/proveMethod.ts). A coordinator that dies between the two leaves the leaf started; once that times
 * out the leaf is planned again.
 */
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { Effect, Metric, Option } from "effect"
import { arg } from "../chain/appCalls.js"
import { ProofStatus, type ReproveRequest } from "../domain/mergePlan.js"
import { AppApi } from "../layers/AppApi.js"
import { SuiClient } from "../layers/SuiClient.js"

export const reproveJobsCreated = Metric.counter("silvana_pipeline_reprove_jobs_created_total", {
  description: "Prove jobs created again for rejected or abandoned leaf proofs",
  incremental: true
})
const claimsLost = Metric.counter("silvana_pipeline_reprove_claims_lost_total", {
  description: "Leaf proofs another coordinator claimed first",
  incremental: true
})

const span = (s: ReadonlyArray<bigint>) => (s.length === 1 ? `${s[0]}` : `${s[0]}..${s[s.length - 1]}`)

export const startProvingCall = (r: ReproveRequest) => ({
  fn: "start_proving",
  args: [arg.u64(r.blockNumber), arg.vecU64(r.sequences), arg.optVecU64(undefined), arg.optVecU64(undefined)],
  clock: true
})

/** A prove job for the leaf's sequences, under the app's prove method (domain/proveMethod.ts). */
export const proveJobCall = (r: ReproveRequest, method: string) => ({
  fn: "create_app_job",
  args: [
    arg.string(method), arg.optString(`prove again sequences ${span(r.sequences)} of block ${r.blockNumber}`), arg.optU64(r.blockNumber),
    arg.optVecU64(r.sequences), arg.optVecU64(undefined), arg.optVecU64(undefined), arg.bytes(new Uint8Array()),
    arg.optU64(undefined), arg.optU64(undefined), arg.optString(undefined)
  ],
  clock: true
})

/** `(instance, leaf, method)` → claims the leaf and, when the claim is this coordinator's, creates its prove job under `method`. */
export const makeReprover = Effect.gen(function* () {
  const app = yield* AppApi
  const me = normalizeSuiAddress((yield* SuiClient).address)
  return (appInstance: string, r: ReproveRequest, method: string) =>
    Effect.gen(function* () {
      const claim = yield* Effect.flatten(app.settlement.coordinatorCall(appInstance, startProvingCall(r)))
      if (claim.result !== "done") return false
      const pc = yield* app.chain.proofCalculation(appInstance, r.blockNumber)
      const key = r.sequences.join(",")
      const now = Option.flatMapNullable(pc, (c) => c.proofs.find((p) => p.sequences.join(",") === key))
      // Ours when it is now started by us, and not the very start we planned from.
      const ours = Option.exists(
        now,
        (p) => p.status === ProofStatus.Started && normalizeSuiAddress(p.prover) === me && (r.status === ProofStatus.Rejected || p.timestamp > r.timestamp)
      )
      if (!ours) {
        yield* Metric.increment(claimsLost)
        return false
      }
      const created = yield* Effect.flatten(app.settlement.coordinatorCall(appInstance, proveJobCall(r, method)))
      if (created.result !== "done") {
        yield* Effect.logWarning("cannot create the prove job again", { app_instance: appInstance, block: String(r.blockNumber), result: created.result, detail: created.detail ?? "" })
        return false
      }
      yield* Metric.increment(reproveJobsCreated)
      yield* Effect.logInfo("leaf proof proved again", { app_instance: appInstance, block: String(r.blockNumber), sequences: span(r.sequences), method, detail: created.detail ?? "" })
      return true
    })
})
