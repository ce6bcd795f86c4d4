/**
 * Job-scoped proof RPCs: SubmitProof (payload into the data-availability store, `submit_proof`
 * queued durably in the settlement outbox — batched with other calls, not awaited), GetProof and
 * GetBlockProof (descriptor from what this coordinator accepted or from the block's
 * ProofCalculation on chain, then the verified bytes), RejectProof (a transaction, awaited) and
 * ReadDataAvailability. SubmitProof and RejectProof answer refusals with gRPC statuses, as the
 * deployed coordinator does; a corrupt stored blob is INTERNAL, never other bytes.
 */
import * as os from "node:os"
import { Effect, Option } from "effect"
import { apiSpan } from "./spans.js"
import { arg } from "../../chain/appCalls.js"
import { toBlockProofState } from "../../chain/appTypes.js"
import { blockProofStands } from "../../domain/mergePlan.js"
import type {
  GetBlockProofRequest, GetBlockProofResponse, GetProofRequest, GetProofResponse, ReadDataAvailabilityRequest,
  ReadDataAvailabilityResponse, RejectProofRequest, RejectProofResponse, SubmitProofRequest, SubmitProofResponse
} from "../../gen/silvana/coordinator/v1/coordinator.js"
import type { AppApiService } from "../AppApi.js"
import { AppApi } from "../AppApi.js"
import { Sessions } from "../Sessions.js"
import { callAndWait, queueCall } from "./chainCall.js"
import { Internal, InvalidArgument, NotImplemented, StorageUnavailable } from "./errors.js"
import { isRefusal, jobScope, scopeOrStatus } from "./jobScope.js"
import * as V from "./validate.js"
import { shortSecret } from "../../domain/redact.js"

const MAX_SEQUENCES = 10_000

/** Non-empty, strictly ascending, bounded — what `prover` expects (it sorts; we refuse the unsorted). */
const sequences = (field: string, xs: ReadonlyArray<bigint>, required: boolean) => {
  if (xs.length === 0) return required ? Effect.fail(new InvalidArgument({ message: `${field} must not be empty` })) : Effect.succeed(undefined)
  if (xs.length > MAX_SEQUENCES) return Effect.fail(new InvalidArgument({ message: `${field} has more than ${MAX_SEQUENCES} entries` }))
  for (let i = 1; i < xs.length; i++) {
    if (xs[i]! <= xs[i - 1]!) return Effect.fail(new InvalidArgument({ message: `${field} must be sorted ascending without repeats` }))
  }
  return Effect.succeed(xs)
}

/** Read once: `os.cpus()` parses /proc/cpuinfo, a measurable part of every SubmitProof when done per call. */
let host: { readonly cores: number; readonly arch: string; readonly memoryKb: bigint } | undefined
const hostFacts = () =>
  (host ??= { cores: Math.min(255, os.availableParallelism()), arch: os.arch(), memoryKb: BigInt(Math.floor(os.totalmem() / 1024)) })

export const storageError = (e: { _tag: string; message: string }) =>
  e._tag === "DataTooLarge" ? new InvalidArgument({ message: e.message }) : e._tag === "DataCorrupted" ? new Internal({ message: e.message }) : new StorageUnavailable({ message: e.message })

export const submitProof = (req: SubmitProofRequest) =>
  Effect.gen(function* () {
    const seqs = (yield* sequences("sequences", req.sequences, true))!
    const m1 = yield* sequences("merged_sequences_1", req.mergedSequences1, false)
    const m2 = yield* sequences("merged_sequences_2", req.mergedSequences2, false)
    if (req.proof.length === 0) return yield* Effect.fail(new InvalidArgument({ message: "proof is required" }))
    const s = yield* scopeOrStatus("SubmitProof", req.sessionId, req.jobId)
    const descriptor = yield* s.app.da.put(Buffer.from(req.proof, "utf8")).pipe(Effect.mapError(storageError))
    const host = hostFacts()
    const q = yield* queueCall(s, {
      fn: "submit_proof",
      args: [
        arg.u64(req.blockNumber), arg.vecU64(seqs), arg.optVecU64(m1), arg.optVecU64(m2), arg.string(req.jobId),
        arg.string(descriptor), arg.u8(host.cores), arg.string(host.arch), arg.u64(host.memoryKb), arg.u64(req.cpuTime)
      ],
      clock: true
    })
    if (q._tag === "Refused") return { success: false, message: q.message, txHash: "", daHash: descriptor } satisfies SubmitProofResponse
    s.app.rememberProof(s.job.appInstance, req.blockNumber, seqs, descriptor)
    return { success: true, message: "proof stored; submit_proof queued", txHash: "", daHash: descriptor } satisfies SubmitProofResponse
  }).pipe(apiSpan("AgentApi.SubmitProof"))

