/**
 * The localnet's durability promise with `--state`, tested as an operator's crash would go: the
 * localnet CLI as a child process, four senders executing transactions over gRPC, SIGKILL at 10
 * random moments, restart from the same state file. Every transaction whose effects were returned
 * must be there after the restarts, in the checkpoint it was answered with, and no object version
 * or checkpoint number may be issued twice.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { fromBase64 } from "@mysten/sui/utils"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { makeSuiClient } from "../../src/localnet/client.js"
import type { LocalnetManifest } from "../../src/localnet/index.js"
import { bundleLocalnetCli, type LocalnetProcess, startLocalnetCli } from "../support/localnetCli.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "localnet-durable-"))
const bundle = path.join(dir, "localnet.mjs")
const stateFile = path.join(dir, "state.json")
const manifestFile = path.join(dir, "manifest.json")
let node: LocalnetProcess | undefined

// A retried attempt must not find the previous attempt's node still running on the same file.
afterEach(async () => {
  await node?.kill()
  node = undefined
  for (const f of fs.readdirSync(dir)) if (f !== path.basename(bundle)) fs.rmSync(path.join(dir, f), { force: true })
})
// One bundled file starts in a fraction of the time the TypeScript loader needs: eleven restarts.
beforeAll(() => bundleLocalnetCli(bundle), 120_000)
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Starts the localnet CLI on the state file and waits for its manifest. */
const startNode = async (extra: ReadonlyArray<string> = []): Promise<LocalnetManifest> => {
  node = await startLocalnetCli(bundle, manifestFile, ["--port", "0", "--state", stateFile, "--checkpoint-ms", "per-transaction", ...extra])
  return node.manifest
}

const killNode = () => node!.kill()

interface Ack {
  readonly digest: string
  readonly lane: number
  readonly gasVersion: bigint
  readonly checkpoint: bigint
}

interface GasRef {
  objectId: string
  version: string
  digest: string
}

// DURABILITY_TOTAL / DURABILITY_KILLS shrink the run for a quick local check.
const TOTAL = Number(process.env["DURABILITY_TOTAL"] ?? 1_000)
const KILLS = Number(process.env["DURABILITY_KILLS"] ?? 10)

