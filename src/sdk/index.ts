/** The Agent SDK: what agent authors import. */
export {
  AgentClient, type AgentClientOptions, type AgentLogLevel, type AppInstanceData, type Block, type BlockSettlement, type Job, type Metadata, type NewAppJob,
  type ProofEventReport, type ProofSubmission, type SequenceState, type SettlementUpdate
} from "./AgentClient.js"
export { type AgentEnv, coordinatorAddress, readAgentEnv, socketAddress, tcpAddress } from "./env.js"
export { AgentEnvError, CoordinatorRefused, CoordinatorUnavailable } from "./errors.js"
export { type CallSigner, sessionSigner, signingMiddleware } from "./signing.js"
export { serveJobs, type ServeJobsOptions } from "./serveJobs.js"
