/**
 * `sui.rpc.v2.TransactionExecutionService`: ExecuteTransaction and SimulateTransaction, with the
 * injected execution faults, each answered with the status and text a full node uses for it
 * (see status.ts for the mapping and its sources in the Sui code).
 */
import { GrpcTypes } from "@mysten/sui/grpc"
import type { ServerContext } from "./context.js"
import { checkMask } from "./masks.js"
import { encodeMasked, maskWith } from "./encode.js"
import { maskOf } from "./readMask.js"
import type { ServiceHandlers } from "./rpc.js"
import { invalidArgument, RpcStatusError, Status, toStatusError } from "./status.js"

const EXECUTE_DEFAULT_MASK = ["effects.status", "checkpoint"]
const SIMULATE_DEFAULT_MASK = ["transaction", "command_outputs", "suggested_gas_price"]

const transactionOf = (tx: GrpcTypes.Transaction | undefined): Uint8Array | GrpcTypes.Transaction => {
  if (tx === undefined) throw invalidArgument("missing transaction")
  return tx.bcs?.value !== undefined && tx.bcs.value.length > 0 ? tx.bcs.value : tx
}

export const executionHandlers = (ctx: ServerContext): ServiceHandlers => {
  const chain = ctx.chain

  const injectedFailure = (tx: Uint8Array | GrpcTypes.Transaction): RpcStatusError | undefined => {
    const f = ctx.faults.failNext
    if (f.count <= 0) return undefined
    f.count--
    // crates/sui-rpc-api/src/error.rs, `SystemOverload`: UNAVAILABLE "system is overloaded"
    if (f.kind === "unavailable") return new RpcStatusError(Status.UNAVAILABLE, "system is overloaded")
    return toStatusError(chain.faultRejection(tx, f.kind))
  }

  return {
    ExecuteTransaction: async (req: GrpcTypes.ExecuteTransactionRequest): Promise<Uint8Array> => {
      const mask = maskOf(req.readMask, EXECUTE_DEFAULT_MASK)
      checkMask(GrpcTypes.ExecutedTransaction, mask)
      const tx = transactionOf(req.transaction)
      if (req.signatures.length === 0) throw invalidArgument("missing signatures")
      const hold = ctx.faults.hold
      if (hold !== undefined) {
        hold.waiting++
        await hold.released.finally(() => hold.waiting--)
      }
      const failure = injectedFailure(tx)
      if (failure !== undefined) throw failure
      const executed = await chain.executeAsync(tx, req.signatures)
      ctx.onExecuted()
      // In per-transaction mode the checkpoint is sealed by now; answer with its number then.
      const latest = executed.digest !== undefined ? (chain.getTransaction(executed.digest) ?? executed) : executed
      return encodeMasked(GrpcTypes.ExecuteTransactionResponse, { transaction: latest }, maskWith("transaction", mask))
    },

    SimulateTransaction: (req: GrpcTypes.SimulateTransactionRequest): Uint8Array => {
      const mask = maskOf(req.readMask, SIMULATE_DEFAULT_MASK)
      checkMask(GrpcTypes.SimulateTransactionResponse, mask)
      const checks = req.checks !== GrpcTypes.SimulateTransactionRequest_TransactionChecks.DISABLED
      let result: ReturnType<typeof chain.simulate>
      try {
        result = chain.simulate(transactionOf(req.transaction), { checks, doGasSelection: checks && req.doGasSelection === true })
      } catch (e) {
        throw toStatusError(e, "simulate")
      }
      const response: GrpcTypes.SimulateTransactionResponse = {
        transaction: result.transaction,
        commandOutputs: result.commandOutputs,
        suggestedGasPrice: chain.referenceGasPrice()
      }
      return encodeMasked(GrpcTypes.SimulateTransactionResponse, response, mask)
    }
  }
}
