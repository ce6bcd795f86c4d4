/**
 * Transaction execution on the localnet through SuiGrpcClient over native gRPC only: build → sign
 * → execute for SplitCoins, MergeCoins, TransferObjects (incl. the gas coin) and Move calls;
 * versions and gas in effects; rejections (bad signature, wrong sender, stale version,
 * insufficient gas, gas price, equivocation) and Move aborts with their location.
 */
import { SuiGrpcClient } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { toBase64 } from "@mysten/sui/utils"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeSuiClient, seedAgentMethod } from "../../src/localnet/client.js"
import { startLocalnet, type LocalnetHandle } from "../../src/localnet/index.js"

let net: LocalnetHandle
let client: SuiGrpcClient
let admin: Ed25519Keypair
let coordinator: Ed25519Keypair

type Ref = { objectId: string; version: string; digest: string }

const coinsOf = async (owner: string): Promise<Array<Ref & { balance: bigint }>> => {
  const { objects } = await client.core.listCoins({ owner, limit: 100 })
  return objects.map((c) => ({ objectId: c.objectId, version: c.version, digest: c.digest, balance: BigInt(c.balance) }))
}

const balanceOf = async (owner: string): Promise<bigint> => BigInt((await client.core.getBalance({ owner })).balance.balance)

/** Builds with explicit gas, signs with `signer` and executes the raw bytes. */
const buildSigned = async (tx: Transaction, o: { sender: string; gas: Ref; signer: Ed25519Keypair; budget?: bigint; price?: bigint }) => {
  tx.setSender(o.sender)
  tx.setGasPrice(o.price ?? 1000n)
  tx.setGasBudget(o.budget ?? 50_000_000n)
  tx.setGasPayment([{ objectId: o.gas.objectId, version: o.gas.version, digest: o.gas.digest }])
  const bytes = await tx.build({ client })
  const { signature } = await o.signer.signTransaction(bytes)
  return { bytes, signature }
}

const execRaw = (b: { bytes: Uint8Array; signature: string }) =>
  client.core.executeTransaction({ transaction: b.bytes, signatures: [b.signature], include: { effects: true, events: true, balanceChanges: true } })

const rejection = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
  try {
    await p
  } catch (e) {
    return { code: String((e as { code?: unknown }).code), message: String((e as Error).message) }
  }
  throw new Error("expected the transaction to be rejected")
}

beforeAll(async () => {
  net = await startLocalnet({ port: 0, checkpointMs: "per-transaction" })
  client = makeSuiClient(net.manifest.grpcUrl)
  admin = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin)
  coordinator = Ed25519Keypair.fromSecretKey(net.manifest.keys.coordinator)
})

afterAll(async () => {
  await net?.close()
})

