/**
 * demo — what `npm start` runs with no `SUI_RPC_URL`: an embedded localnet, a demo app whose
 * method is served by the bundled `add` example agent, and a steady trickle of demo jobs, so a
 * newcomer sees the whole loop (chain event → agent → settlement) with one command.
 */
import * as path from "node:path"
import { Duration, Effect, Option, Redacted, Schedule } from "effect"
import { createJobs, type ManifestLike, seedAgentMethod } from "../localnet/client.js"
import type { LocalnetOptions } from "../localnet/index.js"
import type { CoordinatorConfig } from "../layers/Config.js"
import { normalizeAppInstance } from "../domain/ids.js"
import type { JobState } from "../domain/job.js"
import { JobStore } from "../layers/JobStore.js"
import { DEMO } from "./demoApp.js"

export { DEMO }

/**
 * Checkpoints the demo's node keeps: 240 at 250 ms is a minute of history, far more than the
 * coordinator beside it lags (both stop and start together). Older checkpoints and their
 * transactions are pruned, so the state under STATE_DIR/embedded stays a few MB however long the
 * demo runs (`scripts/demo-state.ts` measures it).
 */
export const DEMO_RETAIN_CHECKPOINTS = 240

/** The embedded localnet of the demo: checkpoints every 250 ms as on mainnet, state kept in STATE_DIR. */
export const demoLocalnetOptions = (stateDir: string): LocalnetOptions => ({
  port: 0,
  checkpointMs: 250,
  stateFile: path.join(stateDir, "embedded", "localnet.json"),
  retainCheckpoints: DEMO_RETAIN_CHECKPOINTS
})

/** The config of a coordinator running against the embedded localnet's manifest. */
export const configForLocalnet = (
  base: CoordinatorConfig,
  manifest: ManifestLike & {
    readonly appInstanceId: string
    readonly chainId: string
    readonly keys: { readonly coordinator: string }
  }
): CoordinatorConfig => ({
  ...base,
  suiRpcUrl: Option.some(manifest.grpcUrl),
  suiChain: "localnet",
  suiPrivateKey: Option.some(Redacted.make(manifest.keys.coordinator)),
  suiAddress: Option.none(),
  registryPackage: Option.some(manifest.packageId),
  registry: Option.some(manifest.registryId),
  appInstances: [manifest.appInstanceId],
  // A fresh localnet is a new chain: its journal lives beside it, keyed by chain id.
  stateDir: path.join(base.stateDir, "embedded", manifest.chainId)
})

/** Registers the demo developer/agent/method (idempotent). */
export const seedDemo = (manifest: ManifestLike) =>
  Effect.tryPromise({
    try: () => seedAgentMethod(manifest, { ...DEMO, memoryGb: 0, cpus: 0 }),
    catch: (e) => new Error(`seeding the demo app failed: ${(e as Error).message}`)
  }).pipe(Effect.retry(Schedule.exponential("200 millis").pipe(Schedule.upTo("20 seconds"))))

/**
 * Jobs of one demo instance the store may hold open (pending, being started, started or held)
 * before the demo's next round waits. The demo creates work at a fixed pace; on a machine too busy
 * to keep up, an unbounded backlog would grow for as long as the daemon runs and bury what the
 * demo is there to show (a job, or an action, going through in seconds).
 */
export const DEMO_BACKLOG = 40

const OPEN: ReadonlySet<JobState> = new Set(["pending", "starting", "started", "held"])

/** Runs `round` unless `instance` already has `DEMO_BACKLOG` jobs open in the store. */
export const unlessBacklogged = <A, E, R>(instance: string, round: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const store = yield* JobStore
    const jobs = yield* store.byInstance(normalizeAppInstance(instance))
    let open = 0
    for (const j of jobs) if (OPEN.has(j.state)) open += 1
    if (open < DEMO_BACKLOG) yield* round
  })

/**
 * Creates `perRound` demo jobs every `every` (a round waits while the demo instance has
 * `DEMO_BACKLOG` jobs open); about one in twenty holds bad data, so the failure
 * path (FailJob → on-chain retry → Failed) shows too.
 */
export const demoJobs = (manifest: ManifestLike, perRound = 5, every: Duration.DurationInput = "2 seconds") => {
  let n = 0
  const round = Effect.tryPromise({
    try: () =>
      createJobs(manifest, {
        count: perRound,
        method: DEMO.method,
        perTransaction: perRound,
        data: () => {
          n += 1
          const text = n % 20 === 0 ? `[${n}, not-a-number]` : `[${n}, ${n * 2}, ${n * 3}]`
          return new TextEncoder().encode(text)
        }
      }),
    catch: (e) => new Error(`creating demo jobs failed: ${(e as Error).message}`)
  })
  return unlessBacklogged(manifest.appInstanceId, round).pipe(
    Effect.catchAll((e) => Effect.logWarning(e.message)),
    Effect.repeat(Schedule.spaced(every)),
    Effect.asVoid
  )
}
