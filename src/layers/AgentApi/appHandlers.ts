/**
 * Job-scoped RPCs over the app instance's own data: key-value (SetKV, GetKV, DeleteKV), metadata
 * (AddMetadata write-once, GetMetadata) and CreateAppJob. Refusals answer `success=false` with a
 * message (the deployed answer style); writes wait for their transaction and return its digest.
 */
import { Effect } from "effect"
import { apiSpan } from "./spans.js"
import { arg } from "../../chain/appCalls.js"
import type {
  AddMetadataRequest, AddMetadataResponse, CreateAppJobRequest, CreateAppJobResponse, DeleteKVRequest, DeleteKVResponse,
  GetKVRequest, GetKVResponse, GetMetadataRequest, GetMetadataResponse, Metadata, SetKVRequest, SetKVResponse
} from "../../gen/silvana/coordinator/v1/coordinator.js"
import type { AppInstanceFields } from "../AppChain.js"
import { callAndWait } from "./chainCall.js"
import { type ApiError, Internal, InvalidArgument } from "./errors.js"
import { isRefusal, jobScope, type Scoped } from "./jobScope.js"
import * as V from "./validate.js"

/** Longest key and value written on chain (a pure argument is limited to 16 KiB). */
export const KV_LIMITS = { key: 1024, value: 8 * 1024 } as const

const key = (k: string) => V.name("key", k).pipe(Effect.filterOrFail((v) => v.length <= KV_LIMITS.key, () => new InvalidArgument({ message: `key is longer than ${KV_LIMITS.key} characters` })))
const value = (v: string) => V.text("value", v, KV_LIMITS.value)

/** Runs `f` for a call whose job the session holds; a refusal becomes `success=false` (the block and state RPCs use it too). */
export const scoped = <A extends { success: boolean; message: string }, E, R>(
  rpc: string,
  req: { sessionId: string; jobId: string },
  empty: Omit<A, "success" | "message">,
  f: (s: Scoped) => Effect.Effect<A, E, R>
) =>
  Effect.flatMap(jobScope(rpc, req.sessionId, req.jobId), (s) =>
    isRefusal(s) ? Effect.succeed({ ...empty, success: false, message: s.message } as A) : f(s)
  ).pipe(apiSpan(`AgentApi.${rpc}`), Effect.annotateLogs({ session_id: req.sessionId, job_id: req.jobId }))

export const readInstance = (s: Scoped) =>
  s.app.chain.instance(s.job.appInstance).pipe(Effect.mapError((e) => new Internal({ message: e.message })))

export const setKV = (req: SetKVRequest) =>
  Effect.flatMap(Effect.all([key(req.key), value(req.value)]), ([k, v]) =>
    scoped<SetKVResponse, ApiError, never>("SetKV", req, { txHash: "" }, (s) =>
      Effect.map(callAndWait(s, { fn: "set_kv", args: [arg.string(k), arg.string(v)], clock: false }), (r) => ({
        success: r.success, message: r.message, txHash: r.txHash
      }))
    )
  )

export const deleteKV = (req: DeleteKVRequest) =>
  Effect.flatMap(key(req.key), (k) =>
    scoped<DeleteKVResponse, ApiError, never>("DeleteKV", req, { txHash: "" }, (s) =>
      Effect.map(callAndWait(s, { fn: "delete_kv", args: [arg.string(k)], clock: false }), (r) => ({
        success: r.success, message: r.message, txHash: r.txHash
      }))
    )
  )

export const getKV = (req: GetKVRequest) =>
  Effect.flatMap(key(req.key), (k) =>
    scoped<GetKVResponse, ApiError, never>("GetKV", req, {}, (s) =>
      Effect.map(readInstance(s), (inst): GetKVResponse => {
        const v = inst.kv.get(k)
        return v === undefined ? { success: false, message: `key ${k} not found` } : { success: true, message: "found", value: v }
      })
    )
  )

