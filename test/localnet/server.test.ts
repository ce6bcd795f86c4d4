/**
 * The localnet's gRPC surface through SuiGrpcClient over native gRPC: service info, epoch, objects,
 * read masks, status codes, owned objects and balances, Move functions, execution faults
 * (UNAVAILABLE, version conflict, latency, paused checkpoints), the Unix socket listener, the
 * Effect wrapper, and a restart from the state file.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ChannelCredentials } from "@grpc/grpc-js"
import { SuiGrpcClient } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { GrpcTransport } from "@protobuf-ts/grpc-transport"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Localnet, type LocalnetHandle, startLocalnet } from "../../src/localnet/index.js"
import { drain, eventually, grpcClient, GrpcTypes, sleep, statusOf } from "./serverHelpers.js"

let net: LocalnetHandle
let client: SuiGrpcClient
let admin: Ed25519Keypair

/** A real signed transaction: split 1000 MIST off the gas coin and send it to the sender. */
const transferTx = (owner: string) => {
  const tx = new Transaction()
  const [coin] = tx.splitCoins(tx.gas, [1000])
  tx.transferObjects([coin!], owner)
  return tx
}

const execTransfer = (c: SuiGrpcClient, signer: Ed25519Keypair) =>
  c.signAndExecuteTransaction({ transaction: transferTx(signer.toSuiAddress()), signer, include: { effects: true } })

beforeAll(async () => {
  net = await startLocalnet({ port: 0, checkpointMs: 50 })
  client = grpcClient(net.manifest)
  admin = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin)
})

afterAll(async () => {
  await net?.close()
})

describe("reads", () => {
  it("serves service info, chain id, the epoch's gas price and the manifest's objects", async () => {
    const info = (await client.ledgerService.getServiceInfo({})).response
    expect(info.chainId).toBe(net.manifest.chainId)
    expect(info.lowestAvailableCheckpoint).toBe(0n)
    expect(info.checkpointHeight).toBeGreaterThanOrEqual(0n)
    expect((await client.getChainIdentifier()).chainIdentifier).toBe(net.manifest.chainId)
    expect(BigInt((await client.getReferenceGasPrice()).referenceGasPrice)).toBeGreaterThan(0n)

    const { objects } = await client.getObjects({
      objectIds: [net.manifest.appInstanceId, net.manifest.registryId, "0x6"],
      include: { json: true }
    })
    for (const o of objects) expect(o).not.toBeInstanceOf(Error)
    const [app, registry, clock] = objects as Array<{ type: string; owner: unknown; json: unknown }>
    expect(app!.type).toMatch(/::app_instance::AppInstance$/)
    expect(registry!.type).toMatch(/::registry::SilvanaRegistry$/)
    expect(clock!.type).toBe("0x0000000000000000000000000000000000000000000000000000000000000002::clock::Clock")
    expect(app!.json).not.toBeNull()
  })

  it("honours read masks and their documented defaults", async () => {
    const plain = (await client.ledgerService.getObject({ objectId: net.manifest.appInstanceId })).response.object!
    expect(plain.objectId).toBeDefined()
    expect(plain.version).toBeDefined()
    expect(plain.digest).toBeDefined()
    expect(plain.objectType).toBeUndefined()
    expect(plain.owner).toBeUndefined()
    const typed = (await client.ledgerService.getObject({ objectId: net.manifest.appInstanceId, readMask: { paths: ["object_type", "owner"] } }))
      .response.object!
    expect(typed.objectType).toMatch(/AppInstance/)
    expect(typed.owner).toBeDefined()
    expect(typed.version).toBeUndefined()
    const cp = (await client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: undefined } })).response.checkpoint!
    expect(cp.sequenceNumber).toBeDefined()
    expect(cp.digest).toBeDefined()
    expect(cp.summary).toBeUndefined()
    const summary = (
      await client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: undefined }, readMask: { paths: ["summary.timestamp"] } })
    ).response.checkpoint!
    expect(summary.summary?.timestamp).toBeDefined()
    expect(summary.summary?.digest).toBeUndefined()
    expect(summary.digest).toBeUndefined()
  })

  it("answers NOT_FOUND, INVALID_ARGUMENT and UNIMPLEMENTED like a full node", async () => {
    const missing = "0x" + "de".repeat(32)
    expect(await statusOf(client.ledgerService.getObject({ objectId: missing }).response)).toBe("NOT_FOUND")
    expect(await statusOf(client.ledgerService.getObject({}).response)).toBe("INVALID_ARGUMENT")
    expect(
      await statusOf(client.ledgerService.getObject({ objectId: net.manifest.appInstanceId, readMask: { paths: ["no_such_field"] } }).response)
    ).toBe("INVALID_ARGUMENT")
    expect(await statusOf(client.ledgerService.getTransaction({ digest: "11111111111111111111111111111111" }).response)).toBe("NOT_FOUND")
    expect(await statusOf(client.getTransaction({ digest: "11111111111111111111111111111111" }))).not.toBe("OK")
    expect(
      await statusOf(client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: 1n << 40n } }).response)
    ).toBe("NOT_FOUND")
    expect(await statusOf(client.ledgerService.getEpoch({ epoch: 99n }).response)).toBe("NOT_FOUND")
    expect(await statusOf(client.nameService.lookupName({ name: "x.sui" }).response)).toBe("UNIMPLEMENTED")
    // A batch reports per entry.
    const { objects } = await client.getObjects({ objectIds: [net.manifest.appInstanceId, missing] })
    expect(objects[0]).not.toBeInstanceOf(Error)
    expect(objects[1]).toBeInstanceOf(Error)
  })

  it("pages owned coins and reports balances", async () => {
    const owner = admin.toSuiAddress()
    const ids = new Set<string>()
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Awaited<ReturnType<SuiGrpcClient["listCoins"]>> = await client.listCoins({ owner, limit: 3, ...(cursor ? { cursor } : {}) })
      for (const c of page.objects) ids.add(c.objectId)
      cursor = page.hasNextPage ? page.cursor : null
      pages++
    } while (cursor !== null && pages < 100)
    expect(pages).toBeGreaterThan(1)
    const all = await client.listCoins({ owner, limit: 1000 })
    expect(ids.size).toBe(all.objects.length)
    const total = all.objects.reduce((s, c) => s + BigInt(c.balance), 0n)
    const { balance } = await client.getBalance({ owner })
    expect(BigInt(balance.balance)).toBe(total)
    const balances = await client.listBalances({ owner })
    expect(balances.balances.map((b) => b.coinType)).toContain("0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI")
  })

  it("describes the coordination package's functions", async () => {
    const { function: fn } = await client.getMoveFunction({
      packageId: net.manifest.packageId,
      moduleName: "app_instance",
      name: "start_app_job"
    })
    expect(fn.name).toBe("start_app_job")
    expect(fn.parameters.length).toBeGreaterThanOrEqual(3)
    expect(
      await statusOf(client.getMoveFunction({ packageId: net.manifest.packageId, moduleName: "app_instance", name: "nope" }))
    ).toBe("NOT_FOUND")
  })
})

