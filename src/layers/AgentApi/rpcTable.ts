/**
 * Every RPC of the agent service and the Effect that answers it. The AgentApi layer wraps each one
 * with admission, the signature check and the session binding (AgentApi.ts).
 */
import type { Effect } from "effect"
import type { CoordinatorServiceImplementation } from "../../gen/silvana/coordinator/v1/coordinator.js"
import type { JobStore } from "../JobStore.js"
import type { Reports } from "../Reports.js"
import type { Sessions } from "../Sessions.js"
import * as A from "./appHandlers.js"
import * as B from "./blockHandlers.js"
import type { ApiError } from "./errors.js"
import * as H from "./handlers.js"
import * as I from "./instanceHandlers.js"
import * as P from "./proofHandlers.js"
import type { RateLimiter } from "./rateLimit.js"
import * as S from "./stateHandlers.js"

export type RpcEnv = JobStore | Sessions | Reports

type Impl = CoordinatorServiceImplementation
export type RpcHandlers = {
  readonly [K in keyof Impl]: (req: Parameters<Impl[K]>[0]) => Effect.Effect<Awaited<ReturnType<Impl[K]>>, ApiError, RpcEnv>
}

export const rpcHandlers = (chain: string, logLimiter: RateLimiter): RpcHandlers => ({
  getJob: (req) => H.getJob(req, chain),
  completeJob: H.completeJob,
  failJob: H.failJob,
  terminateJob: H.terminateJob,
  agentMessage: (req) => H.agentMessage(req, logLimiter),
  setKV: A.setKV,
  getKV: A.getKV,
  deleteKV: A.deleteKV,
  addMetadata: A.addMetadata,
  getMetadata: A.getMetadata,
  createAppJob: A.createAppJob,
  submitProof: P.submitProof,
  getProof: P.getProof,
  getBlockProof: P.getBlockProof,
  rejectProof: P.rejectProof,
  readDataAvailability: P.readDataAvailability,
  getSequenceStates: S.getSequenceStates,
  submitState: S.submitState,
  getSettlementProof: S.getSettlementProof,
  submitSettlementProof: S.submitSettlementProof,
  tryCreateBlock: B.tryCreateBlock,
  getBlock: B.getBlock,
  updateBlockStateDataAvailability: B.updateBlockStateDataAvailability,
  updateBlockProofDataAvailability: B.updateBlockProofDataAvailability,
  updateBlockSettlementTxHash: B.updateBlockSettlementTxHash,
  updateBlockSettlementTxIncludedInBlock: B.updateBlockSettlementTxIncludedInBlock,
  getBlockSettlement: B.getBlockSettlement,
  updateBlockSettlement: B.updateBlockSettlement,
  getAppInstance: I.getAppInstance,
  retrieveSecret: I.retrieveSecret,
  proofEvent: I.proofEvent
})
