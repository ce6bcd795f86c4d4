/** Registry lookups against the localnet's registry object over gRPC. */
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { Effect, Layer, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeSuiClient } from "../../src/localnet/client.js"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { Registry } from "../../src/layers/Registry.js"
import { METHOD, startNet, suiLayer } from "./fixture.js"

let net: LocalnetHandle
beforeAll(async () => {
  net = await startNet()
})
afterAll(async () => {
  await net.close()
})

const run = <A, E>(effect: Effect.Effect<A, E, Registry>, negativeTtlMs = 10_000, ttlMs = 60_000) =>
  Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(Layer.provide(Registry.layer({ negativeTtlMs, ttlMs }), suiLayer(net)))))

describe("Registry", () => {
  it("finds a seeded method with its image and requirements, then answers from the cache", async () => {
    const r = await run(
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

  it("refuses missing developers, agents and methods with clear errors, cached briefly", async () => {
    const r = await run(
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

  it("falls back to the agent's default_method", async () => {
    const admin = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin)
    const client = makeSuiClient(net.manifest.grpcUrl)
    const tx = new Transaction()
    tx.moveCall({
      target: `${net.manifest.packageId}::registry::set_default_method`,
      arguments: [tx.object(net.manifest.registryId), tx.pure.string("dev"), tx.pure.string("agent"), tx.pure.string(METHOD), tx.object.clock()]
    })
    tx.setSender(admin.toSuiAddress())
    const res = await client.signAndExecuteTransaction({ transaction: tx, signer: admin, include: { effects: true } })
    expect(res.$kind).toBe("Transaction")
    const m = await run(Effect.flatMap(Registry, (reg) => reg.lookup("dev", "agent", "unlisted")))
    expect(m.isDefault).toBe(true)
    expect(m.dockerImage).toBe("docker.io/example/agent:1")
  })

  it("reads the registry again once an answer's TTL has passed", async () => {
    const stats = await run(
      Effect.gen(function* () {
        const reg = yield* Registry
        yield* reg.lookup("dev", "agent", METHOD)
        yield* Effect.flip(reg.lookup("nobody", "agent", METHOD))
        yield* Effect.sleep("300 millis")
        yield* reg.lookup("dev", "agent", METHOD)
        yield* Effect.flip(reg.lookup("nobody", "agent", METHOD))
        return yield* reg.stats
      }),
      100,
      100
    )
    expect(stats).toEqual({ fetches: 4, hits: 0 })
  })
})
