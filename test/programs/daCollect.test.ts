/**
 * Garbage collection of the data-availability store against a localnet: blobs the chain's
 * ProofCalculations reference stay, old blobs nothing references go, young ones stay, and a
 * reference source that cannot be read deletes nothing.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Either, Fiber, Metric, Option } from "effect"
import { describe, expect, it } from "vitest"
import { normalizeAppInstance } from "../../src/domain/ids.js"
import { DataAvailability } from "../../src/layers/DataAvailability.js"
import { Config } from "../../src/layers/Config.js"
import { collectUnreferenced, daCollectProgram, proofReferences } from "../../src/programs/daCollect.js"
import { waitUntil } from "../support/wait.js"
import { appApiForSuite } from "../api/appSuite.js"

describe("DA garbage collection by what the chain references", () => {
  const f = appApiForSuite()

  const fileOf = (d: string) => {
    const hash = d.split(":")[2]!
    return path.join(f.dir, "da", hash.slice(0, 2), hash)
  }
  const age = (d: string, hours: number) => {
    const t = new Date(Date.now() - hours * 3_600_000)
    fs.utimesSync(fileOf(d), t, t)
  }
  const put = (text: string) => f.runtime.runPromise(Effect.flatMap(DataAvailability, (da) => da.put(Buffer.from(text))))
  const has = (d: string) => f.runtime.runPromise(Effect.flatMap(DataAvailability, (da) => da.get(d))).then(Option.isSome)

  it("keeps what ProofCalculations reference and young blobs; deletes old unreferenced ones", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const sub = await f.client.submitProof({ sessionId, jobId, blockNumber: 1n, sequences: [41n], mergedSequences1: [], mergedSequences2: [], proof: "kept proof", cpuTime: 1n })
    await f.idle()
    const refs = await f.runtime.runPromise(proofReferences(normalizeAppInstance(f.net.manifest.appInstanceId)))
    expect(refs).toContain(sub.daHash)
    const orphan = await put("nobody references me")
    const young = await put("too young to collect")
    age(sub.daHash, 5)
    age(orphan, 5)

    // a source that fails: the round stops, nothing is deleted
    const failing = () => Effect.fail("node unreachable")
    const broken = await f.runtime.runPromise(Effect.either(collectUnreferenced({ appInstances: [f.net.manifest.appInstanceId], sources: [proofReferences, failing] })))
    expect(Either.isLeft(broken)).toBe(true)
    expect(await has(orphan)).toBe(true)

    const removed = await f.runtime.runPromise(collectUnreferenced({ appInstances: [f.net.manifest.appInstanceId] }))
    expect(removed).toMatchObject({ blobs: 1, bytes: "nobody references me".length })
    expect(await has(orphan)).toBe(false)
    expect(await has(young)).toBe(true)
    expect(await has(sub.daHash)).toBe(true)
    expect((await f.client.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [41n] })).proof).toBe("kept proof")
  })

  /** A counter of the metrics registry by name (0 before its first increment). */
  const counter = (name: string) =>
    f.runtime.runPromise(Metric.snapshot).then((all) => {
      const pair = all.find((p) => p.metricKey.name === name)
      return pair === undefined ? 0 : Number((pair.metricState as unknown as { count: number | bigint }).count)
    })

  it("runs in the daemon on a timer: an unreferenced blob is collected (counted), a referenced one never is", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const sub = await f.client.submitProof({ sessionId, jobId, blockNumber: 1n, sequences: [42n], mergedSequences1: [], mergedSequences2: [], proof: "referenced proof", cpuTime: 1n })
    expect(sub.success).toBe(true)
    await f.idle()
    const orphan = await put("an orphan the timer finds")
    const blobs0 = await counter("silvana_da_collected_blobs_total")
    const bytes0 = await counter("silvana_da_collected_bytes_total")
    const rounds0 = await counter("silvana_da_collections_total")
    const program = daCollectProgram({ everyMs: 20, minAgeMs: 0 }).pipe(
      Effect.provide(Config.layerFromEnv({ SILVANA_APP_INSTANCES: f.net.manifest.appInstanceId }))
    )
    const fiber = f.runtime.runFork(program)
    try {
      await waitUntil("the orphan is collected", async () => !(await has(orphan)))
      // several more rounds: the referenced proof stays through every one
      const rounds = await counter("silvana_da_collections_total")
      await waitUntil("three more collections", async () => (await counter("silvana_da_collections_total")) >= rounds + 3)
      expect(rounds).toBeGreaterThan(rounds0)
      expect(await has(sub.daHash)).toBe(true)
      expect((await f.client.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [42n] })).proof).toBe("referenced proof")
      // the orphan, and the first test's young blob (no minimum age here)
      expect((await counter("silvana_da_collected_blobs_total")) - blobs0).toBe(2)
      expect((await counter("silvana_da_collected_bytes_total")) - bytes0).toBe("an orphan the timer finds".length + "too young to collect".length)
      expect(await counter("silvana_da_collection_failures_total")).toBe(0)
    } finally {
      await f.runtime.runPromise(Fiber.interrupt(fiber))
    }
  })
})
