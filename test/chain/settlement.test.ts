/**
 * Settlement against the localnet over gRPC: batching, gas-coin discipline, injected execution
 * faults, Move aborts isolated from the rest of a batch, and two coordinators racing on starts.
 */
import { Transaction } from "@mysten/sui/transactions"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Secp256k1Keypair } from "@mysten/sui/keypairs/secp256k1"
import { Secp256r1Keypair } from "@mysten/sui/keypairs/secp256r1"
import { Effect, Fiber, Layer, Option, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { coordinationCall, createJobs, makeSuiClient } from "../../src/localnet/client.js"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { ChainState, startedJobsOnChain } from "../../src/layers/ChainState.js"
import { Journal } from "../../src/layers/Journal.js"
import { Settlement, type SettlementOptions } from "../../src/layers/Settlement.js"
import { SuiClient } from "../../src/layers/SuiClient.js"
import { METHOD, startNet, suiLayer } from "./fixture.js"

let net: LocalnetHandle | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

const settlementLayer = (n: LocalnetHandle, options: SettlementOptions = {}, key?: string) => {
  const sui = key === undefined
    ? suiLayer(n)
    : SuiClient.layerFrom({ url: n.manifest.grpcUrl, privateKey: key, packageId: n.manifest.packageId })
  return Layer.provideMerge(
    Layer.merge(Settlement.layer({ lingerMs: 5, retryInitialMs: 20, retryMaxMs: 200, ...options }), ChainState.layer),
    Layer.merge(sui, Journal.layerMemory)
  )
}

const run = <A, E>(n: LocalnetHandle, effect: Effect.Effect<A, E, Settlement | ChainState | Journal | SuiClient>, options?: SettlementOptions) =>
  Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(settlementLayer(n, options))))