describe("localnet durability with --state", () => {
  it(`SIGKILL at ${KILLS} random moments during ${TOTAL} acknowledged transactions: all present after restart, no sequence reused`, async () => {
    const acks: Array<Ack> = []
    const errors: Array<string> = []
    // kill points: random acknowledged counts, plus a random delay so the kill lands mid-flight
    const killAt = Array.from({ length: KILLS }, () => 40 + Math.floor(Math.random() * (TOTAL - 80))).sort((a, b) => a - b)
    let manifest = await startNode()
    const signer = Ed25519Keypair.fromSecretKey(manifest.keys.admin)
    const sender = signer.toSuiAddress()
    let client = makeSuiClient(manifest.grpcUrl)
    const coins = (await client.core.listCoins({ owner: sender })).objects.slice(0, 4)
    expect(coins.length).toBe(4)
    const lanes: Array<GasRef> = coins.map((c) => ({ objectId: c.objectId, version: c.version, digest: c.digest }))

    const runLane = async (lane: number, stop: () => boolean) => {
      for (;;) {
        if (stop() || acks.length >= TOTAL) return
        const gas = lanes[lane]!
        const tx = new Transaction()
        tx.setSender(sender)
        tx.setGasPrice(1_000)
        tx.setGasBudget(50_000_000)
        tx.setGasPayment([gas])
        const [coin] = tx.splitCoins(tx.gas, [tx.pure.u64(1)])
        tx.transferObjects([coin!], tx.pure.address(sender))
        const bytes = await tx.build()
        const { signature } = await signer.signTransaction(bytes)
        let res
        try {
          res = await client.transactionExecutionService.executeTransaction({
            transaction: { bcs: { value: bytes } },
            signatures: [{ bcs: { value: fromBase64(signature) }, signature: { oneofKind: undefined } }],
            readMask: { paths: ["digest", "effects", "checkpoint"] }
          }).response
        } catch (e) {
          if (stop()) return // the node went away: this transaction was not acknowledged
          // a rejection while the node lives: say why, read the gas coin anew and go on
          errors.push(`lane ${lane}: ${(e as Error).message}`)
          if (errors.length > 20) throw new Error(`too many rejected transactions: ${errors.slice(0, 5).join("; ")}`)
          try {
            const o = await client.core.getObject({ objectId: gas.objectId })
            lanes[lane] = { objectId: o.object.objectId, version: o.object.version, digest: o.object.digest }
          } catch {
            return // the node is going away
          }
          continue
        }
        const t = res.transaction!
        const g = t.effects!.gasObject!
        acks.push({ digest: t.digest!, lane, gasVersion: g.outputVersion!, checkpoint: t.checkpoint! })
        lanes[lane] = { objectId: gas.objectId, version: g.outputVersion!.toString(), digest: g.outputDigest! }
      }
    }

    for (let life = 0; life <= KILLS; life++) {
      const target = life < KILLS ? killAt[life]! : TOTAL
      let dead = false
      const running = lanes.map((_, i) => runLane(i, () => dead))
      if (life < KILLS) {
        const waitUntil = Date.now() + 120_000
        while (acks.length < target) {
          if (Date.now() > waitUntil) throw new Error(`no progress at ${acks.length} acknowledged (life ${life}); errors: ${errors.join("; ")}`)
          await new Promise((r) => setTimeout(r, 2))
        }
        await new Promise((r) => setTimeout(r, Math.random() * 30))
        dead = true
        await killNode()
      }
      await Promise.all(running)
      console.log(`durability: life ${life} ended at ${acks.length} acknowledged`)
      if (life === KILLS) break
      manifest = await startNode()
      client = makeSuiClient(manifest.grpcUrl)
      // a transaction in flight at the kill may or may not have been executed: read each gas coin anew
      for (let i = 0; i < lanes.length; i++) {
        const o = await client.core.getObject({ objectId: lanes[i]!.objectId })
        const version = BigInt(o.object.version)
        expect(version).toBeGreaterThanOrEqual(BigInt(lanes[i]!.version))
        lanes[i] = { objectId: o.object.objectId, version: o.object.version, digest: o.object.digest }
      }
    }
    expect(acks.length).toBeGreaterThanOrEqual(TOTAL)

    // one more crash, then every acknowledged transaction is read back
    await killNode()
    manifest = await startNode()
    client = makeSuiClient(manifest.grpcUrl)
    let present = 0
    const checkpointOf = new Map<bigint, string>()
    for (const a of acks) {
      const r = await client.ledgerService.getTransaction({ digest: a.digest, readMask: { paths: ["digest", "checkpoint", "effects"] } }).response
      if (r.transaction?.digest === a.digest) present += 1
      expect(r.transaction?.checkpoint).toBe(a.checkpoint)
      expect(r.transaction?.effects?.gasObject?.outputVersion).toBe(a.gasVersion)
      // per-transaction checkpoints: one checkpoint number never holds two acknowledged transactions
      expect(checkpointOf.get(a.checkpoint)).toBeUndefined()
      checkpointOf.set(a.checkpoint, a.digest)
    }
    // object versions only grow, per gas coin, across every restart
    for (let lane = 0; lane < lanes.length; lane++) {
      const versions = acks.filter((a) => a.lane === lane).map((a) => a.gasVersion)
      for (let i = 1; i < versions.length; i++) expect(versions[i]! > versions[i - 1]!).toBe(true)
    }
    console.log(`durability: ${acks.length} acknowledged, ${present} present after ${KILLS + 1} SIGKILLs, ${checkpointOf.size} distinct checkpoints`)
    expect(present).toBe(acks.length)
    await killNode()
  }, 1_800_000)

  it("a rollback is durable: after SIGKILL the node restarts on the rolled-back history and goes on from its tip", async () => {
    let manifest = await startNode(["--rewind-depth", "1000"])
    const signer = Ed25519Keypair.fromSecretKey(manifest.keys.admin)
    const sender = signer.toSuiAddress()
    let client = makeSuiClient(manifest.grpcUrl)
    const [coin] = (await client.core.listCoins({ owner: sender })).objects
    let gas: GasRef = { objectId: coin!.objectId, version: coin!.version, digest: coin!.digest }
    // `amount` keeps a transaction after the rollback from being byte-identical to one it undid.
    const send = async (amount = 1) => {
      const tx = new Transaction()
      tx.setSender(sender)
      tx.setGasPrice(1_000)
      tx.setGasBudget(50_000_000)
      tx.setGasPayment([gas])
      const [c] = tx.splitCoins(tx.gas, [tx.pure.u64(amount)])
      tx.transferObjects([c!], tx.pure.address(sender))
      const bytes = await tx.build()
      const { signature } = await signer.signTransaction(bytes)
      const t = (
        await client.transactionExecutionService.executeTransaction({
          transaction: { bcs: { value: bytes } },
          signatures: [{ bcs: { value: fromBase64(signature) }, signature: { oneofKind: undefined } }],
          readMask: { paths: ["digest", "effects", "checkpoint"] }
        }).response
      ).transaction!
      const g = t.effects!.gasObject!
      gas = { objectId: gas.objectId, version: g.outputVersion!.toString(), digest: g.outputDigest! }
      return { digest: t.digest!, lane: 0, gasVersion: g.outputVersion!, checkpoint: t.checkpoint! } satisfies Ack
    }
    const has = async (digest: string) => {
      try {
        return (await client.ledgerService.getTransaction({ digest, readMask: { paths: ["digest"] } }).response).transaction?.digest === digest
      } catch (e) {
        if (/NOT_FOUND/.test(String(e))) return false
        throw e
      }
    }

    const before: Array<Ack> = []
    for (let i = 0; i < 20; i++) before.push(await send())
    // As a node restored from an older backup: the last 10 transactions' checkpoints are gone.
    const { adminUrl } = JSON.parse(fs.readFileSync(`${manifestFile}.admin.json`, "utf8")) as { adminUrl: string }
    const admin = async (fault: string) => {
      const res = await fetch(`${adminUrl}/faults/${fault}`, { method: "POST" })
      expect(res.status, await res.text()).toBe(200)
    }
    // Sealing paused around it, so the count is taken from the tip the rollback starts from.
    await admin("pause-checkpoints")
    const tip = (await client.ledgerService.getServiceInfo({}).response).checkpointHeight!
    // Back to the checkpoint of the 10th transaction (empty heartbeat checkpoints may lie between).
    const target = before[9]!.checkpoint
    await admin(`rollback?count=${tip - target}`)
    expect((await client.ledgerService.getServiceInfo({}).response).checkpointHeight).toBe(target)
    await admin("resume-checkpoints")
    const kept = before.slice(0, 10)
    const undone = before.slice(10)
    expect(undone.every((a) => a.checkpoint > target)).toBe(true)
    const o = await client.core.getObject({ objectId: gas.objectId })
    gas = { objectId: o.object.objectId, version: o.object.version, digest: o.object.digest }
    const after: Array<Ack> = []
    for (let i = 0; i < 5; i++) after.push(await send(2))

    await killNode()
    manifest = await startNode(["--rewind-depth", "1000"])
    client = makeSuiClient(manifest.grpcUrl)
    for (const a of [...kept, ...after]) expect(await has(a.digest), `acknowledged ${a.digest}`).toBe(true)
    for (const a of undone) expect(await has(a.digest), `rolled back ${a.digest}`).toBe(false)
    const height = (await client.ledgerService.getServiceInfo({}).response).checkpointHeight!
    expect(height).toBeGreaterThanOrEqual(after.at(-1)!.checkpoint)
    const now = await client.core.getObject({ objectId: gas.objectId })
    expect(BigInt(now.object.version)).toBe(after.at(-1)!.gasVersion)
    // The next transaction after the restart gets a checkpoint and a version never handed out since the rollback.
    gas = { objectId: now.object.objectId, version: now.object.version, digest: now.object.digest }
    const next = await send(3)
    expect(next.checkpoint).toBeGreaterThan(after.at(-1)!.checkpoint)
    expect(next.gasVersion).toBeGreaterThan(after.at(-1)!.gasVersion)
    await killNode()
  }, 300_000)
})
