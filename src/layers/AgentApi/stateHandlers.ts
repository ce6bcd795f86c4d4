/**
 * Job-scoped RPCs over sequence states and settlement proofs. GetSequenceStates and SubmitState
 * answer refusals with gRPC statuses (as the deployed coordinator does for both); SubmitState
 * stores `serialized_state` in the data-availability store and queues `update_state_for_sequence`
 * durably in the settlement outbox (batched, not awaited, like SubmitProof). Settlement proofs are
 * not on chain: the payload goes into the DA store and its descriptor into the journal, keyed by
 * (app instance, block, chain); GetSettlementProof answers `success=false` when there is none.
 */
import { Effect, Option } from "effect"
import { arg } from "../../chain/appCalls.js"
import type { DecodedSequenceState } from "../../chain/blockTypes.js"
import type {
  GetSequenceStatesRequest, GetSequenceStatesResponse, GetSettlementProofRequest, GetSettlementProofResponse, SequenceState,
  SubmitSettlementProofRequest, SubmitSettlementProofResponse, SubmitStateRequest, SubmitStateResponse
} from "../../gen/silvana/coordinator/v1/coordinator.js"
import type { AppInstanceFields } from "../AppChain.js"
import { readInstance, scoped } from "./appHandlers.js"
import { queueCall } from "./chainCall.js"
import { type ApiError, Internal, InvalidArgument, NotFound, StorageUnavailable } from "./errors.js"
import { scopeOrStatus, type Scoped } from "./jobScope.js"
import { readText, storageError } from "./proofHandlers.js"
import * as V from "./validate.js"

const spanOptions = { captureStackTrace: false } as const
/** `new_state_data` goes on chain as a pure argument (16 KiB at most on Sui). */
export const MAX_STATE_DATA = 8 * 1024
/** Most states one GetSequenceStates answers (from the last one with data availability). */
export const MAX_STATES = 10_000
const WINDOW = 64n

const chainRead = <A, E extends { message: string }, R>(e: Effect.Effect<A, E, R>) => Effect.mapError(e, (x) => new Internal({ message: x.message }))

const kept = (inst: AppInstanceFields, sequence: bigint) => {
  const { lowest, highest } = inst.sequenceStates
  if (lowest !== null && highest !== null && sequence >= lowest && sequence <= highest) return Effect.void
  const range = lowest === null || highest === null ? "none" : `[${lowest}, ${highest}]`
  return Effect.fail(new NotFound({ message: `sequence ${sequence} has no state on chain (kept: ${range})` }))
}

const toWireState = (s: DecodedSequenceState): SequenceState => ({
  sequence: s.sequence,
  ...(s.state === null ? {} : { state: Buffer.from(s.state) }),
  ...(s.dataAvailability === null ? {} : { dataAvailability: s.dataAvailability }),
  optimisticState: Buffer.from(s.optimisticState),
  transitionData: Buffer.from(s.transitionData)
})

/**
 * From `sequence` down to the nearest state with data availability (or the lowest kept), read in
 * windows that double from 2 up to 64 states: a prover usually asks right after the sequence
 * before was proved (one read of two states), and each read is a batch of chain objects.
 */
const statesBack = (s: Scoped, inst: AppInstanceFields, sequence: bigint) =>
  Effect.gen(function* () {
    const lowest = inst.sequenceStates.lowest!
    const found: DecodedSequenceState[] = []
    let hi = sequence
    let window = 2n
    while (hi >= lowest) {
      const lo = hi - window + 1n > lowest ? hi - window + 1n : lowest
      if (window < WINDOW) window *= 2n
      const keys: bigint[] = []
      for (let k = hi; k >= lo; k--) keys.push(k)
      const states = yield* chainRead(s.app.chain.sequenceStates(inst, keys))
      for (const k of keys) {
        const st = states.get(k)
        if (st === undefined) continue
        found.push(st)
        if (st.dataAvailability !== null) return found.reverse()
        if (found.length > MAX_STATES) return yield* Effect.fail(new Internal({ message: `more than ${MAX_STATES} states since the last one with data availability` }))
      }
      if (lo === lowest) break
      hi = lo - 1n
    }
    return found.reverse()
  })

