/**
 * AppChain's reads of ObjectTable entries on a localnet: the first read of an entry goes through
 * its dynamic field (two reads: the fields, then their children); once the field's child is known
 * the next read of it is one read, and gives the same entries. An entry removed since (purge) is
 * checked in test/programs/purge.test.ts.
 */
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeAppChain } from "../../src/layers/AppChain.js"
import { SuiClient } from "../../src/layers/SuiClient.js"
import { increaseSequence } from "../../src/localnet/appSeeding.js"
import { appApiForSuite } from "../api/appSuite.js"

describe("AppChain table entries", () => {
  const f = appApiForSuite()

  it("reads an entry's child directly once its field has been seen", async () => {
    await increaseSequence(f.net.manifest, { count: 3 })
    const sui = await f.runtime.runPromise(SuiClient)
    const core = sui.client.core
    const asked: Array<number> = []
    // the node client with its object reads counted (AppChain reads instances with getObject and
    // table entries with getObjects)
    const counting = {
      core: {
        getObject: (o: Parameters<typeof core.getObject>[0]) => core.getObject(o),
        getObjects: (o: Parameters<typeof core.getObjects>[0]) => {
          asked.push(o.objectIds.length)
          return core.getObjects(o)
        }
      }
    } as unknown as SuiGrpcClient
    const chain = await Effect.runPromise(makeAppChain.pipe(Effect.provideService(SuiClient, { ...sui, client: counting })))
    const inst = await Effect.runPromise(chain.instance(f.appInstance))
    const keys = Array.from({ length: Number(inst.sequenceStates.highest!) + 1 }, (_, i) => BigInt(i))
    expect(keys.length).toBeGreaterThanOrEqual(3)

    const first = await Effect.runPromise(chain.sequenceStates(inst, keys))
    expect([...first.keys()].sort()).toEqual(keys)
    expect(asked).toEqual([keys.length, keys.length])

    asked.length = 0
    const second = await Effect.runPromise(chain.sequenceStates(inst, keys))
    expect(asked).toEqual([keys.length])
    expect(second).toEqual(first)

    // a key the table never had costs its field read, and is left out
    asked.length = 0
    const missing = await Effect.runPromise(chain.sequenceStates(inst, [...keys, 1_000n]))
    expect([...missing.keys()].sort()).toEqual(keys)
    expect(asked).toEqual([keys.length, 1])
  })
})
