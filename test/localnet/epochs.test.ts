/**
 * Epochs (`--epoch-ms`): the first checkpoint after an epoch's length opens the next one, with the
 * reference gas price raised by the step; past epochs stay readable with their bounds; a
 * transaction whose expiration epoch is over, or priced under the new reference gas price, is
 * refused with a full node's code and text; a replay of the state opens the same epochs.
 */
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { LocalChain } from "../../src/localnet/chain.js"
import { startLocalnet, type LocalnetHandle } from "../../src/localnet/index.js"
import { eventually, grpcClient } from "./serverHelpers.js"

describe("epochs on a manual clock", () => {
  it("ends an epoch with the first checkpoint after its length, carrying the end-of-epoch data; the next opens the next epoch at a raised gas price", () => {
    const chain = LocalChain.genesis({ clock: "manual", startTimeMs: 1_000_000, epochMs: 1_000, epochGasPriceStep: 100n })
    expect(chain.epoch()?.epoch).toBe(0n)
    chain.advanceClock(999)
    const during = chain.sealCheckpoint()
    expect(during.summary?.epoch).toBe(0n)
    expect(during.summary?.endOfEpochData).toBeUndefined()
    chain.advanceClock(1)
    const last = chain.sealCheckpoint()
    // crates/sui-types/src/messages_checkpoint.rs: next_epoch_committee is set iff the checkpoint is its epoch's last
    expect(last.summary?.epoch).toBe(0n)
    expect(last.summary?.endOfEpochData?.nextEpochProtocolVersion).toBe(1n)
    expect(last.summary?.endOfEpochData?.nextEpochCommittee).toHaveLength(1)
    expect(last.summary?.endOfEpochData?.nextEpochCommittee[0]).toMatchObject({ weight: 10_000n })
    expect(last.summary?.endOfEpochData?.nextEpochCommittee[0]?.publicKey).toHaveLength(96)
    expect(chain.referenceGasPrice()).toBe(1_100n)
    const first = chain.sealCheckpoint()
    expect(first.summary?.epoch).toBe(1n)
    expect(first.summary?.endOfEpochData).toBeUndefined()
    expect(chain.epoch(0n)).toMatchObject({ epoch: 0n, firstCheckpoint: 0n, lastCheckpoint: last.sequenceNumber, referenceGasPrice: 1_000n })
    expect(chain.epoch(0n)?.end).toEqual(last.summary?.timestamp)
    expect(chain.epoch(1n)).toMatchObject({ epoch: 1n, firstCheckpoint: first.sequenceNumber, referenceGasPrice: 1_100n })
    expect(chain.epoch(1n)?.start).toEqual(last.summary?.timestamp)
    expect(chain.epoch(1n)?.committee?.members).toEqual(last.summary?.endOfEpochData?.nextEpochCommittee)
    expect(chain.epoch(1n)?.lastCheckpoint).toBeUndefined()
    expect(chain.epoch(2n)).toBeUndefined()
    // a state saved and restored keeps its epochs and its rules
    const restored = LocalChain.restore(chain.snapshot(), { clock: "manual" })
    expect(restored.epoch()?.epoch).toBe(1n)
    restored.advanceClock(1_000)
    const lastOfOne = restored.sealCheckpoint()
    expect(lastOfOne.summary?.epoch).toBe(1n)
    expect(lastOfOne.summary?.endOfEpochData).toBeDefined()
    expect(restored.sealCheckpoint().summary?.epoch).toBe(2n)
    expect(restored.referenceGasPrice()).toBe(1_200n)
  })

  it("without --epoch-ms the chain stays in epoch 0", () => {
    const chain = LocalChain.genesis({ clock: "manual" })
    chain.advanceClock(10 * 86_400_000)
    expect(chain.sealCheckpoint().summary?.epoch).toBe(0n)
    expect(chain.referenceGasPrice()).toBe(1_000n)
  })
})

