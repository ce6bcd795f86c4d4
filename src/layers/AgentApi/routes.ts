/**
 * The CoordinatorService table: which handler answers each RPC of the contract, behind the call's
 * signature check (callAuth.ts), the session-binding check (binding.ts) and admission (admission.ts). RPCs this coordinator does not
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
import type { CallAuth, SignedCall } from "./callAuth.js"
import * as B from "./blockHandlers.js"
import { type ApiError, NotImplemented, toServerError } from "./errors.js"
import type { FastPath, Now } from "./fastPath.js"
import * as H from "./handlers.js"
import * as I from "./instanceHandlers.js"
import * as P from "./proofHandlers.js"
import type { RateLimiter } from "./rateLimit.js"
import type { RequestBytes } from "./requestBytes.js"
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
export type CallContext = { readonly signal: AbortSignal; readonly peer: string; readonly metadata?: { get(name: string): unknown } }
/**
 * The context of one call of one RPC: the nice-grpc context and the RPC's gRPC path. A pair, not
 * a copy of the nice-grpc context with the path added: spreading that object on every call cost
 * more than the rest of the routing.
 */
type RpcContext = { readonly call: CallContext; readonly path: string }

export interface RoutesOptions {
  readonly admission: Admission
  readonly chain: string
  readonly logLimiter: RateLimiter
  /** The AppApi backend is part of the runtime: the job-scoped RPCs are implemented. */
  readonly withApp: boolean
  readonly callAuth: CallAuth
  /** The bytes each request was decoded from (the servers serve `requests.definition`). */
  readonly requests: RequestBytes
  /** GetJob, CompleteJob and FailJob answered synchronously when they can (absent while tracing). */
  readonly fast?: FastPath | undefined
  /** The Effect Clock as a plain function (ms), for the fast path's signature check. */
  readonly now: () => number
}

type Guard = <A>(req: { readonly sessionId: string }, ctx: RpcContext, handler: Effect.Effect<A, ApiError, ApiServices>) => Promise<A>
/** As `Guard`, for an RPC of the fast path: `now` answers it, `slow` when the session's binding must be awaited. */
type GuardNow = <A>(req: { readonly sessionId: string }, ctx: RpcContext, now: () => Now<A>, slow: () => Effect.Effect<A, ApiError, ApiServices>) => A | Promise<A>

/** Each RPC's handler; one answered at once may return its reply itself (nice-grpc awaits either). */
type Table = {
  readonly [K in keyof CoordinatorServiceImplementation]: (
    req: Parameters<CoordinatorServiceImplementation[K]>[0],
    ctx: RpcContext
  ) => ReturnType<CoordinatorServiceImplementation[K]> | Awaited<ReturnType<CoordinatorServiceImplementation[K]>>
}

/** The job loop's three RPCs: through the fast path when there is one. */
const jobLoop = (guarded: Guard, guardedNow: GuardNow, fast: FastPath | undefined, chain: string): Pick<Table, "getJob" | "completeJob" | "failJob"> =>
  fast === undefined
    ? {
        getJob: (req, ctx) => guarded(req, ctx, H.getJob(req, chain)),
        completeJob: (req, ctx) => guarded(req, ctx, H.completeJob(req)),
        failJob: (req, ctx) => guarded(req, ctx, H.failJob(req))
      }
    : {
        getJob: (req, ctx) => guardedNow(req, ctx, () => fast.getJob(req), () => H.getJob(req, chain)),
        completeJob: (req, ctx) => guardedNow(req, ctx, () => fast.completeJob(req), () => H.completeJob(req)),
        failJob: (req, ctx) => guardedNow(req, ctx, () => fast.failJob(req), () => H.failJob(req))
      }

