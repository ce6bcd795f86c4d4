/**
 * The embedded demo's proving pipeline (localnet only): an instance of the demo app `demo_add`
 * whose actions each take a sequence and create a prove job, served by the pipeline example
 * agent (prove, merge, settle to a file ledger), with a localnet-only block interval of a few
 * seconds and a trickle of actions — so `npm start` shows actions, blocks, proofs, merges and
 * settlements on the status page and in `status`. The instance is created once and reused by
 * later starts on the same embedded state.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Duration, Effect, Schedule } from "effect"
import type { ManifestLike } from "../localnet/client.js"
import { seedAgentMethod } from "../localnet/client.js"
import { createPipelineInstance, demoAdder, PIPELINE } from "../localnet/pipelineDemo.js"
import { unlessBacklogged } from "./demo.js"

/** The demo's `min_time_between_blocks` (localnet only: the deployed package refuses under 60 s). */
export const DEMO_BLOCK_INTERVAL_MS = 5_000

const failed = (what: string) => (e: unknown) => new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`)

/** The pipeline instance of this embedded chain (created on first use, its id kept in `stateDir`). */
export const seedDemoPipeline = (manifest: ManifestLike, stateDir: string) =>
  Effect.tryPromise({
    try: async () => {
      const file = path.join(stateDir, "pipeline-demo-instance")
      const known = existsSync(file) ? readFileSync(file, "utf8").trim() : ""
      const instance = known !== "" ? known : await createPipelineInstance(manifest, { blockIntervalMs: DEMO_BLOCK_INTERVAL_MS })
      // the registry's developer/agent/methods (the instance maps its methods already)
      for (const method of PIPELINE.methods) {
        await seedAgentMethod({ ...manifest, appInstanceId: instance }, { developer: PIPELINE.developer, agent: PIPELINE.agent, method, image: PIPELINE.image, memoryGb: 0, cpus: 0 })
      }
      if (known === "") writeFileSync(file, `${instance}\n`, { mode: 0o600 })
      return instance
    },
    catch: failed("seeding the demo pipeline failed")
  })

/**
 * `perRound` demo actions (`demo_add::add`) on `instance` every `every`, until interrupted; a round
 * waits while the instance has `DEMO_BACKLOG` jobs open (proofs, merges, settlement), so a busy
 * machine shows blocks going through rather than a queue of actions growing without end.
 */
export const demoActions = (manifest: ManifestLike, instance: string, perRound = 3, every: Duration.DurationInput = "2 seconds") =>
  Effect.acquireRelease(
    Effect.sync(() => demoAdder(manifest)),
    (a) => Effect.sync(() => a.close())
  ).pipe(
    Effect.flatMap((adder) => {
      let next = 1n
      const round = Effect.tryPromise({
        try: () => adder.add(instance, Array.from({ length: perRound }, () => next++)),
        catch: failed("sending demo actions failed")
      })
      return unlessBacklogged(instance, round).pipe(
        Effect.catchAll((e) => Effect.logWarning(e.message)),
        Effect.repeat(Schedule.spaced(every))
      )
    }),
    Effect.scoped,
    Effect.asVoid
  )