describe("programmable transactions", () => {
  it("SplitCoins + TransferObjects moves MIST to another address and charges gas to the gas coin", async () => {
    const to = coordinator.toSuiAddress()
    const before = { admin: await balanceOf(admin.toSuiAddress()), to: await balanceOf(to) }
    const tx = new Transaction()
    const [a, b] = tx.splitCoins(tx.gas, [tx.pure.u64(1_000), tx.pure.u64(2_000)])
    tx.transferObjects([a!, b!], tx.pure.address(to))
    const r = await client.signAndExecuteTransaction({ transaction: tx, signer: admin, include: { effects: true, balanceChanges: true } })
    expect(r.$kind).toBe("Transaction")
    const t = r.Transaction!
    const effects = t.effects!
    const created = effects.changedObjects.filter((c) => c.idOperation === "Created")
    expect(created).toHaveLength(2)
    for (const c of created) {
      expect(c.outputOwner).toEqual({ $kind: "AddressOwner", AddressOwner: to })
      expect(c.outputVersion).toBe(effects.lamportVersion)
    }
    const gas = effects.gasObject!
    expect(BigInt(gas.outputVersion!)).toBeGreaterThan(BigInt(gas.inputVersion!))
    expect(gas.outputVersion).toBe(effects.lamportVersion)
    const fee = BigInt(effects.gasUsed.computationCost) + BigInt(effects.gasUsed.storageCost) - BigInt(effects.gasUsed.storageRebate)
    expect(fee).toBeGreaterThan(0n)
    expect(await balanceOf(to)).toBe(before.to + 3_000n)
    expect(await balanceOf(admin.toSuiAddress())).toBe(before.admin - 3_000n - fee)
    const change = t.balanceChanges!.find((c) => c.address === to)
    expect(change?.amount).toBe("3000")
  })

  it("MergeCoins folds coins into the destination and deletes the sources", async () => {
    const owner = coordinator.toSuiAddress()
    const coins = await coinsOf(owner)
    const small = coins.filter((c) => c.balance < 1_000_000n)
    expect(small.length).toBeGreaterThanOrEqual(2)
    const total = small.reduce((s, c) => s + c.balance, 0n)
    const [dest, ...sources] = small
    const gas = coins.find((c) => c.balance > 1_000_000_000n)!
    const tx = new Transaction()
    tx.mergeCoins(tx.object(dest!.objectId), sources.map((s) => tx.object(s.objectId)))
    const r = await execRaw(await buildSigned(tx, { sender: owner, gas, signer: coordinator }))
    expect(r.$kind).toBe("Transaction")
    const deleted = r.Transaction!.effects!.changedObjects.filter((c) => c.idOperation === "Deleted").map((c) => c.objectId)
    expect(deleted.sort()).toEqual(sources.map((s) => s.objectId).sort())
    const after = await coinsOf(owner)
    expect(after.find((c) => c.objectId === dest!.objectId)?.balance).toBe(total)
    for (const s of sources) expect(after.find((c) => c.objectId === s.objectId)).toBeUndefined()
  })

  it("TransferObjects of the gas coin itself hands the whole coin to the recipient", async () => {
    const owner = coordinator.toSuiAddress()
    const coins = await coinsOf(owner)
    const gas = coins.find((c) => c.balance > 1_000_000_000n)!
    const tx = new Transaction()
    tx.transferObjects([tx.gas], tx.pure.address(admin.toSuiAddress()))
    const r = await execRaw(await buildSigned(tx, { sender: owner, gas, signer: coordinator }))
    expect(r.$kind).toBe("Transaction")
    const { object } = await client.core.getObject({ objectId: gas.objectId })
    expect(object.owner).toEqual({ $kind: "AddressOwner", AddressOwner: admin.toSuiAddress() })
    expect(BigInt(object.version)).toBe(BigInt(r.Transaction!.effects!.lamportVersion!))
  })

  it("resolves shared inputs by id through SimulateTransaction and runs registry + app_instance Move calls", async () => {
    await seedAgentMethod(net.manifest, { developer: "dev-x", agent: "agent-x", method: "m-x", image: "img:x", memoryGb: 2, cpus: 3, requiresTee: true })
    const { object } = await client.core.getObject({ objectId: net.manifest.appInstanceId, include: { json: true } })
    const methods = (object.json as any).methods.contents as Array<{ key: string; value: any }>
    expect(methods.find((m) => m.key === "m-x")?.value).toEqual({ description: null, developer: "dev-x", agent: "agent-x", agent_method: "m-x" })
    // the same seed again finds everything in place and sends nothing
    const v = object.version
    await seedAgentMethod(net.manifest, { developer: "dev-x", agent: "agent-x", method: "m-x", image: "img:x" })
    expect((await client.core.getObject({ objectId: net.manifest.appInstanceId })).object.version).toBe(v)
  })

  it("passes a MakeMoveVec of pure u64 values as a vector<u64> argument; builds transaction kinds only", async () => {
    const tx = new Transaction()
    const seqs = tx.makeMoveVec({ type: "u64", elements: [tx.pure.u64(777_001), tx.pure.u64(777_002)] })
    tx.moveCall({
      target: `${net.manifest.packageId}::app_instance::multicall_app_job_operations`,
      arguments: [
        tx.object(net.manifest.appInstanceId), tx.pure.vector("u64", []), tx.pure.vector("u64", []), tx.pure.vector("string", []),
        tx.pure.vector("u64", []), seqs, tx.pure.vector("u64", [0n, 0n]), tx.pure.u64(10), tx.object.clock()
      ]
    })
    const kind = await tx.build({ client, onlyTransactionKind: true })
    expect(kind.length).toBeGreaterThan(0)
    const r = await client.signAndExecuteTransaction({ transaction: tx, signer: coordinator, include: { events: true } })
    expect(r.$kind).toBe("Transaction")
    const multicall = r.Transaction!.events!.find((e) => e.eventType.endsWith("::jobs::MulticallExecutedEvent"))!
    expect(multicall.json).toMatchObject({ start_jobs: ["777001", "777002"], start_results: [false, false] })
  })

  it("returns command results from simulation (bool of start_app_job)", async () => {
    const tx = new Transaction()
    tx.setSender(coordinator.toSuiAddress())
    tx.moveCall({
      target: `${net.manifest.packageId}::app_instance::start_app_job`,
      arguments: [tx.object(net.manifest.appInstanceId), tx.pure.u64(999_999), tx.object.clock()]
    })
    const sim = await client.core.simulateTransaction({ transaction: tx, include: { commandResults: true, effects: true, events: true } })
    expect(sim.$kind).toBe("Transaction")
    expect(Array.from(sim.commandResults![0]!.returnValues[0]!.bcs!)).toEqual([0])
    expect(sim.Transaction!.events!.map((e) => e.eventType)).toEqual([`${net.manifest.packageId}::multicall::OperationFailedEvent`])
  })
})

