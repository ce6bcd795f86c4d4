/**
 * A long-running node with a state file (the embedded demo's) keeps a window of history: with
 * `retainCheckpoints` older checkpoints and their transactions are pruned as new ones are sealed,
 * so the state file and its log stop growing. Here a node seals checkpoints fast while a sender
 * executes transactions that leave no new objects behind; the files on disk after eight windows of
 * checkpoints are no larger than after three, and a restart keeps the window.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { afterEach, describe, expect, it } from "vitest"
import { makeSuiClient } from "../../src/localnet/client.js"
import { type LocalnetHandle, startLocalnet } from "../../src/localnet/index.js"
import { waitUntil } from "../support/wait.js"

const WINDOW = 100

const footprint = (dir: string) => fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0)

let net: LocalnetHandle | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

describe("localnet history retention", () => {
  it("keeps about retainCheckpoints checkpoints: the state on disk stops growing, and a restart keeps the window", { timeout: 600_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "localnet-retain-"))
    const stateFile = path.join(dir, "localnet.json")
    const options = { port: 0, checkpointMs: 5, stateFile, retainCheckpoints: WINDOW, saveEveryMs: 100 }
    net = await startLocalnet(options)
    const n = net
    const admin = Ed25519Keypair.fromSecretKey(n.manifest.keys.admin)
    const client = makeSuiClient(n.manifest.grpcUrl)
    let running = true
    let executed = 0
    // split a coin off the gas coin and merge it back: a transaction in every few checkpoints, no object left behind
    const sender = (async () => {
      while (running) {
        const tx = new Transaction()
        const [coin] = tx.splitCoins(tx.gas, [1])
        tx.mergeCoins(tx.gas, [coin!])
        const r = await client.signAndExecuteTransaction({ transaction: tx, signer: admin })
        if (r.$kind !== "Transaction") throw new Error("a traffic transaction failed")
        executed += 1
      }
    })()
    const height = () => n.chain.latestCheckpoint().sequenceNumber ?? 0n
    const sizeAt = async (checkpoints: number) => {
      await waitUntil(`checkpoint ${checkpoints}`, () => height() >= BigInt(checkpoints), { progress: height })
      // the window holds however far the chain has gone
      expect(height() - n.chain.lowestAvailableCheckpoint()).toBeLessThanOrEqual(WINDOW + WINDOW / 10)
      const saved = fs.statSync(stateFile).mtimeMs
      await waitUntil("the next save of the state file", () => fs.statSync(stateFile).mtimeMs > saved)
      return footprint(dir)
    }
    const early = await sizeAt(3 * WINDOW)
    const late = await sizeAt(8 * WINDOW)
    running = false
    await sender
    expect(executed).toBeGreaterThan(0)
    // without pruning the late state would hold 8/3 as many checkpoints
    expect(late).toBeLessThan(early * 1.3)

    await n.close()
    net = await startLocalnet(options)
    expect(net.chain.lowestAvailableCheckpoint()).toBeGreaterThan(BigInt(5 * WINDOW))
    expect(footprint(dir)).toBeLessThan(early * 1.3)
  })
})
