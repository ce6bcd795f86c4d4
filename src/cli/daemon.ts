/** What `start` runs: the configuration, logging and tracing around the daemon program. */
import { Effect, Layer } from "effect"
import { Config } from "../layers/Config.js"
import { Observability } from "../layers/Observability.js"
import { startDaemon } from "../programs/start.js"

export const runDaemon = startDaemon.pipe(Effect.provide(Layer.provideMerge(Observability.logging, Config.layer)))
