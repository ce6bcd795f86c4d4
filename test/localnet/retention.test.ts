/**
 * A long-running node with a state file (the embedded demo's) keeps a window of history: with
 * `retainCheckpoints` older checkpoints and their transactions are pruned as new ones are sealed,
 * so the state file and its log stop growing. Here a node seals checkpoints fast while a sender
 * executes transactions that leave no new objects behind. After three and after eight windows of
 * checkpoints the saved snapshot holds only the window (checkpoints and their transactions), its
 * objects do not grow, the log segments older than the snapshot are gone, and a restart keeps the
 * window. Sizes are compared per part, never as a whole: how many transactions land in a window
 * depends on how busy the machine is, and that is not what is under test.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { afterEach, describe, expect, it } from "vitest"
import { makeSuiClient } from "../../src/localnet/client.js"
import { type LocalnetHandle, startLocalnet } from "../../src/localnet/index.js"
import { loadState } from "../../src/localnet/server/persist.js"
import { listSegments } from "../../src/localnet/server/wal.js"
import { waitUntil } from "../support/wait.js"

const WINDOW = 100
/** The pruner runs as checkpoints are sealed; a save may land between a seal and its prune. */
const SLACK = WINDOW / 10

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
    /** Waits for `checkpoints`, then for a save after it, and reads what that save put on disk. */
    const savedAt = async (checkpoints: number) => {
      await waitUntil(`checkpoint ${checkpoints}`, () => height() >= BigInt(checkpoints), { progress: height })
      // the window holds however far the chain has gone
      expect(height() - n.chain.lowestAvailableCheckpoint()).toBeLessThanOrEqual(WINDOW + SLACK)
      const before = fs.statSync(stateFile).mtimeMs
      await waitUntil("the next save of the state file", () => fs.statSync(stateFile).mtimeMs > before)
      const snapshot = loadState(stateFile)!
      const walSegment = snapshot["walSegment"] as number
      return {
        checkpoints: (snapshot["checkpoints"] as ReadonlyArray<string>).length,
        lowest: BigInt(snapshot["lowest"] as string),
        objectsBytes: JSON.stringify(snapshot["objects"]).length,
        // a segment older than the snapshot's may linger only until the save that wrote it deletes it
        staleSegments: listSegments(stateFile).filter((s) => s < walSegment - 1).length
      }
    }
    const early = await savedAt(3 * WINDOW)
    const late = await savedAt(8 * WINDOW)
    running = false
    await sender
    expect(executed).toBeGreaterThan(0)

    for (const s of [early, late]) {
      // without pruning these would hold 3 and 8 windows of checkpoints
      expect(s.checkpoints).toBeLessThanOrEqual(WINDOW + SLACK)
      expect(s.checkpoints).toBeGreaterThan(0)
      expect(s.staleSegments).toBe(0)
    }
    expect(late.lowest).toBeGreaterThan(BigInt(7 * WINDOW - SLACK))
    // the traffic leaves no object behind: the live objects do not grow with history
    expect(late.objectsBytes).toBeLessThan(early.objectsBytes * 1.1)

    await n.close()
    net = await startLocalnet(options)
    const restarted = net.chain
    expect(restarted.lowestAvailableCheckpoint()).toBeGreaterThan(BigInt(7 * WINDOW - SLACK))
    const kept = (restarted.latestCheckpoint().sequenceNumber ?? 0n) - restarted.lowestAvailableCheckpoint()
    expect(kept).toBeLessThanOrEqual(WINDOW + SLACK)
  })
})