describe("Settlement", () => {
  it("starts 50 jobs and settles 50 concurrent completions in few transactions, one tx per coin at a time", async () => {
    net = await startNet()
    const n = net
    const { jobSequences } = await createJobs(n.manifest, { count: 50, method: METHOD, perTransaction: 10 })
    const r = await run(
      n,
      Effect.gen(function* () {
        const settlement = yield* Settlement
        const chain = yield* ChainState
        const started = yield* settlement.start(n.manifest.appInstanceId, jobSequences)
        const afterStart = yield* settlement.stats
        const before = yield* chain.jobs(n.manifest.appInstanceId, jobSequences)
        const held = yield* startedJobsOnChain
        yield* Effect.forEach(jobSequences, (s) => settlement.complete(n.manifest.appInstanceId, s), { concurrency: "unbounded" })
        yield* settlement.awaitIdle
        const stats = yield* settlement.stats
        const after = yield* chain.jobs(n.manifest.appInstanceId, jobSequences)
        const info = yield* chain.appInstance(n.manifest.appInstanceId)
        const heldAfter = yield* startedJobsOnChain
        return { started, afterStart, before, held, stats, after, info, heldAfter }
      })
    )
    expect([...r.started.values()].every((v) => v)).toBe(true)
    expect(r.started.size).toBe(50)
    expect(r.before.every((j) => j.status._tag === "Running")).toBe(true)
    expect(r.after).toHaveLength(0)
    expect(r.held).toHaveLength(50)
    expect(r.held.every((h) => Option.isSome(h.job) && h.job.value.status._tag === "Running")).toBe(true)
    expect(r.heldAfter).toHaveLength(0)
    expect(r.info.pendingJobs.filter((s) => jobSequences.includes(s))).toHaveLength(0)
    const completionTxs = r.stats.transactions - r.afterStart.transactions
    expect(completionTxs).toBeGreaterThanOrEqual(1)
    expect(completionTxs).toBeLessThanOrEqual(5)
    expect(r.stats.executedOps).toBe(100)
    expect(r.stats.maxInflightPerCoin).toBe(1)
    // No transaction was refused by the node (an equivocating coin would be).
    expect(r.stats.failedTransactions).toBe(0)
    expect(r.stats.versionConflicts).toBe(0)
  })

  it("refuses to complete a job this coordinator did not start, and an app instance that is not an object id", async () => {
    net = await startNet()
    const n = net
    const { jobSequences } = await createJobs(n.manifest, { count: 1, method: METHOD })
    const [r, invalid] = await run(
      n,
      Effect.gen(function* () {
        const settlement = yield* Settlement
        return [
          yield* Effect.flip(settlement.complete(n.manifest.appInstanceId, jobSequences[0]!)),
          yield* Effect.flip(settlement.complete("not-an-object-id", jobSequences[0]!))
        ] as const
      })
    )
    expect(r.reason).toBe("NotStartedHere")
    expect(invalid.reason).toBe("InvalidAppInstance")
  })

  // Each refusal is injected with the status and text a real full node answers (see
  // src/localnet/server/status.ts and src/chain/settlementFailure.ts for the Sui sources): overload and
  // a missing input (UNAVAILABLE), a stale gas coin version (INVALID_ARGUMENT "... is not available
  // for consumption ..."), a locked gas coin (FAILED_PRECONDITION).
  it.each([
    ["UNAVAILABLE (overload)", "unavailable", 3],
    ["INVALID_ARGUMENT (stale version)", "version-conflict", 3],
    ["FAILED_PRECONDITION (lock conflict)", "lock-conflict", 2],
    ["UNAVAILABLE (object not found)", "object-not-found", 4]
  ] as const)("retries injected %s refusals without losing or repeating ops", async (_label, kind, count) => {
    net = await startNet()
    const n = net
    const { jobSequences } = await createJobs(n.manifest, { count: 30, method: METHOD, perTransaction: 10 })
    const r = await run(
      n,
      Effect.gen(function* () {
        const settlement = yield* Settlement
        const chain = yield* ChainState
        n.faults.failNextExecutions(count, kind)
        const started = yield* settlement.start(n.manifest.appInstanceId, jobSequences)
        n.faults.failNextExecutions(count, kind)
        yield* Effect.forEach(jobSequences, (s) => settlement.complete(n.manifest.appInstanceId, s), { concurrency: 5 })
        yield* settlement.awaitIdle
        const stats = yield* settlement.stats
        const after = yield* chain.jobs(n.manifest.appInstanceId, jobSequences)
        return { started, stats, after }
      })
    )
    expect([...r.started.values()].filter((v) => v)).toHaveLength(30)
    expect(r.after).toHaveLength(0)
    if (kind === "unavailable") expect(r.stats.retries).toBeGreaterThanOrEqual(2 * count)
    else expect(r.stats.versionConflicts).toBeGreaterThanOrEqual(1)
    expect(r.stats.executedOps).toBe(60)
    expect(r.stats.maxInflightPerCoin).toBe(1)
  })

  it("a Move abort in one op does not lose the others in its batch", async () => {
    net = await startNet()
    const n = net
    const good = await createJobs(n.manifest, { count: 6, method: METHOD, perTransaction: 6 })
    // A periodic job without next_scheduled_at: starting it aborts in std::option (as on chain).
    const client = makeSuiClient(n.manifest.grpcUrl)
    const admin = Ed25519Keypair.fromSecretKey(n.manifest.keys.admin)
    const tx = new Transaction()
    coordinationCall.createAppJob(tx, n.manifest.packageId, n.manifest.appInstanceId, { method: METHOD, intervalMs: 120_000n })
    tx.setSender(admin.toSuiAddress())
    const res = await client.signAndExecuteTransaction({ transaction: tx, signer: admin, include: { events: true } })
    expect(res.$kind).toBe("Transaction")
    const info = await Effect.runPromise(
      Effect.scoped(Effect.flatMap(ChainState, (c) => c.appInstance(n.manifest.appInstanceId))).pipe(
        Effect.provide(Layer.provide(ChainState.layer, suiLayer(n)))
      )
    )
    const bad = info.nextJobSequence - 1n
    expect(good.jobSequences).not.toContain(bad)
    const seqs = [...good.jobSequences.slice(0, 3), bad, ...good.jobSequences.slice(3)]
    const r = await run(
      n,
      Effect.gen(function* () {
        const settlement = yield* Settlement
        const chain = yield* ChainState
        const started = yield* settlement.start(n.manifest.appInstanceId, seqs)
        const stats = yield* settlement.stats
        const jobs = yield* chain.jobs(n.manifest.appInstanceId, seqs)
        return { started, stats, jobs }
      })
    )
    expect(r.started.get(bad)).toBe(false)
    for (const s of good.jobSequences) expect(r.started.get(s)).toBe(true)
    expect(r.stats.aborts).toBeGreaterThanOrEqual(1)
    const status = new Map(r.jobs.map((j) => [j.jobSequence, j.status._tag]))
    for (const s of good.jobSequences) expect(status.get(s)).toBe("Running")
    expect(status.get(bad)).toBe("Pending")
  })

  it("two coordinators racing on the same starts: each job started by exactly one", async () => {
    net = await startNet()
    const n = net
    const { jobSequences } = await createJobs(n.manifest, { count: 40, method: METHOD, perTransaction: 10 })
    const race = (key: string | undefined, order: bigint[]) =>
      Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const settlement = yield* Settlement
            const results = yield* Effect.forEach(
              [order.slice(0, 20), order.slice(20)],
              (part) => settlement.start(n.manifest.appInstanceId, part),
              { concurrency: "unbounded" }
            )
            const out = new Map<bigint, boolean>()
            for (const m of results) for (const [k, v] of m) out.set(k, v)
            return out
          })
        ).pipe(Effect.provide(settlementLayer(n, {}, key)))
      )
    const [a, b] = await Promise.all([race(undefined, jobSequences), race(n.manifest.keys.admin, [...jobSequences].reverse())])
    let both = 0
    let none = 0
    for (const s of jobSequences) {
      const x = a.get(s) === true
      const y = b.get(s) === true
      if (x && y) both++
      if (!x && !y) none++
    }
    expect(both).toBe(0)
    expect(none).toBe(0)
    expect(a.size).toBe(40)
    expect(b.size).toBe(40)
  })

  // KMS/HSM keys are usually secp: the coordinator takes them as suiprivkey (flag byte 1 or 2)
  it.each([
    ["Secp256k1", () => Secp256k1Keypair.generate()],
    ["Secp256r1", () => Secp256r1Keypair.generate()]
  ] as const)("a %s coordinator key settles starts and completions", async (_scheme, generate) => {
    net = await startNet()
    const n = net
    const key = generate()
    const client = makeSuiClient(n.manifest.grpcUrl)
    const admin = Ed25519Keypair.fromSecretKey(n.manifest.keys.admin)
    const fund = new Transaction()
    fund.transferObjects([fund.splitCoins(fund.gas, [fund.pure.u64(20_000_000_000n)])[0]!], fund.pure.address(key.toSuiAddress()))
    expect((await client.signAndExecuteTransaction({ transaction: fund, signer: admin })).$kind).toBe("Transaction")
    const { jobSequences } = await createJobs(n.manifest, { count: 6, method: METHOD, perTransaction: 6 })
    const r = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const settlement = yield* Settlement
          const sui = yield* SuiClient
          const started = yield* settlement.start(n.manifest.appInstanceId, jobSequences)
          yield* Effect.forEach(jobSequences, (s) => settlement.complete(n.manifest.appInstanceId, s), { concurrency: 3 })
          yield* settlement.awaitIdle
          return { started, stats: yield* settlement.stats, address: sui.address }
        })
      ).pipe(Effect.provide(settlementLayer(n, {}, key.getSecretKey())))
    )
    expect(r.address).toBe(key.toSuiAddress())
    expect([...r.started.values()].every((v) => v)).toBe(true)
    expect(r.stats.executedOps).toBe(12)
    expect(r.stats.failedTransactions).toBe(0)
  })

  it("low balance: warns and holds ops until funds arrive, then settles them", async () => {
    net = await startNet()
    const n = net
    const { jobSequences } = await createJobs(n.manifest, { count: 2, method: METHOD, perTransaction: 2 })
    const SUI = 1_000_000_000n
    const r = await run(
      n,
      Effect.gen(function* () {
        const settlement = yield* Settlement
        const low = (yield* settlement.stats).lowBalance
        const fiber = yield* Effect.fork(settlement.start(n.manifest.appInstanceId, jobSequences))
        yield* Effect.sleep("500 millis")
        const waitingBefore = fiber.unsafePoll() === null
        // The admin sends the coordinator one coin above the minimum.
        yield* Effect.promise(async () => {
          const client = makeSuiClient(n.manifest.grpcUrl)
          const admin = Ed25519Keypair.fromSecretKey(n.manifest.keys.admin)
          const coins = await client.core.listCoins({ owner: admin.toSuiAddress(), limit: 3 })
          const tx = new Transaction()
          tx.setSender(admin.toSuiAddress())
          tx.setGasPayment(coins.objects.slice(0, 2).map((c) => ({ objectId: c.objectId, version: c.version, digest: c.digest })))
          const [big] = tx.splitCoins(tx.gas, [tx.pure.u64(16_000n * SUI)])
          tx.transferObjects([big!], tx.pure.address(Ed25519Keypair.fromSecretKey(n.manifest.keys.coordinator).toSuiAddress()))
          const res = await client.signAndExecuteTransaction({ transaction: tx, signer: admin, include: { effects: true } })
          if (res.$kind !== "Transaction") throw new Error("funding failed")
        })
        const started = yield* fiber.await.pipe(Effect.flatten)
        return { low, waitingBefore, started, stats: yield* settlement.stats }
      }),
      { minCoinBalance: 15_000n * SUI, lowBalanceRetryMs: 200 }
    )
    expect(r.low).toBe(true)
    expect(r.waitingBefore).toBe(true)
    expect([...r.started.values()]).toEqual([true, true])
    expect(r.stats.lowBalance).toBe(false)
    expect(r.stats.coins).toBe(1)
  })

  it("fails with long error texts: texts are cut, split across multicalls, and every job goes back to Pending", async () => {
    net = await startNet()
    const n = net
    const { jobSequences } = await createJobs(n.manifest, { count: 40, method: METHOD, perTransaction: 20 })
    const r = await run(
      n,
      Effect.gen(function* () {
        const settlement = yield* Settlement
        const chain = yield* ChainState
        yield* settlement.start(n.manifest.appInstanceId, jobSequences)
        yield* Effect.forEach(jobSequences, (s) => settlement.fail(n.manifest.appInstanceId, s, `error of job ${s}: ${"x".repeat(5_000)}`), {
          concurrency: "unbounded"
        })
        yield* settlement.awaitIdle
        return { jobs: yield* chain.jobs(n.manifest.appInstanceId, jobSequences), stats: yield* settlement.stats }
      })
    )
    expect(r.jobs).toHaveLength(40)
    expect(r.jobs.every((j) => j.status._tag === "Pending" && j.attempts === 1)).toBe(true)
    expect(r.stats.failedTransactions).toBe(0)
    expect(r.stats.executedOps).toBe(80)
  })

  it("merges the coordinator's small coins into pool coins through the gas payment", async () => {
    net = await startNet()
    const n = net
    const SUI = 1_000_000_000n
    const client = makeSuiClient(n.manifest.grpcUrl)
    const admin = Ed25519Keypair.fromSecretKey(n.manifest.keys.admin)
    const coordinator = Ed25519Keypair.fromSecretKey(n.manifest.keys.coordinator).toSuiAddress()
    const tx = new Transaction()
    tx.setSender(admin.toSuiAddress())
    const small = tx.splitCoins(tx.gas, [tx.pure.u64(SUI / 10n), tx.pure.u64(SUI / 10n), tx.pure.u64(SUI / 10n)])
    tx.transferObjects([small[0]!, small[1]!, small[2]!], tx.pure.address(coordinator))
    const res = await client.signAndExecuteTransaction({ transaction: tx, signer: admin, include: { effects: true } })
    expect(res.$kind).toBe("Transaction")
    const smallCoins = async () =>
      (await client.core.listCoins({ owner: coordinator, limit: 200 })).objects.filter((c) => BigInt(c.balance) < SUI / 2n).length
    expect(await smallCoins()).toBe(3)
    const { jobSequences } = await createJobs(n.manifest, { count: 5, method: METHOD, perTransaction: 5 })
    const r = await run(
      n,
      Effect.gen(function* () {
        const settlement = yield* Settlement
        const started = yield* settlement.start(n.manifest.appInstanceId, jobSequences)
        yield* settlement.awaitIdle
        return { started, stats: yield* settlement.stats }
      })
    )
    expect([...r.started.values()].every((v) => v)).toBe(true)
    expect(r.stats.merged).toBe(3)
    expect(await smallCoins()).toBe(0)
  })

  it("terminates a started job and reports every op on the outcomes stream", async () => {
    net = await startNet()
    const n = net
    const { jobSequences } = await createJobs(n.manifest, { count: 3, method: METHOD, perTransaction: 3 })
    const [a, b, c] = jobSequences as [bigint, bigint, bigint]
    const r = await run(
      n,
      Effect.gen(function* () {
        const settlement = yield* Settlement
        const chain = yield* ChainState
        const seen = yield* settlement.outcomes.pipe(Stream.take(6), Stream.runCollect, Effect.fork)
        yield* Effect.sleep("50 millis")
        yield* settlement.start(n.manifest.appInstanceId, [a, b, c])
        yield* settlement.terminate(n.manifest.appInstanceId, a)
        yield* settlement.complete(n.manifest.appInstanceId, b)
        yield* settlement.fail(n.manifest.appInstanceId, c, "agent crashed")
        const outcomes = [...(yield* Fiber.join(seen))]
        const jobs = yield* chain.jobs(n.manifest.appInstanceId, jobSequences)
        return { outcomes, jobs }
      })
    )
    const byKind = (kind: string) => r.outcomes.filter((o) => o.kind === kind).map((o) => [o.jobSequence, o.result])
    expect(byKind("start")).toEqual([[a, "done"], [b, "done"], [c, "done"]])
    expect(byKind("terminate")).toEqual([[a, "done"]])
    expect(byKind("complete")).toEqual([[b, "done"]])
    expect(byKind("fail")).toEqual([[c, "done"]])
    expect(r.outcomes.every((o) => o.txDigest !== null)).toBe(true)
    expect(r.jobs.map((j) => [j.jobSequence, j.status._tag])).toEqual([[c, "Pending"]])
  })
})
