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
