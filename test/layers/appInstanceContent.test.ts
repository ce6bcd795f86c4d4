/**
 * The coordinator reads an AppInstance as BCS, decoded with the one layout of chain/moveTypes.ts.
 * On the localnet, over real gRPC, an instance with methods, a settlement chain, sequences and
 * pending jobs parses to the same fields from its BCS `content` as from the node's `json`
 * rendering of it — for both readers (AppChain's fields and ChainState's reconciliation view).
 * AppChain decodes an instance once per version: unchanged reads share it, a changed one is new.
 */
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import { Effect, Layer, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeMove } from "../../src/chain/moveLayout.js"
import { AppInstanceLayout } from "../../src/chain/moveTypes.js"
import { AppChain, parseInstanceFields } from "../../src/layers/AppChain.js"
import { parseAppInstance } from "../../src/layers/ChainState.js"
import { openClient } from "../../src/localnet/client.js"
import { type LocalnetHandle, startLocalnet } from "../../src/localnet/index.js"
import { suiLayer } from "../chain/fixture.js"
import { createPipelineInstance, demoAdder, seedPipeline } from "../../src/localnet/pipelineDemo.js"

let localnet: LocalnetHandle
let client: SuiGrpcClient
let closeClient: (() => void) | undefined

beforeAll(async () => {
  localnet = await startLocalnet({ port: 0, checkpointMs: 50 })
  await seedPipeline(localnet.manifest, { blockIntervalMs: 1_000 })
  const opened = openClient(localnet.manifest.grpcUrl)
  client = opened.client
  closeClient = opened.close
}, 60_000)

afterAll(async () => {
  closeClient?.()
  await localnet?.close()
})

const both = async (id: string) => {
  const { object } = await client.core.getObject({ objectId: id, include: { json: true, content: true } })
  return { object, json: object.json as Record<string, unknown>, decoded: decodeMove(AppInstanceLayout, object.content) as Record<string, unknown> }
}

describe("AppInstance read as BCS", () => {
  it("parses to the same fields as the node's json rendering, with methods, a settlement, sequences and pending jobs", async () => {
    const id = await createPipelineInstance(localnet.manifest, { blockIntervalMs: 1_000 })
    const adder = demoAdder(localnet.manifest)
    try {
      // each action is a sequence and a pending prove job
      await adder.add(id, [3n, 4n, 5n])
    } finally {
      adder.close()
    }
    const { object, json, decoded } = await both(id)
    const fromJson = parseInstanceFields(id, json)
    const fromBcs = parseInstanceFields(id, decoded)
    expect(fromBcs).toEqual(fromJson)
    // the instance is not a trivial one
    expect(fromBcs.sequence).toBe(4n)
    expect(fromBcs.methods.size).toBeGreaterThanOrEqual(3)
    expect(fromBcs.settlements.length).toBe(1)
    const version = BigInt(object.version)
    const infoJson = parseAppInstance(id, version, Option.none(), json)
    const infoBcs = parseAppInstance(id, version, Option.none(), decoded)
    expect(infoBcs).toEqual(infoJson)
    expect(infoBcs.pendingJobs.length).toBe(3)
    expect(infoBcs.nextJobSequence).toBeGreaterThan(3n)
  })
})

describe("AppChain's instance reads", () => {
  it("share one decoding while the instance is unchanged and decode it anew once it changes", async () => {
    const id = await createPipelineInstance(localnet.manifest, { blockIntervalMs: 1_000 })
    const layer = AppChain.layer.pipe(Layer.provide(suiLayer(localnet)))
    const adder = demoAdder(localnet.manifest)
    try {
      await Effect.runPromise(
        Effect.gen(function* () {
          const chain = yield* AppChain
          const first = yield* chain.instance(id)
          const again = yield* chain.instance(id)
          // the same version: the same decoded fields, not a second decoding of them
          expect(again).toBe(first)
          yield* Effect.promise(() => adder.add(id, [7n]))
          const changed = yield* chain.instance(id)
          expect(changed).not.toBe(first)
          expect(changed.sequence).toBeGreaterThan(first.sequence)
          // what the cache answers is what a fresh decoding of the node's content gives
          const { decoded } = yield* Effect.promise(() => both(id))
          expect(changed).toEqual(parseInstanceFields(id, decoded))
        }).pipe(Effect.provide(layer), Effect.scoped)
      )
    } finally {
      adder.close()
    }
  })
})
