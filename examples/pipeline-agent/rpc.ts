/**
 * The job-scoped RPCs of the proving pipeline the Agent SDK does not wrap (yet), over a plain
 * nice-grpc client of the generated service: sequence states, blocks, the app instance and block
 * settlements. Refusals (`success=false`) throw with the coordinator's message.
 */
import { createChannel, createClientFactory } from "nice-grpc"
import { CoordinatorServiceDefinition, type SequenceState } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { type AgentEnv, sessionSigner, signingMiddleware } from "../../src/sdk/index.js"

export type { SequenceState }

const ok = <R extends { success: boolean; message: string }>(rpc: string, r: R): R => {
  if (!r.success) throw new Error(`${rpc} refused: ${r.message}`)
  return r
}

export const pipelineRpc = (env: AgentEnv) => {
  const channel = createChannel(env.address)
  // signed like the SDK's own calls, so the agent also works with SESSION_AUTH=strict
  const factory = env.sessionPrivateKey === undefined ? createClientFactory() : createClientFactory().use(signingMiddleware(sessionSigner(env.sessionPrivateKey, env.callProof)))
  const c = factory.create(CoordinatorServiceDefinition, channel)
  const ids = (jobId: string) => ({ jobId, sessionId: env.sessionId })
  return {
    sequenceStates: async (jobId: string, sequence: bigint) => ok("GetSequenceStates", await c.getSequenceStates({ ...ids(jobId), sequence })).states,
    submitState: async (jobId: string, sequence: bigint, state: Uint8Array, serialized: string) =>
      ok("SubmitState", await c.submitState({ ...ids(jobId), sequence, newStateData: Buffer.from(state), serializedState: serialized })).txHash,
    block: async (jobId: string, blockNumber: bigint) => ok("GetBlock", await c.getBlock({ ...ids(jobId), blockNumber })).block,
    appInstance: async (jobId: string) => ok("GetAppInstance", await c.getAppInstance(ids(jobId))).appInstance,
    settlementTxHash: async (jobId: string, blockNumber: bigint, chain: string, settlementTxHash: string) =>
      ok("UpdateBlockSettlementTxHash", await c.updateBlockSettlementTxHash({ ...ids(jobId), blockNumber, chain, settlementTxHash })).txHash,
    settlementIncluded: async (jobId: string, blockNumber: bigint, chain: string, settledAt: bigint) =>
      ok("UpdateBlockSettlementTxIncludedInBlock", await c.updateBlockSettlementTxIncludedInBlock({ ...ids(jobId), blockNumber, chain, settledAt })).txHash,
    close: () => channel.close()
  }
}

export type PipelineRpc = ReturnType<typeof pipelineRpc>