describe("apps and instances", () => {
  it("creates an app with methods and a new shared AppInstance from the registry; the cap must be transferred", async () => {
    const pkg = net.manifest.packageId
    const reg = net.manifest.registryId
    const appName = "app-two"
    const r1 = await client.signAndExecuteTransaction({
      signer: admin,
      include: { effects: true },
      transaction: (() => {
        const tx = new Transaction()
        tx.moveCall({ target: `${pkg}::registry::add_app`, arguments: [tx.object(reg), tx.pure.string(appName), tx.pure.address(admin.toSuiAddress()), tx.pure.option("string", "demo"), tx.object.clock()] })
        const m = tx.moveCall({ target: `${pkg}::app_method::new`, arguments: [tx.pure.option("string", null), tx.pure.string("dev-x"), tx.pure.string("agent-x"), tx.pure.string("m-x")] })
        tx.moveCall({ target: `${pkg}::registry::add_method_to_app`, arguments: [tx.object(reg), tx.pure.string(appName), tx.pure.string("run"), m] })
        return tx
      })()
    })
    expect(r1.$kind).toBe("Transaction")

    // an AppInstanceCap that nobody takes is an unused value without drop
    const lost = new Transaction()
    lost.moveCall({
      target: `${pkg}::registry::create_app_instance_from_registry`,
      arguments: [lost.object(reg), lost.pure.string(appName), lost.pure.option("string", null), lost.pure.vector("string", []), lost.pure.vector("option<string>", []), lost.pure.u64(60_000), lost.object.clock()]
    })
    await expect(client.signAndExecuteTransaction({ transaction: lost, signer: admin })).rejects.toThrow(/unused value/i)

    const tx = new Transaction()
    const cap = tx.moveCall({
      target: `${pkg}::registry::create_app_instance_from_registry`,
      arguments: [tx.object(reg), tx.pure.string(appName), tx.pure.option("string", "second"), tx.pure.vector("string", ["mina"]), tx.pure.vector("option<string>", [null]), tx.pure.u64(60_000), tx.object.clock()]
    })
    tx.transferObjects([cap], tx.pure.address(admin.toSuiAddress()))
    const r2 = await client.signAndExecuteTransaction({ transaction: tx, signer: admin, include: { effects: true, objectTypes: true } })
    expect(r2.$kind).toBe("Transaction")
    const t = r2.Transaction!
    const created = t.effects!.changedObjects.filter((c) => c.idOperation === "Created")
    const instanceId = created.find((c) => t.objectTypes![c.objectId]?.endsWith("::app_instance::AppInstance"))!.objectId
    const capId = created.find((c) => t.objectTypes![c.objectId]?.endsWith("::app_instance::AppInstanceCap"))!.objectId
    const { object: inst } = await client.core.getObject({ objectId: instanceId, include: { json: true } })
    expect(inst.owner).toEqual({ $kind: "Shared", Shared: { initialSharedVersion: t.effects!.lamportVersion } })
    const json = inst.json as any
    expect(json.methods.contents).toEqual([{ key: "run", value: { description: null, developer: "dev-x", agent: "agent-x", agent_method: "m-x" } }])
    expect(json.settlements.contents[0].key).toBe("mina")
    expect(json.settlements.contents[0].value.settlement_job).toBeNull()
    expect(json.admin).toBe(admin.toSuiAddress())
    const { object: capObj } = await client.core.getObject({ objectId: capId, include: { json: true } })
    expect(capObj.owner).toEqual({ $kind: "AddressOwner", AddressOwner: admin.toSuiAddress() })
    expect((capObj.json as any).instance_address).toBe(instanceId)

    // jobs on the new instance, including a settlement job that occupies its chain's slot
    const job = new Transaction()
    const args = (settlement: string | null) => [
      job.object(instanceId), job.pure.string("run"), job.pure.option("string", null), job.pure.option("u64", null),
      job.pure.option("vector<u64>", null), job.pure.option("vector<u64>", null), job.pure.option("vector<u64>", null),
      job.pure.vector("u8", [1]), job.pure.option("u64", null), job.pure.option("u64", null), job.pure.option("string", settlement), job.object.clock()
    ]
    job.moveCall({ target: `${pkg}::app_instance::create_app_job`, arguments: args("mina") })
    job.moveCall({ target: `${pkg}::app_instance::create_app_job`, arguments: args("mina") })
    const r3 = await client.signAndExecuteTransaction({ transaction: job, signer: admin, include: { events: true } })
    expect(r3.$kind).toBe("Transaction")
    const names = r3.Transaction!.events!.map((e) => e.eventType.split("::").slice(1).join("::"))
    expect(names).toEqual(["jobs::JobCreatedEvent", "multicall::OperationFailedEvent"])
    expect(r3.Transaction!.events!.every((e) => e.module === "app_instance")).toBe(true)
    const after = (await client.core.getObject({ objectId: instanceId, include: { json: true } })).object.json as any
    expect(after.settlements.contents[0].value.settlement_job).toBe("1")
  })

  it("publishes executed transactions in checkpoints with their events' BCS and type strings", async () => {
    const tx = new Transaction()
    tx.moveCall({
      target: `${net.manifest.packageId}::app_instance::start_app_job`,
      arguments: [tx.object(net.manifest.appInstanceId), tx.pure.u64(424_242), tx.object.clock()]
    })
    const r = await client.signAndExecuteTransaction({ transaction: tx, signer: coordinator, include: { events: true } })
    const digest = r.Transaction!.digest
    const got = await client.core.getTransaction({ digest, include: { events: true } })
    const cpSeq = BigInt(got.Transaction!.checkpoint!)
    const { response } = await client.ledgerService.getCheckpoint({
      checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: cpSeq },
      readMask: { paths: ["sequence_number", "transactions.digest", "transactions.events"] }
    })
    const inCp = response.checkpoint!.transactions.find((t) => t.digest === digest)!
    const ev = inCp.events!.events[0]!
    expect(ev.eventType).toBe(`${net.manifest.packageId}::multicall::OperationFailedEvent`)
    expect(Array.from(ev.contents!.value!)).toEqual(Array.from(r.Transaction!.events![0]!.bcs))
  })
})

