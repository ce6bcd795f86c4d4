/**
 * bench:chain — the coordinator's chain layers against the localnet over gRPC.
 *
 * 1. Catch-up: a 10,000-checkpoint gap holding 10,000 JobCreatedEvents (1,000 transactions of ten
 *    jobs, the rest empty checkpoints) is replayed from a stored cursor, once on the checkpoint
 *    path (`catchup_checkpoints_per_s`) and once on the filtered-event path (`catchup_events_per_s`).
 * 2. Settlement: 1,000 jobs started and completed under load (agents finishing at random moments,
 *    100 at a time); `settle_tx_per_1000_jobs` counts every settlement transaction (starts and
 *    completions) per 1,000 completed jobs.
 *
 * The localnet runs in a child process (bench/chain-node.ts), like a remote full node; the gap's
 * empty checkpoints are sealed there through its engine (set-up only, not timed).
 */
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { Effect, Layer, Logger, LogLevel, Stream } from "effect"
import { endOf } from "../src/chain/follow.js"
import { createJobs } from "../src/localnet/client.js"
import type { LocalnetManifest } from "../src/localnet/index.js"
import { ChainEvents, type ChainEventsOptions } from "../src/layers/ChainEvents.js"
import { Journal } from "../src/layers/Journal.js"
import { Settlement } from "../src/layers/Settlement.js"
import { SuiClient } from "../src/layers/SuiClient.js"

const EVENTS = Number(process.env["BENCH_EVENTS"] ?? 10_000)
const SETTLE_JOBS = Number(process.env["BENCH_SETTLE_JOBS"] ?? 1_000)
const METHOD = "bench"

const quiet = Logger.minimumLogLevel(LogLevel.Warning)

/** Starts the node process and waits for its gap to be built. */
const startNode = async () => {
  const node = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./chain-node.ts", import.meta.url))], {
    env: { ...process.env, BENCH_METHOD: METHOD },
    stdio: ["pipe", "pipe", "inherit"]
  })
  const line = await new Promise<string>((resolve, reject) => {
    node.once("exit", (code) => reject(new Error(`node process exited with ${code}`)))
    createInterface({ input: node.stdout! }).once("line", resolve)
  })
  const info = JSON.parse(line) as { manifest: LocalnetManifest; start: string; tip: string }
  return { node, manifest: info.manifest, start: BigInt(info.start), tip: BigInt(info.tip) }
}

const main = async () => {
  const t0 = Date.now()
  const { node, manifest, start, tip } = await startNode()
  const net = { manifest }
  try {
    const sui = SuiClient.layerFrom({ url: manifest.grpcUrl, privateKey: manifest.keys.coordinator, packageId: manifest.packageId })
    const gap = Number(tip - start)
    console.error(`gap of ${gap} checkpoints with ${EVENTS} job events built in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

    const catchUp = (options: ChainEventsOptions) =>
      Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const events = yield* ChainEvents
            yield* events.commit({ ...endOf(start), token: null })
            let created = 0
            const began = performance.now()
            yield* events.stream.pipe(
              Stream.tap((item) =>
                Effect.sync(() => {
                  if (item._tag === "Event" && item.event._tag === "JobCreatedEvent") created++
                })
              ),
              Stream.tap(events.commit),
              Stream.takeUntil((item) => item._tag === "Checkpoint" && item.checkpoint >= tip),
              Stream.runDrain
            )
            const secs = (performance.now() - began) / 1000
            return { secs, created, stats: yield* events.stats }
          })
        ).pipe(Effect.provide(Layer.provideMerge(ChainEvents.layer(options), Layer.merge(sui, Journal.layerMemory))), Effect.provide(quiet))
      )

    const cp = await catchUp({ mode: "checkpoints" })
    if (cp.created !== EVENTS) throw new Error(`checkpoint path delivered ${cp.created} of ${EVENTS} events`)
    console.log(`catchup_checkpoints_per_s=${Math.round(gap / cp.secs)}`)
    console.error(`  checkpoint path: ${gap} checkpoints, ${cp.created} events in ${cp.secs.toFixed(2)} s`)
    const fe = await catchUp({ mode: "filtered" })
    if (fe.created !== EVENTS) throw new Error(`filtered path delivered ${fe.created} of ${EVENTS} events`)
    console.log(`catchup_events_per_s=${Math.round(fe.created / fe.secs)}`)
    console.error(`  filtered path: ${fe.created} events over ${gap} checkpoints in ${fe.secs.toFixed(2)} s`)

    // ---- settlement under load ----------------------------------------------------------------
    const { jobSequences } = await createJobs(net.manifest, { count: SETTLE_JOBS, method: METHOD, perTransaction: 50 })
    const settled = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const settlement = yield* Settlement
          const began = performance.now()
          // Dispatch starts jobs in waves as agents ask for work; each agent completes its job later.
          const worker = (seq: bigint) =>
            Effect.gen(function* () {
              yield* Effect.sleep(`${Math.floor(Math.random() * 20)} millis`)
              yield* settlement.complete(net.manifest.appInstanceId, seq)
            })
          const waves: bigint[][] = []
          for (let i = 0; i < jobSequences.length; i += 100) waves.push(jobSequences.slice(i, i + 100))
          yield* Effect.forEach(
            waves,
            (wave) =>
              Effect.gen(function* () {
                const started = yield* settlement.start(net.manifest.appInstanceId, wave)
                yield* Effect.forEach([...started].filter(([, ok]) => ok).map(([s]) => s), worker, { concurrency: "unbounded", discard: true })
              }),
            { concurrency: 4, discard: true }
          )
          yield* settlement.awaitIdle
          const secs = (performance.now() - began) / 1000
          return { stats: yield* settlement.stats, secs }
        })
      ).pipe(Effect.provide(Layer.provideMerge(Settlement.layer(), Layer.merge(sui, Journal.layerMemory))), Effect.provide(quiet))
    )
    const completed = settled.stats.executedOps / 2
    console.log(`settle_tx_per_1000_jobs=${((settled.stats.transactions * 1000) / completed).toFixed(1)}`)
    console.error(
      `  settlement: ${settled.stats.transactions} transactions for ${settled.stats.executedOps} ops (${completed} jobs) in ${settled.secs.toFixed(2)} s`
    )
  } finally {
    node.stdin?.end()
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
