/**
 * awaitNode — before the daemon builds its chain services: does the Sui node answer? If it does,
 * start at once. If not, say so once, plainly (one WARN line naming the node and the error), keep
 * the operator endpoint up answering 503 (`/ready` is not ready) and try again with a backoff,
 * quietly (DEBUG), until it answers; then one INFO line and the start goes on. Returns the HTTP
 * address to bind: the one the starting listener got, so that port 0 keeps its port.
 */
import { Duration, Effect, Either, Schedule } from "effect"
import { Config, type HostPort } from "../layers/Config.js"
import { startingListener } from "../layers/HttpStarting.js"
import { SuiClient } from "../layers/SuiClient.js"

/** One line of a node error (gRPC errors carry several). */
const describe = (e: unknown): string => {
  const text = e instanceof Error ? e.message : typeof e === "object" && e !== null && "_tag" in e ? String(e._tag) : String(e)
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

export const awaitNode: Effect.Effect<HostPort, unknown, SuiClient | Config> = Effect.gen(function* () {
  const sui = yield* SuiClient
  const config = yield* Config
  const probe = Effect.tryPromise(() => sui.client.core.getReferenceGasPrice()).pipe(Effect.timeout(Duration.seconds(10)))
  const first = yield* Effect.either(probe)
  if (Either.isRight(first)) return config.httpAddress
  let last = describe("error" in first.left ? first.left.error : first.left)
  let attempts = 1
  yield* Effect.logWarning(`the Sui node at ${sui.url} does not answer (${last}); waiting for it, /ready answers 503 until it does`)
  return yield* Effect.scoped(
    Effect.gen(function* () {
      const bound = yield* startingListener(config.httpAddress, () => ({ waitingFor: `the Sui node at ${sui.url}: ${last}`, attempts }))
      yield* probe.pipe(
        Effect.tapError((e) =>
          Effect.sync(() => {
            attempts += 1
            last = describe("error" in e ? e.error : e)
          }).pipe(Effect.zipRight(Effect.logDebug("the Sui node still does not answer", { attempts, error: last })))
        ),
        Effect.retry(Schedule.exponential(Duration.millis(500)).pipe(Schedule.union(Schedule.spaced(Duration.seconds(10))), Schedule.jittered))
      )
      yield* Effect.logInfo(`the Sui node at ${sui.url} answers now; starting`, { attempts })
      return bound
    })
  )
})