describe("rejections", () => {
  it("rejects a tampered signature and a signature by another key (wrong sender)", async () => {
    const owner = admin.toSuiAddress()
    const gas = (await coinsOf(owner)).find((c) => c.balance > 1_000_000_000n)!
    const tx = new Transaction()
    tx.transferObjects([tx.splitCoins(tx.gas, [1])[0]!], tx.pure.address(owner))
    const good = await buildSigned(tx, { sender: owner, gas, signer: admin })
    const raw = Buffer.from(good.signature, "base64")
    raw[10] = raw[10]! ^ 0xff
    const tampered = await rejection(execRaw({ bytes: good.bytes, signature: toBase64(raw) }))
    expect(tampered.code).toBe("INVALID_ARGUMENT")
    expect(tampered.message).toMatch(/signature/)

    const byOther = await coordinator.signTransaction(good.bytes)
    const wrong = await rejection(execRaw({ bytes: good.bytes, signature: byOther.signature }))
    expect(wrong.code).toBe("INVALID_ARGUMENT")
    // SignerSignatureAbsent, wrapped as the orchestrator's InvalidUserSignature
    expect(wrong.message).toMatch(/^Invalid user signature: Required Signature from 0x[0-9a-f]{64} is absent/)

    // nothing was charged: the gas coin is still at the version the transaction referenced
    const { object } = await client.core.getObject({ objectId: gas.objectId })
    expect(object.version).toBe(gas.version)
    expect((await execRaw(good)).$kind).toBe("Transaction")
  })

  it("rejects gas coins of another owner, too little gas and a price below the reference price", async () => {
    const owner = admin.toSuiAddress()
    const mine = (await coinsOf(owner)).find((c) => c.balance > 1_000_000_000n)!
    const theirs = (await coinsOf(coordinator.toSuiAddress())).find((c) => c.balance > 1_000_000_000n)!
    const mk = () => {
      const tx = new Transaction()
      tx.transferObjects([tx.splitCoins(tx.gas, [1])[0]!], tx.pure.address(owner))
      return tx
    }
    const notOwner = await rejection(execRaw(await buildSigned(mk(), { sender: owner, gas: theirs, signer: admin })))
    expect(notOwner.message).toMatch(/owned by/)
    const poor = (await coinsOf(coordinator.toSuiAddress())).find((c) => c.balance > 0n && c.balance < 1_000_000n)
    const low = await rejection(
      execRaw(await buildSigned(mk(), { sender: coordinator.toSuiAddress(), gas: poor ?? theirs, signer: coordinator, budget: poor ? 5_000_000n : 60_000_000_000_000n }))
    )
    expect(low.code).toBe("INVALID_ARGUMENT")
    expect(low.message).toMatch(/is lower than the needed amount|is higher than max/)
    const cheap = await rejection(execRaw(await buildSigned(mk(), { sender: owner, gas: mine, signer: admin, price: 999n })))
    expect(cheap.code).toBe("INVALID_ARGUMENT")
    expect(cheap.message).toBe("Error checking transaction input objects: Gas price 999 under reference gas price (RGP) 1000")
  })

  it("fails execution with INSUFFICIENT_GAS when the budget does not cover the work, charging the budget", async () => {
    const owner = admin.toSuiAddress()
    const gas = (await coinsOf(owner)).find((c) => c.balance > 1_000_000_000n)!
    const tx = new Transaction()
    const coins = tx.splitCoins(tx.gas, Array.from({ length: 20 }, () => tx.pure.u64(1)))
    tx.transferObjects(Array.from({ length: 20 }, (_, i) => coins[i]!), tx.pure.address(owner))
    const r = await execRaw(await buildSigned(tx, { sender: owner, gas, signer: admin, budget: 1_000_000n }))
    expect(r.$kind).toBe("FailedTransaction")
    const f = r.FailedTransaction!
    expect(f.status.success).toBe(false)
    expect(f.effects!.changedObjects.filter((c) => c.idOperation === "Created")).toHaveLength(0)
    const g = f.effects!.gasUsed
    expect(BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate)).toBe(1_000_000n)
    const { object } = await client.core.getObject({ objectId: gas.objectId })
    expect(BigInt(object.version)).toBeGreaterThan(BigInt(gas.version))
  })

  it("rejects a stale owned-object version once the newer transaction is final", async () => {
    const owner = admin.toSuiAddress()
    const gas = (await coinsOf(owner)).find((c) => c.balance > 1_000_000_000n)!
    const mk = (amount: number) => {
      const tx = new Transaction()
      tx.transferObjects([tx.splitCoins(tx.gas, [amount])[0]!], tx.pure.address(owner))
      return tx
    }
    expect((await execRaw(await buildSigned(mk(1), { sender: owner, gas, signer: admin }))).$kind).toBe("Transaction")
    const stale = await rejection(execRaw(await buildSigned(mk(2), { sender: owner, gas, signer: admin })))
    // a full node's early validation: UserInputError::ObjectVersionUnavailableForConsumption
    expect(stale.code).toBe("INVALID_ARGUMENT")
    expect(stale.message).toMatch(/^Error checking transaction input objects: Object ID 0x[0-9a-f]{64} Version 0x[0-9a-f]+ Digest \w+ is not available for consumption, current version: 0x[0-9a-f]+$/)
  })

  it("lets only one of two transactions racing for the same gas coin version win", async () => {
    const owner = admin.toSuiAddress()
    const gas = (await coinsOf(owner)).find((c) => c.balance > 1_000_000_000n)!
    const mk = (amount: number) => {
      const tx = new Transaction()
      tx.transferObjects([tx.splitCoins(tx.gas, [amount])[0]!], tx.pure.address(owner))
      return tx
    }
    const a = await buildSigned(mk(11), { sender: owner, gas, signer: admin })
    const b = await buildSigned(mk(12), { sender: owner, gas, signer: admin })
    net.faults.pauseCheckpoints()
    try {
      const results = await Promise.allSettled([execRaw(a), execRaw(b)])
      const won = results.filter((r) => r.status === "fulfilled")
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected")
      expect(won).toHaveLength(1)
      expect(lost).toHaveLength(1)
      // the winner has executed by the time the loser is checked: its coin version is stale
      expect(String(lost[0]!.reason.code)).toBe("INVALID_ARGUMENT")
      expect(String(lost[0]!.reason.message)).toMatch(/is not available for consumption/)
      // the same transaction again is not a conflict: it answers the executed result
      const winner = won[0]!.status === "fulfilled" ? (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof execRaw>>>).value : undefined
      const replay = results[0]!.status === "fulfilled" ? await execRaw(a) : await execRaw(b)
      expect(replay.Transaction?.digest).toBe(winner!.Transaction!.digest)
    } finally {
      net.faults.resumeCheckpoints()
    }
    // the winner's output version is usable
    const fresh = (await coinsOf(owner)).find((c) => c.objectId === gas.objectId)!
    expect(BigInt(fresh.version)).toBeGreaterThan(BigInt(gas.version))
    expect((await execRaw(await buildSigned(mk(13), { sender: owner, gas: fresh, signer: admin }))).$kind).toBe("Transaction")
  })

  it("reports a Move abort with its location and still charges gas", async () => {
    const owner = coordinator.toSuiAddress()
    const gas = (await coinsOf(owner)).find((c) => c.balance > 1_000_000_000n)!
    const tx = new Transaction()
    const m = tx.moveCall({
      target: `${net.manifest.packageId}::app_method::new`,
      arguments: [tx.pure.option("string", null), tx.pure.string("d"), tx.pure.string("a"), tx.pure.string("m")]
    })
    tx.moveCall({
      target: `${net.manifest.packageId}::app_instance::add_method_to_instance`,
      arguments: [tx.object(net.manifest.appInstanceId), tx.pure.string("not-admin"), m]
    })
    // the coordinator is not the instance admin: the SDK's own resolution already reports the abort
    await expect(client.signAndExecuteTransaction({ transaction: tx, signer: coordinator })).rejects.toThrow(/MoveAbort|abort/i)
    const { object: inst } = await client.core.getObject({ objectId: net.manifest.appInstanceId })
    const initial = (inst.owner as { Shared: { initialSharedVersion: string } }).Shared.initialSharedVersion
    const tx2 = new Transaction()
    const m2 = tx2.moveCall({
      target: `${net.manifest.packageId}::app_method::new`,
      arguments: [tx2.pure.option("string", null), tx2.pure.string("d"), tx2.pure.string("a"), tx2.pure.string("m")]
    })
    tx2.moveCall({
      target: `${net.manifest.packageId}::app_instance::add_method_to_instance`,
      arguments: [tx2.sharedObjectRef({ objectId: net.manifest.appInstanceId, initialSharedVersion: initial, mutable: true }), tx2.pure.string("not-admin"), m2]
    })
    const r = await execRaw(await buildSigned(tx2, { sender: owner, gas, signer: coordinator }))
    expect(r.$kind).toBe("FailedTransaction")
    const err = r.FailedTransaction!.status.error!
    expect(err.$kind).toBe("MoveAbort")
    const abort = (err as { MoveAbort: { location?: { module?: string; functionName?: string }; abortCode: string } }).MoveAbort
    expect(abort.location?.module).toBe("app_instance")
    expect(abort.location?.functionName).toBe("add_method_to_instance")
    expect(BigInt(r.FailedTransaction!.effects!.gasUsed.computationCost)).toBeGreaterThan(0n)
    const after = await client.core.getObject({ objectId: gas.objectId })
    expect(BigInt(after.object.version)).toBeGreaterThan(BigInt(gas.version))
    // the instance was bumped (mutable shared input) but its methods are unchanged
    const json = (await client.core.getObject({ objectId: net.manifest.appInstanceId, include: { json: true } })).object.json as any
    expect((json.methods.contents as Array<{ key: string }>).some((e) => e.key === "not-admin")).toBe(false)
  })
})
