/** The library surface of the Silvana Coordinator. */

// Agent SDK — for agent authors.
export * from "./sdk/index.js"

// Agent runtimes — run agents as Docker containers or local processes.
export * from "./layers/AgentRuntime.js"
export { bridgeGateway, dockerLayer, type DockerRuntimeOptions, makeDockerRuntime } from "./layers/runtime/docker.js"
export {
  defaultProcessCommands,
  makeProcessRuntime,
  parseProcessCommands,
  type ProcessCommand,
  type ProcessCommands,
  processLayer,
  type ProcessRuntimeOptions
} from "./layers/runtime/process.js"

// The daemon's services — compose them into your own Effect program (see docs/architecture.md).
export { Config, type CoordinatorConfig, coordinatorConfig, formatConfigError, parseHostPort } from "./layers/Config.js"
export { JobStore, type JobStoreService, JobTable, makeJobStore } from "./layers/JobStore.js"
export { type Session, Sessions, type SessionsService } from "./layers/Sessions.js"
export { MemoryReports, Reports, type ReportsService } from "./layers/Reports.js"
export { AgentApi, type AgentApiOptions, type AgentApiService } from "./layers/AgentApi.js"
export { AgentSlots, type AgentSlotsService, makeAgentSlots } from "./layers/AgentSlots.js"
export { AppApi, type AppApiService } from "./layers/AppApi.js"
export { AppChain, type AppChainService } from "./layers/AppChain.js"
export { ChainEvents, type ChainEventsOptions, type ChainEventsService, ChainFollowerStopped, type ChainItem } from "./layers/ChainEvents.js"
export { ChainState, ChainStateError, type ChainStateService } from "./layers/ChainState.js"
export { DataAvailability, type DataAvailabilityService } from "./layers/DataAvailability.js"
export { Journal, JournalError, type JournalService } from "./layers/Journal.js"
export { Registry, RegistryError, type RegistryService } from "./layers/Registry.js"
export { Settlement, SettlementError, type SettlementOptions, type SettlementService } from "./layers/Settlement.js"
export { StatusFeed, type StatusFeedService } from "./layers/StatusFeed.js"
export { StatusPage, type StatusPageService } from "./layers/StatusPage.js"
export { SuiClient, SuiClientError, type SuiClientService, type SuiClientSettings } from "./layers/SuiClient.js"
export { agentRuntimeLayer } from "./layers/runtime/index.js"

// The whole daemon as layers and a program, for embedding it in another Effect app.
export {
  ChainLive,
  coordinator,
  coordinatorLayer,
  type CoordinatorOptions,
  coordinatorProgram,
  type CoordinatorServices,
  CoordinatorLive
} from "./programs/coordinator.js"

// Operating it: health, HTTP endpoint, metrics, logs, traces.
export { type Check, type CheckResult, Health, type HealthReport, type HealthService, registerStandardChecks } from "./layers/Health.js"
export { HttpApi, type HttpApiService } from "./layers/HttpApi.js"
export * as Metrics from "./layers/Metrics.js"
export { jsonLogger, Observability, prettyLogger } from "./layers/Observability.js"
export { Tracing } from "./layers/Tracing.js"
