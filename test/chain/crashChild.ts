/**
 * Child process of the crash test: opens the Journal file, hands every job's completion to
 * Settlement, prints ACKED once all are durable, then waits to be killed.
 */
import { Effect, Layer } from "effect"
import { Journal } from "../../src/layers/Journal.js"
import { Settlement } from "../../src/layers/Settlement.js"
import { SuiClient } from "../../src/layers/SuiClient.js"

const env = (name: string): string => {
  const v = process.env[name]
  if (v === undefined) throw new Error(`${name} is not set`)
  return v
}

const app = env("CRASH_APP")
const seqs = env("CRASH_SEQS").split(",").map((s) => BigInt(s))

const layer = Layer.provideMerge(
  Settlement.layer({ lingerMs: 5 }),
  Layer.merge(
    SuiClient.layerFrom({ url: env("CRASH_URL"), privateKey: env("CRASH_KEY"), packageId: env("CRASH_PKG") }),
    Journal.layerFile(env("CRASH_JOURNAL"))
  )
)

const program = Effect.gen(function* () {
  const settlement = yield* Settlement
  yield* Effect.forEach(seqs, (s) => settlement.complete(app, s), { concurrency: "unbounded", discard: true })
  process.stdout.write("ACKED\n")
  return yield* Effect.never
})

Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(layer), Effect.orDie)).catch((e) => {
  process.stderr.write(`${String(e)}\n`)
  process.exit(1)
})