export const addMetadata = (req: AddMetadataRequest) =>
  Effect.flatMap(Effect.all([key(req.key), value(req.value)]), ([k, v]) =>
    scoped<AddMetadataResponse, ApiError, never>("AddMetadata", req, { txHash: "" }, (s) =>
      Effect.map(callAndWait(s, { fn: "add_metadata", args: [arg.string(k), arg.string(v)], clock: false }), (r) => ({
        success: r.success,
        message: r.success ? r.message : `metadata key ${k} cannot be added (keys are write-once): ${r.message}`,
        txHash: r.txHash
      }))
    )
  )

/** An instance's settlement chains as both Metadata and AppInstanceData carry them (keyed by chain). */
export const settlementsView = (inst: AppInstanceFields) =>
  Object.fromEntries(
    inst.settlements.map((st) => [
      st.chain,
      {
        chain: st.chain,
        lastSettledBlockNumber: st.lastSettledBlockNumber,
        ...(st.settlementAddress === null ? {} : { settlementAddress: st.settlementAddress }),
        ...(st.settlementJob === null ? {} : { settlementJob: st.settlementJob })
      }
    ])
  )

export const toMetadata = (inst: AppInstanceFields, v: string | undefined): Metadata => ({
  ...(v === undefined ? {} : { value: v }),
  appInstanceId: inst.id,
  silvanaAppName: inst.silvanaAppName,
  ...(inst.description === null ? {} : { description: inst.description }),
  sequence: inst.sequence,
  admin: inst.admin,
  blockNumber: inst.blockNumber,
  previousBlockTimestamp: inst.previousBlockTimestamp,
  previousBlockLastSequence: inst.previousBlockLastSequence,
  lastProvedBlockNumber: inst.lastProvedBlockNumber,
  isPaused: inst.isPaused,
  createdAt: inst.createdAt,
  updatedAt: inst.updatedAt,
  settlements: settlementsView(inst)
})

export const getMetadata = (req: GetMetadataRequest) =>
  Effect.flatMap(req.key === undefined ? Effect.succeed(undefined) : key(req.key), (k) =>
    scoped<GetMetadataResponse, ApiError, never>("GetMetadata", req, {}, (s) =>
      Effect.map(readInstance(s), (inst): GetMetadataResponse => {
        if (k === undefined) return { success: true, message: "app instance metadata", metadata: toMetadata(inst, undefined) }
        const v = inst.metadata.get(k)
        return v === undefined
          ? { success: false, message: `metadata key ${k} not found` }
          : { success: true, message: "found", metadata: toMetadata(inst, v) }
      })
    )
  )

const MAX_JOB_DATA = 64 * 1024

export const createAppJob = (req: CreateAppJobRequest) =>
  Effect.gen(function* () {
    const method = yield* V.name("method_name", req.methodName)
    if (req.data.length > MAX_JOB_DATA) return yield* Effect.fail(new InvalidArgument({ message: `data is larger than ${MAX_JOB_DATA} bytes` }))
    const opt = (xs: bigint[]) => (xs.length === 0 ? undefined : xs)
    return yield* scoped<CreateAppJobResponse, ApiError, never>("CreateAppJob", req, { txHash: "", jobSequence: 0n }, (s) =>
      Effect.map(
        callAndWait(s, {
          fn: "create_app_job",
          args: [
            arg.string(method), arg.optString(req.jobDescription), arg.optU64(req.blockNumber),
            arg.optVecU64(opt(req.sequences)), arg.optVecU64(opt(req.sequences1)), arg.optVecU64(opt(req.sequences2)),
            arg.bytes(req.data), arg.optU64(req.intervalMs), arg.optU64(req.nextScheduledAt), arg.optString(req.settlementChain)
          ],
          clock: true
        }),
        (r): CreateAppJobResponse => {
          const m = r.detail === null ? null : /^job_sequence=(\d+)$/.exec(r.detail)
          if (r.success && m !== null) return { success: true, message: `job ${m[1]} created`, txHash: r.txHash, jobSequence: BigInt(m[1]!) }
          return { success: false, message: r.success ? "create_app_job created no job" : r.message, txHash: r.txHash, jobSequence: 0n }
        }
      )
    )
  })