describe("epochs over gRPC", () => {
  let net: LocalnetHandle
  beforeAll(async () => {
    net = await startLocalnet({ port: 0, checkpointMs: 50, epochMs: 300, epochGasPriceStep: 10n })
  })
  afterAll(async () => {
    await net?.close()
  })

  const refusal = async (p: Promise<unknown>) => {
    try {
      await p
    } catch (e) {
      return { code: String((e as { code?: unknown }).code), message: (e as Error).message }
    }
    throw new Error("the transaction was not refused")
  }

  it("refuses an expired transaction and one priced under the new reference gas price", async () => {
    const client = grpcClient(net.manifest)
    const key = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin)
    const epoch = await eventually(async () => {
      const { response } = await client.ledgerService.getEpoch({ readMask: { paths: ["epoch", "reference_gas_price"] } })
      return (response.epoch?.epoch ?? 0n) >= 1n ? response.epoch! : undefined
    }, 30_000)
    expect(epoch.referenceGasPrice).toBe(1_000n + 10n * epoch.epoch!)
    const { response: past } = await client.ledgerService.getEpoch({ epoch: 0n, readMask: { paths: ["epoch", "first_checkpoint", "last_checkpoint", "end"] } })
    expect(past.epoch?.lastCheckpoint).toBeGreaterThanOrEqual(0n)
    expect(past.epoch?.end).toBeDefined()

    const build = async (configure: (tx: Transaction) => void) => {
      const tx = new Transaction()
      tx.setSender(key.toSuiAddress())
      tx.transferObjects([tx.splitCoins(tx.gas, [tx.pure.u64(1)])[0]!], tx.pure.address(key.toSuiAddress()))
      tx.setGasBudget(10_000_000n)
      // gas chosen here: the SDK then builds without simulating (a simulation would refuse it first)
      const { objects } = await client.core.listCoins({ owner: key.toSuiAddress(), limit: 1 })
      tx.setGasPayment([{ objectId: objects[0]!.objectId, version: objects[0]!.version, digest: objects[0]!.digest }])
      configure(tx)
      const bytes = await tx.build({ client })
      return client.core.executeTransaction({ transaction: bytes, signatures: [(await key.signTransaction(bytes)).signature] })
    }
    const expired = await refusal(build((tx) => {
      tx.setGasPrice(1_000_000n)
      tx.setExpiration({ Epoch: Number(epoch.epoch! - 1n) })
    }))
    expect(`${expired.code}: ${expired.message}`).toMatch(/^INVALID_ARGUMENT/)
    expect(expired.message).toMatch(/Transaction Expired/)
    const cheap = await refusal(build((tx) => tx.setGasPrice(1_000n)))
    expect(cheap.code).toBe("INVALID_ARGUMENT")
    expect(cheap.message).toMatch(/Gas price 1000 under reference gas price \(RGP\) \d+/)
    // the SDK reads the current price; with 300 ms epochs one may end between its read and the
    // execution (then the node names the new price, and asking again succeeds)
    const sdkTransfer = async (attempt = 0): Promise<Awaited<ReturnType<typeof client.signAndExecuteTransaction<{ effects: true }>>>> => {
      const tx = new Transaction()
      tx.transferObjects([tx.splitCoins(tx.gas, [tx.pure.u64(1)])[0]!], tx.pure.address(key.toSuiAddress()))
      try {
        return await client.signAndExecuteTransaction({ transaction: tx, signer: key, include: { effects: true } })
      } catch (e) {
        if (attempt >= 10 || !/under reference gas price/.test(String(e))) throw e
        return sdkTransfer(attempt + 1)
      }
    }
    const ok = await sdkTransfer()
    expect(ok.$kind).toBe("Transaction")
    expect(BigInt(ok.Transaction!.effects!.gasUsed.computationCost)).toBeGreaterThan(1_000n * 1_000n)
  }, 60_000)

  it("the last checkpoint of an epoch carries the end-of-epoch data, and GetEpoch the committee", async () => {
    const client = grpcClient(net.manifest)
    const ended = await eventually(async () => {
      const { response } = await client.ledgerService.getEpoch({ epoch: 0n, readMask: { paths: ["epoch", "last_checkpoint", "committee"] } })
      return response.epoch?.lastCheckpoint !== undefined ? response.epoch : undefined
    }, 30_000)
    const mask = { paths: ["sequence_number", "summary.epoch", "summary.end_of_epoch_data"] }
    const at = async (seq: bigint) => (await client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: seq }, readMask: mask })).response.checkpoint!
    const last = await at(ended.lastCheckpoint!)
    expect(last.summary?.epoch).toBe(0n)
    expect(last.summary?.endOfEpochData?.nextEpochProtocolVersion).toBe(1n)
    expect(last.summary?.endOfEpochData?.nextEpochCommittee).toEqual(ended.committee?.members)
    const next = await eventually(async () => {
      const tip = (await client.ledgerService.getServiceInfo({})).response.checkpointHeight!
      return tip > ended.lastCheckpoint! ? at(ended.lastCheckpoint! + 1n) : undefined
    })
    expect(next.summary?.epoch).toBe(1n)
    expect(next.summary?.endOfEpochData).toBeUndefined()
    if (ended.lastCheckpoint! > 0n) expect((await at(ended.lastCheckpoint! - 1n)).summary?.endOfEpochData).toBeUndefined()
  }, 60_000)

})

