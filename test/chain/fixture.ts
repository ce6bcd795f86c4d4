/** Shared set-up of the chain tests: a localnet over real gRPC and the chain layers on top of it. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Effect, Fiber, Layer, Stream } from "effect"
import { type AppInstanceId, normalizeAppInstance } from "../../src/domain/ids.js"
import { createJobs } from "../../src/localnet/client.js"
import { endOf } from "../../src/chain/follow.js"
import { type LocalnetHandle, type LocalnetManifest, type LocalnetOptions, startLocalnet } from "../../src/localnet/index.js"
import { seedAgentMethod } from "../../src/localnet/client.js"
import { ChainEvents, type ChainEventsOptions } from "../../src/layers/ChainEvents.js"
import { Journal } from "../../src/layers/Journal.js"
import { SuiClient } from "../../src/layers/SuiClient.js"
import { waitUntil } from "../support/wait.js"

export const METHOD = "prove"

/** Registers the fixture's agent method (dev / agent / METHOD) on a node. */
export const seedFixtureMethod = (manifest: LocalnetManifest) =>
  seedAgentMethod(manifest, {
    developer: "dev",
    agent: "agent",
    method: METHOD,
    image: "docker.io/example/agent:1",
    memoryGb: 1,
    cpus: 1
  })

/** Starts a localnet on a free port with one seeded agent method. */
export const startNet = async (options: LocalnetOptions = {}): Promise<LocalnetHandle> => {
  const net = await startLocalnet({ port: 0, checkpointMs: "per-transaction", ...options })
  await seedFixtureMethod(net.manifest)
  return net
}

/** A localnet (as `startNet`) for the scope of a test, closed with it. */
export const scopedNet = (options: LocalnetOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => startNet(options)),
    (net) => Effect.promise(() => net.close())
  )

/** A temp dir for the scope of a test, removed with it. */
export const scopedTempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** The localnet a whole file shares: `layer(TestNet.layer())("…", (it) => …)` starts it once. */
export class TestNet extends Context.Tag("test/TestNet")<TestNet, LocalnetHandle>() {
  static readonly layer = (options: LocalnetOptions = {}) => Layer.scoped(TestNet, scopedNet(options))
}

/** SuiClient for the coordinator key of a localnet. */
export const suiLayer = (net: { readonly manifest: LocalnetManifest }) =>
  SuiClient.layerFrom({
    url: net.manifest.grpcUrl.startsWith("http") ? net.manifest.grpcUrl : `http://${net.manifest.grpcUrl}`,
    privateKey: net.manifest.keys.coordinator,
    packageId: net.manifest.packageId,
    registryId: net.manifest.registryId
  })

/** SuiClient + Journal (in memory unless a file is given) + ChainEvents. */
export const eventsLayer = (net: LocalnetHandle, options: ChainEventsOptions, journalFile?: string) => {
  const base = Layer.merge(suiLayer(net), journalFile === undefined ? Journal.layerMemory : Journal.layerFile(journalFile))
  return Layer.provideMerge(ChainEvents.layer(options), base)
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Runs an async function as an Effect (for test bodies mixing both). */
export const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

/** A manifest's `0x…` app instance id as chain events and the journal carry it (decoded by the AppInstanceId schema). */
export const appHex = (id: string): AppInstanceId => normalizeAppInstance(id)

/**
 * Follows the chain from the current tip while `total` jobs are created at random moments and the
 * node drops every subscription `cuts` times; returns what was created and what was delivered.
 */
export const cutWhileCreating = (net: LocalnetHandle, total: number, cuts: number) =>
  Effect.gen(function* () {
    const events = yield* ChainEvents
    // Start right after the current tip (seeding happened before).
    const tip = net.chain.latestCheckpoint().sequenceNumber ?? 0n
    yield* events.commit({ ...endOf(tip), token: null })
    const app = appHex(net.manifest.appInstanceId)
    const seen: bigint[] = []
    const fiber = yield* events.stream.pipe(
      Stream.tap((item) =>
        Effect.sync(() => {
          if (item._tag === "Event" && item.event._tag === "JobCreatedEvent" && item.event.appInstance === app) {
            seen.push(item.event.jobSequence)
          }
        })
      ),
      Stream.tap(events.commit),
      Stream.runDrain,
      Effect.fork
    )
    const { created, cutsDone } = yield* Effect.promise(async () => {
      const created: bigint[] = []
      let producing = true
      let cutsDone = 0
      const cutter = (async () => {
        while (cutsDone < cuts) {
          await sleep(10 + Math.random() * 90)
          if (!producing && cutsDone >= cuts) break
          net.faults.dropSubscriptions()
          cutsDone++
        }
      })()
      let remaining = total
      while (remaining > 0) {
        const n = Math.min(remaining, 1 + Math.floor(Math.random() * 10))
        const r = await createJobs(net.manifest, { count: n, method: METHOD, perTransaction: 1 + Math.floor(Math.random() * 3) })
        created.push(...r.jobSequences)
        remaining -= n
        await sleep(Math.random() * 40)
      }
      producing = false
      await cutter
      return { created, cutsDone }
    })
    // Events arrive in order: once a marker job created after all the others has come through,
    // so has every earlier event, and any duplicate of one.
    const marker = yield* Effect.promise(() => createJobs(net.manifest, { count: 1, method: METHOD }))
    const markerSeq = marker.jobSequences[0]!
    yield* Effect.promise(() => waitUntil("the marker job's event", () => seen.includes(markerSeq), { progress: () => seen.length }))
    yield* Fiber.interrupt(fiber)
    seen.splice(seen.indexOf(markerSeq), 1)
    const stats = yield* events.stats
    return { seen, created, cutsDone, stats }
  })

