/**
 * Observability — logging for the daemon: JSON lines for machines, pretty lines on a terminal,
 * at the level Config asks for.
 */
import { Effect, Layer, Logger } from "effect"
import { Config } from "./Config.js"

export class Observability {
  /** JSON logs unless stdout is a terminal; minimum level from `LOG_LEVEL`. */
  static readonly logging = Layer.unwrapEffect(
    Effect.map(Config, (c) =>
      Layer.mergeAll(
        process.stdout.isTTY === true ? Logger.pretty : Logger.json,
        Logger.minimumLogLevel(c.logLevel)
      )
    )
  )
}