describe("execution faults", () => {
  it("fails the next K executions with UNAVAILABLE, then executes again", async () => {
    net.faults.failNextExecutions(2, "unavailable")
    expect(await statusOf(execTransfer(client, admin))).toBe("UNAVAILABLE")
    expect(await statusOf(execTransfer(client, admin))).toBe("UNAVAILABLE")
    const ok = await execTransfer(client, admin)
    expect(ok.$kind).toBe("Transaction")
  })

  it("injects version conflicts with the code a real stale owned object gets", async () => {
    net.faults.failNextExecutions(1, "version-conflict")
    const injected = await statusOf(execTransfer(client, admin))
    expect(injected).toBe("INVALID_ARGUMENT")
    // A real stale version: reuse a gas coin reference after the coin has moved on.
    const coins = await client.listCoins({ owner: admin.toSuiAddress(), limit: 1 })
    const coin = coins.objects[0]!
    const stale = { objectId: coin.objectId, version: coin.version, digest: coin.digest }
    const first = transferTx(admin.toSuiAddress())
    first.setGasPayment([stale])
    await client.signAndExecuteTransaction({ transaction: first, signer: admin })
    const second = transferTx(admin.toSuiAddress())
    second.setGasPayment([stale])
    second.setGasBudget(10_000_000)
    second.setGasPrice(BigInt((await client.getReferenceGasPrice()).referenceGasPrice))
    expect(await statusOf(client.signAndExecuteTransaction({ transaction: second, signer: admin }))).toBe(injected)
  })

  it("adds latency to every call", async () => {
    net.faults.setLatencyMs(300)
    try {
      const t0 = Date.now()
      await client.ledgerService.getServiceInfo({})
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    } finally {
      net.faults.setLatencyMs(0)
    }
  })

  it("pauses and resumes checkpoint production", async () => {
    net.faults.pauseCheckpoints()
    try {
      const h1 = (await client.ledgerService.getServiceInfo({})).response.checkpointHeight!
      const result = await execTransfer(client, admin)
      const digest = result.Transaction!.digest
      await sleep(300)
      const h2 = (await client.ledgerService.getServiceInfo({})).response.checkpointHeight!
      expect(h2).toBe(h1)
      const tx = (await client.ledgerService.getTransaction({ digest, readMask: { paths: ["digest", "checkpoint"] } })).response.transaction!
      expect(tx.checkpoint).toBeUndefined()
    } finally {
      net.faults.resumeCheckpoints()
    }
    const h3 = await eventually(async () => {
      const h = (await client.ledgerService.getServiceInfo({})).response.checkpointHeight!
      return h > 0n ? h : undefined
    })
    expect(h3).toBeGreaterThan(0n)
  })

  it("reaches the faults through the admin endpoint", async () => {
    const r = await fetch(`${net.adminUrl}/faults/fail-next-executions?count=1&kind=unavailable`, { method: "POST" })
    expect(r.status).toBe(200)
    expect(await statusOf(execTransfer(client, admin))).toBe("UNAVAILABLE")
    expect((await fetch(`${net.adminUrl}/faults/nope`, { method: "POST" })).status).toBe(404)
    const status = (await (await fetch(`${net.adminUrl}/status`)).json()) as { checkpointHeight: string }
    expect(BigInt(status.checkpointHeight)).toBeGreaterThan(0n)
  })
})

