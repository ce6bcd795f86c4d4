/**
 * ChainEvents when its follower dies of a bug: the stream fails with `ChainFollowerStopped` (the
 * consumer learns of it) instead of leaving the consumer waiting on an open queue forever. The bug
 * is planted in a fake node client: the tip it answers throws when read.
 */
import { describe, expect, it } from "@effect/vitest"
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Cause, Effect, Exit, Layer, Option, Stream } from "effect"
import { ChainEvents } from "../../src/layers/ChainEvents.js"
import { Journal } from "../../src/layers/Journal.js"
import { SuiClient } from "../../src/layers/SuiClient.js"

const keypair = new Ed25519Keypair()
const buggyNode = {
  ledgerService: {
    getServiceInfo: () =>
      Promise.resolve({
        response: {
          get checkpointHeight(): bigint {
            throw new Error("a bug in the follower")
          }
        }
      })
  }
} as unknown as SuiGrpcClient

const layer = ChainEvents.layer({ backoffInitialMs: 1, backoffMaxMs: 10 }).pipe(
  Layer.provideMerge(Journal.layerMemory),
  Layer.provideMerge(
    Layer.succeed(SuiClient, {
      client: buggyNode,
      keypair,
      address: keypair.toSuiAddress(),
      packageId: `0x${"ab".repeat(32)}`,
      registryId: Option.none(),
      url: "http://127.0.0.1:1"
    })
  )
)

describe("ChainEvents when the follower dies", () => {
  it.live("the stream fails with ChainFollowerStopped instead of hanging", () =>
    Effect.gen(function* () {
      const events = yield* ChainEvents
      const exit = yield* events.stream.pipe(Stream.runCollect, Effect.timeout("20 seconds"), Effect.exit)
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
      expect(Option.map(error, (e) => e._tag)).toEqual(Option.some("ChainFollowerStopped"))
      expect(Option.map(error, (e) => ("message" in e ? e.message : "")).pipe(Option.getOrElse(() => ""))).toMatch(/a bug in the follower/)
    }).pipe(Effect.provide(layer))
  )
})