/** The proof's descriptor: accepted here, else on chain (`None` when neither has it). */
const proofDescriptor = (app: AppApiService, instance: string, block: bigint, seqs: ReadonlyArray<bigint>) =>
  Effect.gen(function* () {
    const local = app.acceptedProof(instance, block, seqs)
    if (local !== undefined) return Option.some(local)
    const pc = yield* app.chain.proofCalculation(instance, block).pipe(Effect.mapError((e) => new Internal({ message: e.message })))
    if (Option.isNone(pc)) return Option.none<string>()
    const key = seqs.join(",")
    const proof = pc.value.proofs.find((p) => p.sequences.join(",") === key)
    return Option.fromNullable(proof?.daHash ?? null)
  })

/** The UTF-8 text of a stored blob (`None` when this store has nothing under it); corrupt = INTERNAL. */
export const readText = (app: AppApiService, descriptor: string) =>
  app.da.get(descriptor).pipe(
    Effect.catchTag("UnknownDescriptor", () => Effect.succeed(Option.none<Uint8Array>())),
    Effect.mapError(storageError),
    Effect.map(Option.map((b) => Buffer.from(b).toString("utf8")))
  )

export const getProof = (req: GetProofRequest) =>
  Effect.gen(function* () {
    const seqs = (yield* sequences("sequences", req.sequences, true))!
    const s = yield* jobScope("GetProof", req.sessionId, req.jobId)
    if (isRefusal(s)) return { success: false, message: s.message } satisfies GetProofResponse
    const d = yield* proofDescriptor(s.app, s.job.appInstance, req.blockNumber, seqs)
    if (Option.isNone(d)) return { success: false, message: `no proof for block ${req.blockNumber} sequences [${seqs.join(",")}]` } satisfies GetProofResponse
    const text = yield* readText(s.app, d.value)
    if (Option.isNone(text)) return { success: false, message: `proof ${d.value} is not in this coordinator's store` } satisfies GetProofResponse
    return { success: true, message: d.value, proof: text.value } satisfies GetProofResponse
  }).pipe(apiSpan("AgentApi.GetProof"))

export const getBlockProof = (req: GetBlockProofRequest) =>
  Effect.gen(function* () {
    const s = yield* jobScope("GetBlockProof", req.sessionId, req.jobId)
    if (isRefusal(s)) return { success: false, message: s.message } satisfies GetBlockProofResponse
    const pc = yield* s.app.chain.proofCalculation(s.job.appInstance, req.blockNumber).pipe(Effect.mapError((e) => new Internal({ message: e.message })))
    if (Option.isNone(pc)) return { success: false, message: `block ${req.blockNumber} has no proof calculation` } satisfies GetBlockProofResponse
    if (!pc.value.isFinished || pc.value.blockProof === null) {
      return { success: false, message: `block ${req.blockNumber} is not proved yet` } satisfies GetBlockProofResponse
    }
    // The chain keeps a rejected block proof as the block's until a new one replaces it.
    if (!blockProofStands(toBlockProofState(pc.value))) {
      return { success: false, message: `block ${req.blockNumber}'s proof was rejected and is being proved again` } satisfies GetBlockProofResponse
    }
    const text = yield* readText(s.app, pc.value.blockProof)
    if (Option.isNone(text)) return { success: false, message: `block proof ${pc.value.blockProof} is not in this coordinator's store` } satisfies GetBlockProofResponse
    return { success: true, message: pc.value.blockProof, blockProof: text.value } satisfies GetBlockProofResponse
  }).pipe(apiSpan("AgentApi.GetBlockProof"))

export const rejectProof = (req: RejectProofRequest) =>
  Effect.gen(function* () {
    const seqs = (yield* sequences("sequences", req.sequences, true))!
    const s = yield* scopeOrStatus("RejectProof", req.sessionId, req.jobId)
    const r = yield* callAndWait(s, { fn: "reject_proof", args: [arg.u64(req.blockNumber), arg.vecU64(seqs)], clock: true })
    return { success: r.success, message: r.message, txHash: r.txHash } satisfies RejectProofResponse
  }).pipe(apiSpan("AgentApi.RejectProof"))

/** Not tied to a job (the request has none): any live session may read a descriptor. */
export const readDataAvailability = (req: ReadDataAvailabilityRequest) =>
  Effect.gen(function* () {
    const sessionId = yield* V.sessionId(req.sessionId)
    if (req.daHash.length === 0 || req.daHash.length > 512) return yield* Effect.fail(new InvalidArgument({ message: "da_hash is required (at most 512 characters)" }))
    const app = yield* Effect.serviceOption(AppApi)
    if (Option.isNone(app)) return yield* Effect.fail(new NotImplemented({ rpc: "ReadDataAvailability" }))
    const session = yield* Effect.flatMap(Sessions, (s) => s.get(sessionId))
    if (Option.isNone(session)) return { success: false, message: `unknown session ${shortSecret(sessionId)}` } satisfies ReadDataAvailabilityResponse
    const text = yield* readText(app.value, req.daHash)
    if (Option.isNone(text)) return { success: false, message: `${req.daHash} is not in this coordinator's store` } satisfies ReadDataAvailabilityResponse
    return { success: true, message: "found", data: text.value } satisfies ReadDataAvailabilityResponse
  }).pipe(apiSpan("AgentApi.ReadDataAvailability"))