describe("transaction queries", () => {
  it("lists and streams transactions matching a TransactionFilter", async () => {
    const signer = Ed25519Keypair.fromSecretKey(net.manifest.keys.coordinator)
    const bySender: GrpcTypes.TransactionFilter = {
      terms: [{ literals: [{ negated: false, predicate: { oneofKind: "sender", sender: { address: signer.toSuiAddress() } } }] }]
    }
    const abort = new AbortController()
    const live = client.subscriptionService.subscribeTransactions({ filter: bySender }, { abort: abort.signal })
    const it = live.responses[Symbol.asyncIterator]()
    await it.next()
    const from = (await client.ledgerService.getServiceInfo({})).response.checkpointHeight! + 1n
    const digests: string[] = []
    for (let i = 0; i < 3; i++) digests.push((await execTransfer(client, signer)).Transaction!.digest)
    await execTransfer(client, admin)
    const streamed: string[] = []
    while (streamed.length < 3) {
      const f = (await it.next()).value as GrpcTypes.SubscribeTransactionsResponse
      if (f.transaction) streamed.push(f.transaction.digest!)
    }
    abort.abort()
    expect(streamed).toEqual(digests)
    const listed = await eventually(async () => {
      const frames = await drain(client.ledgerService.listTransactions({ startCheckpoint: from, filter: bySender }).responses)
      const got = frames.flatMap((f) => (f.transaction ? [f.transaction.digest!] : []))
      return got.length >= 3 ? got : undefined
    })
    expect(listed).toEqual(digests)
  })
})

describe("listeners and lifecycle", () => {
  it("serves the same API on a Unix socket, and Localnet.make closes with its scope", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "localnet-sock-"))
    const socketPath = path.join(dir, "sui.sock")
    const chainId = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const h = yield* Localnet.make({ port: 0, socketPath, checkpointMs: 100 })
          const viaSocket = new SuiGrpcClient({
            network: "localnet",
            transport: new GrpcTransport({ host: `unix:${socketPath}`, channelCredentials: ChannelCredentials.createInsecure() })
          })
          const id = yield* Effect.promise(() => viaSocket.getChainIdentifier())
          expect(id.chainIdentifier).toBe(h.manifest.chainId)
          return h.manifest.chainId
        })
      )
    )
    expect(chainId.length).toBeGreaterThan(0)
    expect(fs.existsSync(socketPath)).toBe(false)
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("restarts from its state file with the same chain, keys, objects and history", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "localnet-state-"))
    const stateFile = path.join(dir, "state.json")
    const first = await startLocalnet({ port: 0, stateFile, checkpointMs: 50 })
    const c1 = grpcClient(first.manifest)
    const signer = Ed25519Keypair.fromSecretKey(first.manifest.keys.coordinator)
    const done = await execTransfer(c1, signer)
    const digest = done.Transaction!.digest
    const cp = await eventually(async () => {
      const t = (await c1.ledgerService.getTransaction({ digest, readMask: { paths: ["checkpoint"] } })).response.transaction
      return t?.checkpoint
    })
    const cpDigest = (await c1.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: cp } })).response
      .checkpoint!.digest
    const app1 = (await c1.ledgerService.getObject({ objectId: first.manifest.appInstanceId })).response.object!
    const balance1 = (await c1.getBalance({ owner: signer.toSuiAddress() })).balance.balance
    await first.close()
    expect(fs.existsSync(stateFile)).toBe(true)

    const second = await startLocalnet({ port: 0, stateFile, checkpointMs: 50 })
    try {
      const c2 = grpcClient(second.manifest)
      const { grpcUrl: _a, ...m1 } = first.manifest
      const { grpcUrl: _b, ...m2 } = second.manifest
      expect(m2).toEqual(m1)
      const tx = (await c2.ledgerService.getTransaction({ digest, readMask: { paths: ["digest", "checkpoint"] } })).response.transaction!
      expect(tx.checkpoint).toBe(cp)
      const again = (await c2.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: cp } })).response
        .checkpoint!
      expect(again.digest).toBe(cpDigest)
      const app2 = (await c2.ledgerService.getObject({ objectId: second.manifest.appInstanceId })).response.object!
      expect(app2.version).toBe(app1.version)
      expect((await c2.getBalance({ owner: signer.toSuiAddress() })).balance.balance).toBe(balance1)
      // The restored chain keeps going: new checkpoints follow the old ones and transactions run.
      const next = await execTransfer(c2, signer)
      expect(next.$kind).toBe("Transaction")
      const h = (await c2.ledgerService.getServiceInfo({})).response.checkpointHeight!
      expect(h).toBeGreaterThanOrEqual(cp)
      expect(await drain(c2.ledgerService.listCheckpoints({ startCheckpoint: cp, endCheckpoint: cp + 1n }).responses)).toHaveLength(2)
    } finally {
      await second.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
