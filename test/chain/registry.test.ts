/** Registry lookups against the localnet's registry object over gRPC; cache lifetimes under TestClock. */
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import { makeSuiClient } from "../../src/localnet/client.js"
import { Registry } from "../../src/layers/Registry.js"
import { METHOD, suiLayer, TestNet } from "./fixture.js"

/** `effect` with a fresh Registry (its own cache) over the shared localnet. */
const withRegistry = <A, E>(effect: Effect.Effect<A, E, Registry>, negativeTtlMs = 10_000, ttlMs = 60_000) =>
  Effect.flatMap(TestNet, (net) => Effect.provide(effect, Layer.provide(Registry.layer({ negativeTtlMs, ttlMs }), suiLayer(net))))

layer(TestNet.layer(), { timeout: "60 seconds" })("Registry", (it) => {
  it.scoped("finds a seeded method with its image and requirements, then answers from the cache", () =>
    Effect.gen(function* () {
      const r = yield* withRegistry(
        Effect.gen(function* () {
          const reg = yield* Registry
          const a = yield* reg.lookup("dev", "agent", METHOD)
          const b = yield* reg.lookup("dev", "agent", METHOD)
          return { a, b, stats: yield* reg.stats }
        })
      )
      expect(r.a.dockerImage).toBe("docker.io/example/agent:1")
      expect(r.a.minMemoryGb).toBe(1)
      expect(r.a.minCpuCores).toBe(1)
      expect(r.a.requiresTee).toBe(false)
      expect(r.a.isDefault).toBe(false)
      expect(Option.isNone(r.a.dockerSha256)).toBe(true)
      expect(r.b).toBe(r.a)
      expect(r.stats).toEqual({ fetches: 1, hits: 1 })
    })
  )

  it.scoped("refuses missing developers, agents and methods with clear errors, cached briefly", () =>
    Effect.gen(function* () {
      const r = yield* withRegistry(
        Effect.gen(function* () {
          const reg = yield* Registry
          const dev = yield* Effect.flip(reg.lookup("nobody", "agent", METHOD))
          const agent = yield* Effect.flip(reg.lookup("dev", "ghost", METHOD))
          const method = yield* Effect.flip(reg.lookup("dev", "agent", "nope"))
          const again = yield* Effect.flip(reg.lookup("dev", "agent", "nope"))
          return { dev, agent, method, again, stats: yield* reg.stats }
        })
      )
      expect(r.dev.reason).toBe("NotFound")
      expect(r.dev.message).toContain("developer \"nobody\"")
      expect(r.agent.message).toContain("agent \"ghost\"")
      expect(r.method.message).toContain("method \"nope\"")
      expect(r.again).toBe(r.method)
      expect(r.stats).toEqual({ fetches: 3, hits: 1 })
    })
  )

  it.scoped("falls back to the agent's default_method", () =>
    Effect.gen(function* () {
      const net = yield* TestNet
      const admin = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin)
      const client = makeSuiClient(net.manifest.grpcUrl)
      const tx = new Transaction()
      tx.moveCall({
        target: `${net.manifest.packageId}::registry::set_default_method`,
        arguments: [tx.object(net.manifest.registryId), tx.pure.string("dev"), tx.pure.string("agent"), tx.pure.string(METHOD), tx.object.clock()]
      })
      tx.setSender(admin.toSuiAddress())
      const res = yield* Effect.promise(() => client.signAndExecuteTransaction({ transaction: tx, signer: admin, include: { effects: true } }))
      expect(res.$kind).toBe("Transaction")
      const m = yield* withRegistry(Effect.flatMap(Registry, (reg) => reg.lookup("dev", "agent", "unlisted")))
      expect(m.isDefault).toBe(true)
      expect(m.dockerImage).toBe("docker.io/example/agent:1")
    })
  )

  it.scoped("answers from the cache until an answer's TTL has passed on the clock, then reads the registry again", () =>
    Effect.gen(function* () {
      const stats = yield* withRegistry(
        Effect.gen(function* () {
          const reg = yield* Registry
          yield* reg.lookup("dev", "agent", METHOD)
          yield* Effect.flip(reg.lookup("nobody", "agent", METHOD))
          // within both TTLs: from the cache
          yield* TestClock.adjust("9 seconds")
          yield* reg.lookup("dev", "agent", METHOD)
          yield* Effect.flip(reg.lookup("nobody", "agent", METHOD))
          const cached = yield* reg.stats
          // the negative answer (10 s) has expired, the positive one (60 s) not yet
          yield* TestClock.adjust("2 seconds")
          yield* reg.lookup("dev", "agent", METHOD)
          yield* Effect.flip(reg.lookup("nobody", "agent", METHOD))
          const negativeExpired = yield* reg.stats
          // both expired
          yield* TestClock.adjust("60 seconds")
          yield* reg.lookup("dev", "agent", METHOD)
          yield* Effect.flip(reg.lookup("nobody", "agent", METHOD))
          return { cached, negativeExpired, all: yield* reg.stats }
        })
      )
      expect(stats.cached).toEqual({ fetches: 2, hits: 2 })
      expect(stats.negativeExpired).toEqual({ fetches: 3, hits: 3 })
      expect(stats.all).toEqual({ fetches: 5, hits: 3 })
    })
  )
})