const handlerTable = (guarded: Guard, guardedNow: GuardNow, fast: FastPath | undefined, chain: string, logLimiter: RateLimiter): Table => ({
  ...jobLoop(guarded, guardedNow, fast, chain),
  terminateJob: (req, ctx) => guarded(req, ctx, H.terminateJob(req)),
  agentMessage: (req, ctx) => guarded(req, ctx, H.agentMessage(req, logLimiter)),
  setKV: (req, ctx) => guarded(req, ctx, A.setKV(req)),
  getKV: (req, ctx) => guarded(req, ctx, A.getKV(req)),
  deleteKV: (req, ctx) => guarded(req, ctx, A.deleteKV(req)),
  addMetadata: (req, ctx) => guarded(req, ctx, A.addMetadata(req)),
  getMetadata: (req, ctx) => guarded(req, ctx, A.getMetadata(req)),
  createAppJob: (req, ctx) => guarded(req, ctx, A.createAppJob(req)),
  submitProof: (req, ctx) => guarded(req, ctx, P.submitProof(req)),
  getProof: (req, ctx) => guarded(req, ctx, P.getProof(req)),
  getBlockProof: (req, ctx) => guarded(req, ctx, P.getBlockProof(req)),
  rejectProof: (req, ctx) => guarded(req, ctx, P.rejectProof(req)),
  readDataAvailability: (req, ctx) => guarded(req, ctx, P.readDataAvailability(req)),
  getSequenceStates: (req, ctx) => guarded(req, ctx, S.getSequenceStates(req)),
  submitState: (req, ctx) => guarded(req, ctx, S.submitState(req)),
  getSettlementProof: (req, ctx) => guarded(req, ctx, S.getSettlementProof(req)),
  submitSettlementProof: (req, ctx) => guarded(req, ctx, S.submitSettlementProof(req)),
  tryCreateBlock: (req, ctx) => guarded(req, ctx, B.tryCreateBlock(req)),
  getBlock: (req, ctx) => guarded(req, ctx, B.getBlock(req)),
  updateBlockStateDataAvailability: (req, ctx) => guarded(req, ctx, B.updateBlockStateDataAvailability(req)),
  updateBlockProofDataAvailability: (req, ctx) => guarded(req, ctx, B.updateBlockProofDataAvailability(req)),
  updateBlockSettlementTxHash: (req, ctx) => guarded(req, ctx, B.updateBlockSettlementTxHash(req)),
  updateBlockSettlementTxIncludedInBlock: (req, ctx) => guarded(req, ctx, B.updateBlockSettlementTxIncludedInBlock(req)),
  getBlockSettlement: (req, ctx) => guarded(req, ctx, B.getBlockSettlement(req)),
  updateBlockSettlement: (req, ctx) => guarded(req, ctx, B.updateBlockSettlement(req)),
  getAppInstance: (req, ctx) => guarded(req, ctx, I.getAppInstance(req)),
  retrieveSecret: (req, ctx) => guarded(req, ctx, I.retrieveSecret(req)),
  proofEvent: (req, ctx) => guarded(req, ctx, I.proofEvent(req))
})

const headerText = (ctx: CallContext, name: string): string | undefined => {
  const value = ctx.metadata?.get(name)
  return typeof value === "string" ? value : undefined
}

const withPath = (f: (req: unknown, ctx: RpcContext) => unknown, path: string) => (req: unknown, call: CallContext) => f(req, { call, path })

/**
 * The full service implementation for one listener. Every RPC first checks the call's signature,
 * then that it came from where its session is bound (`transport` says which listener that is),
 * and is timed.
 */
export const coordinatorImplementation = (
  options: RoutesOptions,
  transport: (ctx: CallContext) => Transport
): CoordinatorServiceImplementation => {
  const { admission, callAuth, fast, requests } = options
  const signed = (req: { readonly sessionId: string }, ctx: RpcContext): SignedCall => ({
    path: ctx.path,
    sessionId: req.sessionId,
    request: requests.bytesOf(req),
    header: (name) => headerText(ctx.call, name)
  })
  const bound = <A>(req: { readonly sessionId: string }, ctx: RpcContext, handler: Effect.Effect<A, ApiError, ApiServices>) =>
    Effect.flatMap(H.bindingCheck(req.sessionId, transport(ctx.call)), (refusal) =>
      refusal === undefined ? handler : Effect.succeed({ success: false, message: refusal } as A)
    )
  const guarded: Guard = (req, ctx, handler) => admission.serve(Effect.zipRight(callAuth.check(signed(req, ctx)), bound(req, ctx, handler)), ctx.call.signal)
  const guardedNow: GuardNow = <A>(req: { readonly sessionId: string }, ctx: RpcContext, now: () => Now<A>, slow: () => Effect.Effect<A, ApiError, ApiServices>) =>
    admission.serveNow((): Now<A> => {
      const refused = callAuth.checkNow(signed(req, ctx), options.now())
      if (refused !== undefined) return Effect.fail(refused)
      const binding = fast!.bindingNow(req.sessionId, transport(ctx.call))
      if (binding === "waiting") return bound(req, ctx, slow())
      if (binding !== undefined) return Effect.as(H.bindingRefused(req.sessionId), { success: false, message: binding } as A)
      return now()
    }, ctx.call.signal)
  const core = handlerTable(guarded, guardedNow, fast, options.chain, options.logLimiter)
  const implemented = (key: string) => CORE_RPCS.has(key) || (options.withApp && APP_RPCS.has(key))
  return Object.fromEntries(
    Object.entries(CoordinatorServiceDefinition.methods).map(([key, method]) => [
      key,
      Metrics.timedRpc(method.name, implemented(key)
        ? withPath(core[key as keyof CoordinatorServiceImplementation] as (req: unknown, ctx: RpcContext) => unknown, requests.pathOf(key))
        : async () => {
            await admission.refuseIfDraining()
            throw toServerError(new NotImplemented({ rpc: method.name }))
          })
    ])
  ) as unknown as CoordinatorServiceImplementation
}
