/**
 * The CoordinatorService table: which handler answers each RPC of the contract, behind the
 * session-binding check (binding.ts) and admission (admission.ts). RPCs this coordinator does not
 * implement — or job-scoped ones when no AppApi backend is present — answer UNIMPLEMENTED.
 */
import { Effect } from "effect"
import {
  CoordinatorServiceDefinition,
  type CoordinatorServiceImplementation
} from "../../gen/silvana/coordinator/v1/coordinator.js"
import * as Metrics from "../Metrics.js"
import type { Admission, ApiServices } from "./admission.js"
import * as A from "./appHandlers.js"
import type { Transport } from "./binding.js"
import * as B from "./blockHandlers.js"
import { type ApiError, NotImplemented, toServerError } from "./errors.js"
import * as H from "./handlers.js"
import * as I from "./instanceHandlers.js"
import * as P from "./proofHandlers.js"
import type { RateLimiter } from "./rateLimit.js"
import * as S from "./stateHandlers.js"

/** The RPCs this coordinator implements; every other RPC of the contract answers UNIMPLEMENTED. */
const CORE_RPCS = new Set(["getJob", "completeJob", "failJob", "terminateJob", "agentMessage"])
/** The job-scoped RPCs; implemented when the AppApi backend is part of the runtime. */
const APP_RPCS = new Set([
  "setKV", "getKV", "deleteKV", "addMetadata", "getMetadata", "createAppJob",
  "submitProof", "getProof", "getBlockProof", "rejectProof", "readDataAvailability",
  "getSequenceStates", "submitState", "getSettlementProof", "submitSettlementProof",
  "tryCreateBlock", "getBlock", "updateBlockStateDataAvailability", "updateBlockProofDataAvailability",
  "updateBlockSettlementTxHash", "updateBlockSettlementTxIncludedInBlock", "getBlockSettlement", "updateBlockSettlement",
  "getAppInstance", "retrieveSecret", "proofEvent"
])

/** What nice-grpc hands a handler, as far as the table needs it. */
export type CallContext = { readonly signal: AbortSignal; readonly peer: string }

export interface RoutesOptions {
  readonly admission: Admission
  readonly chain: string
  readonly logLimiter: RateLimiter
  /** The AppApi backend is part of the runtime: the job-scoped RPCs are implemented. */
  readonly withApp: boolean
}

type Guard = <A>(sessionId: string, ctx: CallContext, handler: Effect.Effect<A, ApiError, ApiServices>) => Promise<A>

const handlerTable = (guarded: Guard, chain: string, logLimiter: RateLimiter): Partial<CoordinatorServiceImplementation> => ({
  getJob: (req, ctx) => guarded(req.sessionId, ctx, H.getJob(req, chain)),
  completeJob: (req, ctx) => guarded(req.sessionId, ctx, H.completeJob(req)),
  failJob: (req, ctx) => guarded(req.sessionId, ctx, H.failJob(req)),
  terminateJob: (req, ctx) => guarded(req.sessionId, ctx, H.terminateJob(req)),
  agentMessage: (req, ctx) => guarded(req.sessionId, ctx, H.agentMessage(req, logLimiter)),
  setKV: (req, ctx) => guarded(req.sessionId, ctx, A.setKV(req)),
  getKV: (req, ctx) => guarded(req.sessionId, ctx, A.getKV(req)),
  deleteKV: (req, ctx) => guarded(req.sessionId, ctx, A.deleteKV(req)),
  addMetadata: (req, ctx) => guarded(req.sessionId, ctx, A.addMetadata(req)),
  getMetadata: (req, ctx) => guarded(req.sessionId, ctx, A.getMetadata(req)),
  createAppJob: (req, ctx) => guarded(req.sessionId, ctx, A.createAppJob(req)),
  submitProof: (req, ctx) => guarded(req.sessionId, ctx, P.submitProof(req)),
  getProof: (req, ctx) => guarded(req.sessionId, ctx, P.getProof(req)),
  getBlockProof: (req, ctx) => guarded(req.sessionId, ctx, P.getBlockProof(req)),
  rejectProof: (req, ctx) => guarded(req.sessionId, ctx, P.rejectProof(req)),
  readDataAvailability: (req, ctx) => guarded(req.sessionId, ctx, P.readDataAvailability(req)),
  getSequenceStates: (req, ctx) => guarded(req.sessionId, ctx, S.getSequenceStates(req)),
  submitState: (req, ctx) => guarded(req.sessionId, ctx, S.submitState(req)),
  getSettlementProof: (req, ctx) => guarded(req.sessionId, ctx, S.getSettlementProof(req)),
  submitSettlementProof: (req, ctx) => guarded(req.sessionId, ctx, S.submitSettlementProof(req)),
  tryCreateBlock: (req, ctx) => guarded(req.sessionId, ctx, B.tryCreateBlock(req)),
  getBlock: (req, ctx) => guarded(req.sessionId, ctx, B.getBlock(req)),
  updateBlockStateDataAvailability: (req, ctx) => guarded(req.sessionId, ctx, B.updateBlockStateDataAvailability(req)),
  updateBlockProofDataAvailability: (req, ctx) => guarded(req.sessionId, ctx, B.updateBlockProofDataAvailability(req)),
  updateBlockSettlementTxHash: (req, ctx) => guarded(req.sessionId, ctx, B.updateBlockSettlementTxHash(req)),
  updateBlockSettlementTxIncludedInBlock: (req, ctx) => guarded(req.sessionId, ctx, B.updateBlockSettlementTxIncludedInBlock(req)),
  getBlockSettlement: (req, ctx) => guarded(req.sessionId, ctx, B.getBlockSettlement(req)),
  updateBlockSettlement: (req, ctx) => guarded(req.sessionId, ctx, B.updateBlockSettlement(req)),
  getAppInstance: (req, ctx) => guarded(req.sessionId, ctx, I.getAppInstance(req)),
  retrieveSecret: (req, ctx) => guarded(req.sessionId, ctx, I.retrieveSecret(req)),
  proofEvent: (req, ctx) => guarded(req.sessionId, ctx, I.proofEvent(req))
})

/**
 * The full service implementation for one listener. Every RPC first checks that the call came
 * from where its session is bound (`transport` says which listener that is), and is timed.
 */
export const coordinatorImplementation = (
  options: RoutesOptions,
  transport: (ctx: CallContext) => Transport
): CoordinatorServiceImplementation => {
  const { admission } = options
  const guarded: Guard = <A>(sessionId: string, ctx: CallContext, handler: Effect.Effect<A, ApiError, ApiServices>) =>
    admission.serve(
      Effect.flatMap(H.bindingCheck(sessionId, transport(ctx)), (refusal) =>
        refusal === undefined ? handler : Effect.succeed({ success: false, message: refusal } as A)
      ),
      ctx.signal
    )
  const core = handlerTable(guarded, options.chain, options.logLimiter)
  const implemented = (key: string) => CORE_RPCS.has(key) || (options.withApp && APP_RPCS.has(key))
  return Object.fromEntries(
    Object.entries(CoordinatorServiceDefinition.methods).map(([key, method]) => [
      key,
      Metrics.timedRpc(method.name, implemented(key)
        ? (core[key as keyof CoordinatorServiceImplementation] as (req: unknown, ctx: unknown) => Promise<unknown>)
        : async () => {
            await admission.refuseIfDraining()
            throw toServerError(new NotImplemented({ rpc: method.name }))
          })
    ])
  ) as unknown as CoordinatorServiceImplementation
}
