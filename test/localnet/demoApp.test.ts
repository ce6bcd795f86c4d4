/**
 * The pipeline demo's app module on the localnet: `demo_add::add` records each action as a
 * sequence (new sum as optimistic state, value as transition data) and creates its prove job in
 * the block the sequence falls in; the localnet-only `set_min_time_between_blocks` lets blocks
 * close sooner, for the admin only.
 */
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeSequenceState } from "../../src/chain/blockTypes.js"
import { JobCreatedEvent } from "../../src/chain/moveTypes.js"
import { makeSuiClient } from "../../src/localnet/client.js"
import { startLocalnet, type LocalnetHandle } from "../../src/localnet/index.js"
import { createPipelineInstance, demoAdd, seedPipeline, setMinTimeBetweenBlocks } from "../../src/localnet/pipelineDemo.js"
import { bcs } from "@mysten/sui/bcs"
import { deriveDynamicFieldID } from "@mysten/sui/utils"

let net: LocalnetHandle
let client: SuiGrpcClient
const U64_KEY = "0x2::dynamic_object_field::Wrapper<u64>"
const u64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)

const instance = async (id: string): Promise<any> => (await client.core.getObject({ objectId: id, include: { json: true } })).object.json
const sequenceState = async (id: string, seq: bigint) => {
  const table = (await instance(id)).sequence_state_manager.sequence_states.id
  const { objects } = await client.core.getObjects({ objectIds: [deriveDynamicFieldID(table, U64_KEY, bcs.u64().serialize(seq).toBytes())], include: { json: true } })
  const f = objects[0]!
  if (f instanceof Error) return undefined
  return decodeSequenceState((await client.core.getObject({ objectId: (f.json as { value: string }).value, include: { content: true } })).object.content)
}

describe("demo app on the localnet", () => {
  beforeAll(async () => {
    net = await startLocalnet({ port: 0, checkpointMs: "per-transaction" })
    client = makeSuiClient(net.manifest.grpcUrl)
    await seedPipeline(net.manifest)
  }, 30_000)
  afterAll(async () => {
    await net?.close()
  })

  it("add records sequences with the running sum and creates one prove job per sequence in its block", async () => {
    const ai = net.manifest.appInstanceId
    const r = await demoAdd(net.manifest, ai, [5n, 7n, 11n])
    const jobs = (r.events ?? []).filter((e) => e.eventType.endsWith("::JobCreatedEvent")).map((e) => JobCreatedEvent.parse(e.bcs))
    expect(jobs.map((j) => [j.app_instance_method, j.block_number, j.sequences])).toEqual([
      ["prove", "1", ["1"]], ["prove", "1", ["2"]], ["prove", "1", ["3"]]
    ])
    const json = await instance(ai)
    expect(json.sequence).toBe("4")
    expect(json.block_number).toBe("1")
    const s3 = (await sequenceState(ai, 3n))!
    expect(u64(s3.optimisticState)).toBe(23n)
    expect(u64(s3.transitionData)).toBe(11n)
    expect(u64((await sequenceState(ai, 0n))!.optimisticState)).toBe(0n)
  })

  it("with a short min_time_between_blocks an action closes the open block, and its job names the closed block", async () => {
    const ai = await createPipelineInstance(net.manifest, { blockIntervalMs: 1 })
    await demoAdd(net.manifest, ai, [1n])
    await new Promise((r) => setTimeout(r, 5))
    const r = await demoAdd(net.manifest, ai, [2n])
    const created = (r.events ?? []).find((e) => e.eventType.endsWith("::BlockCreatedEvent"))
    expect(created).toBeDefined()
    const job = (r.events ?? []).filter((e) => e.eventType.endsWith("::JobCreatedEvent")).map((e) => JobCreatedEvent.parse(e.bcs))[0]!
    // each action came after the interval: it closed the block it fell in (1 for sequence 1, 2 for 2)
    expect([job.block_number, job.sequences]).toEqual(["2", ["2"]])
    expect((await instance(ai)).block_number).toBe("3")
    expect((await instance(ai)).settlements.contents[0].key).toBe("ledger")
  })

  it("only the admin may lower min_time_between_blocks", async () => {
    const other = { ...net.manifest, keys: { ...net.manifest.keys, admin: net.manifest.keys.coordinator } }
    await expect(setMinTimeBetweenBlocks(other, net.manifest.appInstanceId, 1)).rejects.toThrow()
  })
})