export const getSequenceStates = (req: GetSequenceStatesRequest) =>
  Effect.gen(function* () {
    const s = yield* scopeOrStatus("GetSequenceStates", req.sessionId, req.jobId)
    const inst = yield* readInstance(s)
    yield* kept(inst, req.sequence)
    const states = yield* statesBack(s, inst, req.sequence)
    if (states[states.length - 1]?.sequence !== req.sequence) return yield* Effect.fail(new NotFound({ message: `sequence ${req.sequence} has no state on chain` }))
    return {
      success: true,
      message: `${states.length} sequence state(s) for sequence ${req.sequence}`,
      states: states.map(toWireState)
    } satisfies GetSequenceStatesResponse
  }).pipe(Effect.withSpan("AgentApi.GetSequenceStates", spanOptions))

export const submitState = (req: SubmitStateRequest) =>
  Effect.gen(function* () {
    if (req.newStateData !== undefined && req.newStateData.length > MAX_STATE_DATA) {
      return yield* Effect.fail(new InvalidArgument({ message: `new_state_data is larger than ${MAX_STATE_DATA} bytes (it goes on chain; put large states in serialized_state)` }))
    }
    const s = yield* scopeOrStatus("SubmitState", req.sessionId, req.jobId)
    yield* kept(yield* readInstance(s), req.sequence)
    const da = req.serializedState === undefined ? undefined : yield* s.app.da.put(Buffer.from(req.serializedState, "utf8")).pipe(Effect.mapError(storageError))
    const q = yield* queueCall(s, {
      fn: "update_state_for_sequence",
      args: [arg.u64(req.sequence), arg.optBytes(req.newStateData), arg.optString(da)],
      clock: true
    })
    const daHash = da === undefined ? {} : { daHash: da }
    if (q._tag === "Refused") return { success: false, message: q.message, txHash: "", ...daHash } satisfies SubmitStateResponse
    return { success: true, message: `state of sequence ${req.sequence} queued`, txHash: "", ...daHash } satisfies SubmitStateResponse
  }).pipe(Effect.withSpan("AgentApi.SubmitState", spanOptions))

export const submitSettlementProof = (req: SubmitSettlementProofRequest) =>
  Effect.gen(function* () {
    const chain = yield* V.name("chain", req.chain)
    if (req.proof.length === 0) return yield* Effect.fail(new InvalidArgument({ message: "proof is required" }))
    const s = yield* scopeOrStatus("SubmitSettlementProof", req.sessionId, req.jobId)
    const descriptor = yield* s.app.da.put(Buffer.from(req.proof, "utf8")).pipe(Effect.mapError(storageError))
    yield* s.app.settlementProofs.putSettlementProof(s.job.appInstance, req.blockNumber, chain, descriptor).pipe(
      Effect.mapError((e) => new StorageUnavailable({ message: `${e.message}; retry the call` }))
    )
    return { success: true, message: `settlement proof of block ${req.blockNumber} for ${chain} stored: ${descriptor}` } satisfies SubmitSettlementProofResponse
  }).pipe(Effect.withSpan("AgentApi.SubmitSettlementProof", spanOptions))

export const getSettlementProof = (req: GetSettlementProofRequest) =>
  Effect.flatMap(V.name("settlement_chain", req.settlementChain), (chain) =>
    scoped<GetSettlementProofResponse, ApiError, never>("GetSettlementProof", req, {}, (s) =>
      Effect.gen(function* () {
        const d = yield* s.app.settlementProofs.settlementProof(s.job.appInstance, req.blockNumber, chain).pipe(Effect.mapError((e) => new Internal({ message: e.message })))
        if (Option.isNone(d)) return { success: false, message: `no settlement proof of block ${req.blockNumber} for ${chain}` }
        const text = yield* readText(s.app, d.value)
        if (Option.isNone(text)) return { success: false, message: `settlement proof ${d.value} is not in this coordinator's store` }
        return { success: true, message: d.value, proof: text.value }
      })
    )
  )
