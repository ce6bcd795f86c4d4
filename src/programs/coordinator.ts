/**
 * coordinator — the daemon as one scoped program: every service acquired in one scope, running
 * until interrupted (SIGINT/SIGTERM through `NodeRuntime.runMain`), then released in reverse order
 * (the agent API drains before it closes).
 */
import { Effect, Layer } from "effect"
import { AgentApi } from "../layers/AgentApi.js"
import { Config } from "../layers/Config.js"
import { JobStore } from "../layers/JobStore.js"
import { Reports } from "../layers/Reports.js"
import { Sessions } from "../layers/Sessions.js"

/** The agent API over an in-memory store: the daemon until the chain side is wired in. */
export const ApiLive = AgentApi.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(Sessions.layer, Reports.layerMemory)),
  Layer.provideMerge(JobStore.layer)
)

export const coordinator = Effect.gen(function* () {
  const config = yield* Config
  const api = yield* AgentApi
  yield* Effect.logInfo("coordinator started", {
    chain: config.suiChain,
    socket: api.socketPath,
    tcp: `${api.tcp.host}:${api.tcp.port}`
  })
  return yield* Effect.never
}).pipe(Effect.provide(ApiLive))
