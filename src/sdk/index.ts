/** The Agent SDK: what agent authors import. */
export { AgentClient, type AgentClientOptions, type AgentLogLevel, type Job } from "./AgentClient.js"
export { type AgentEnv, coordinatorAddress, readAgentEnv, socketAddress, tcpAddress } from "./env.js"
export { AgentEnvError, CoordinatorRefused, CoordinatorUnavailable } from "./errors.js"
