/**
 * Garbage collection of the data-availability store against a localnet: blobs the chain's
 * ProofCalculations reference stay, old blobs nothing references go, young ones stay, and a
 * reference source that cannot be read deletes nothing.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Either, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DataAvailability } from "../../src/layers/DataAvailability.js"
import { collectUnreferenced, proofReferences } from "../../src/programs/daCollect.js"
import { type AppApiFixture, startAppApi } from "../api/appFixture.js"

describe("DA garbage collection by what the chain references", () => {
  let f: AppApiFixture
  beforeAll(async () => {
    f = await startAppApi()
  }, 60_000)
  afterAll(async () => {
    await f?.close()
  })

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
    const refs = await f.runtime.runPromise(proofReferences(f.net.manifest.appInstanceId))
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
    expect(removed).toBe(1)
    expect(await has(orphan)).toBe(false)
    expect(await has(young)).toBe(true)
    expect(await has(sub.daHash)).toBe(true)
    expect((await f.client.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [41n] })).proof).toBe("kept proof")
  })
})