describe("the per-epoch lock table", () => {
  let net: LocalnetHandle
  beforeAll(async () => {
    net = await startLocalnet({ port: 0, checkpointMs: 50, epochMs: 2_000 })
  })
  afterAll(async () => {
    await net?.close()
  })

  it("a version locked by a competing transaction stays locked until the epoch ends", async () => {
    const client = grpcClient(net.manifest)
    const key = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin)
    const { objects } = await client.core.listCoins({ owner: key.toSuiAddress(), limit: 1 })
    const tx = new Transaction()
    tx.setSender(key.toSuiAddress())
    tx.transferObjects([tx.splitCoins(tx.gas, [tx.pure.u64(1)])[0]!], tx.pure.address(key.toSuiAddress()))
    tx.setGasBudget(10_000_000n)
    tx.setGasPrice(1_000n)
    tx.setGasPayment([{ objectId: objects[0]!.objectId, version: objects[0]!.version, digest: objects[0]!.digest }])
    const bytes = await tx.build({ client })
    const { signature } = await key.signTransaction(bytes)
    const exec = () => client.core.executeTransaction({ transaction: bytes, signatures: [signature] })
    const outcome = () => exec().then(() => ({ code: "OK", message: "" }), (e: Error & { code?: unknown }) => ({ code: String(e.code), message: e.message }))
    const epochNow = async () => (await client.ledgerService.getEpoch({})).response.epoch!.epoch!
    const lockedIn = await epochNow()
    net.faults.failNextExecutions(1, "lock-conflict")
    const first = await outcome()
    expect(first.code).toBe("FAILED_PRECONDITION")
    const holder = /already locked by a different transaction: TransactionDigest\((\w+)\)/.exec(first.message)?.[1]
    expect(holder).toBeDefined()
    // no fault injected now: the lock (same holder) refuses the transaction while the epoch lasts
    const again = await outcome()
    if ((await epochNow()) === lockedIn) {
      expect(again.code).toBe("FAILED_PRECONDITION")
      expect(again.message).toContain(`TransactionDigest(${holder})`)
      await eventually(async () => ((await epochNow()) > lockedIn ? true : undefined), 30_000)
      // the next epoch's table is empty: the same bytes execute
      expect((await outcome()).code).toBe("OK")
    } else expect(again.code).toBe("OK")
  }, 60_000)
})
