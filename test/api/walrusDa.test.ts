/**
 * SubmitProof / GetProof / ReadDataAvailability with the Walrus backend (a local fake of the
 * Walrus HTTP API), over the real socket against a localnet: the proof goes to the publisher, the
 * chain records its `walrus:` descriptor, reads come from the aggregator checked against it.
 */
import { Layer } from "effect"
import { ClientError, Status } from "nice-grpc"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DataAvailability } from "../../src/layers/DataAvailability.js"
import { makeWalrusStore } from "../../src/layers/dataAvailability/walrus.js"
import { startWalrusFake } from "../layers/walrusFake.js"
import { type AppApiFixture, startAppApi } from "./appFixture.js"

const statusOf = (p: Promise<unknown>) => p.then(() => "OK", (e: unknown) => (e instanceof ClientError ? Status[e.code] : String(e)))

describe("proofs on the Walrus backend", () => {
  let f: AppApiFixture
  let fake: Awaited<ReturnType<typeof startWalrusFake>>
  beforeAll(async () => {
    fake = await startWalrusFake()
    const store = makeWalrusStore({ publisherUrl: fake.url, aggregatorUrl: fake.url, network: "localnet", epochs: 2, maxBytes: 1024 * 1024 })
    f = await startAppApi({ da: Layer.succeed(DataAvailability, store) })
  }, 60_000)
  afterAll(async () => {
    await f?.close()
    await fake?.close()
  })

  it("a proof goes to Walrus, its descriptor on chain, and reads back checked", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const proof = `walrus-proof:${"w".repeat(2048)}`
    const sub = await f.client.submitProof({ sessionId, jobId, blockNumber: 1n, sequences: [31n], mergedSequences1: [], mergedSequences2: [], proof, cpuTime: 1n })
    expect(sub.success).toBe(true)
    expect(sub.daHash).toMatch(/^walrus:localnet:[A-Za-z0-9_-]+:[0-9a-f]{64}$/)
    expect(fake.stores).toEqual([{ epochs: "2", size: Buffer.byteLength(proof) }])
    const before = fake.reads()
    expect(await f.client.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [31n] })).toMatchObject({ success: true, proof })
    expect(fake.reads()).toBe(before + 1)
    expect(await f.client.readDataAvailability({ sessionId, daHash: sub.daHash })).toMatchObject({ success: true, data: proof })
    await f.idle()
    const { proofs } = await (async () => {
      const { decodeProofCalculation } = await import("../../src/chain/appTypes.js")
      const { bcs } = await import("@mysten/sui/bcs")
      const { deriveDynamicFieldID } = await import("@mysten/sui/utils")
      const json = await f.instanceJson()
      const fieldId = deriveDynamicFieldID(json.proof_calculations.id, "0x2::dynamic_object_field::Wrapper<u64>", bcs.u64().serialize(1n).toBytes())
      const field = await f.sui.core.getObject({ objectId: fieldId, include: { json: true } })
      return decodeProofCalculation((await f.sui.core.getObject({ objectId: (field.object.json as { value: string }).value, include: { content: true } })).object.content)
    })()
    expect(proofs.find((p) => p.sequences.join(",") === "31")?.daHash).toBe(sub.daHash)
    // the aggregator answering other bytes is INTERNAL, never those bytes
    fake.tamper()
    expect(await statusOf(f.client.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [31n] }))).toBe("INTERNAL")
    expect(await statusOf(f.client.readDataAvailability({ sessionId, daHash: sub.daHash }))).toBe("INTERNAL")
    fake.tamper()
  })
})
