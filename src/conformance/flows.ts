/**
 * SDK conformance flows: what a dApp does with the public `@mysten/sui` SDK alone (reads,
 * transfers with SDK-resolved gas, executors, negative cases with the status codes a full node
 * answers, streams), runnable against any node. On the localnet it runs inside `npm test`;
 * pointed at devnet it shows where the two differ.
 */
import type { Keypair } from "@mysten/sui/cryptography"
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import { ParallelTransactionExecutor, SerialTransactionExecutor, Transaction } from "@mysten/sui/transactions"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { frameworkFlows } from "./frameworkFlows.js"
import { ledgerFlows } from "./ledgerFlows.js"
import { check, exec, rejected, richestCoin, selfTransfer, withGas, type Ctx, type Flow, type FlowResult } from "./support.js"

export type { Ctx, Flow, FlowResult } from "./support.js"

const flows: ReadonlyArray<Flow> = [
  ["service info", async (c) => {
    const { response } = await c.client.ledgerService.getServiceInfo({})
    check((response.chainId ?? "") !== "", "no chain id")
    return `chain ${response.chainId}, checkpoint ${response.checkpointHeight}`
  }],
  ["reference gas price", async (c) => {
    const p = BigInt((await c.client.getReferenceGasPrice()).referenceGasPrice)
    check(p > 0n, "zero gas price")
    return `${p} MIST`
  }],
  ["coins, balance and object read", async (c) => {
    const coin = await richestCoin(c)
    const { balance } = await c.client.core.getBalance({ owner: c.address })
    check(BigInt(balance.balance) >= coin.balance, "balance below the richest coin")
    const { object } = await c.client.core.getObject({ objectId: coin.objectId })
    check(object.version === coin.version && object.digest === coin.digest, "object read differs from the coin list")
    return `richest coin ${coin.balance} MIST of ${balance.balance}`
  }],
  ["transfer with SDK-resolved gas", async (c) => {
    const r = await c.client.signAndExecuteTransaction({ transaction: selfTransfer(c, 1_000n), signer: c.key, include: { effects: true } })
    check(r.$kind === "Transaction", `not executed: ${JSON.stringify(r.FailedTransaction?.status)}`)
    await c.client.core.waitForTransaction({ digest: r.Transaction!.digest })
    check(r.Transaction!.effects?.gasObject != null, "no gas object in effects")
    return r.Transaction!.digest
  }],
  ["stale gas version → INVALID_ARGUMENT", async (c) => {
    const gas = await richestCoin(c)
    const first = await exec(c, await withGas(c, selfTransfer(c, 1n), gas))
    check(first.$kind === "Transaction", "first transfer failed")
    await c.client.core.waitForTransaction({ digest: first.Transaction!.digest })
    const r = await rejected(exec(c, await withGas(c, selfTransfer(c, 2n), gas)))
    check(r.code === "INVALID_ARGUMENT" && /is not available for consumption/.test(r.message), `${r.code}: ${r.message}`)
    return r.code
  }],
  ["signature over other bytes → INVALID_ARGUMENT", async (c) => {
    const gas = await richestCoin(c)
    const a = await withGas(c, selfTransfer(c, 3n), gas)
    const b = await withGas(c, selfTransfer(c, 4n), gas)
    const r = await rejected(exec(c, { bytes: a.bytes, signature: b.signature }))
    check(r.code === "INVALID_ARGUMENT" && /Invalid user signature/.test(r.message), `${r.code}: ${r.message}`)
    return r.code
  }],
  ["budget held back from the gas coin → InsufficientCoinBalance", async (c) => {
    const gas = await richestCoin(c)
    const budget = 10_000_000n
    const r = await exec(c, await withGas(c, selfTransfer(c, gas.balance - budget + 1n), gas, budget))
    check(r.$kind === "FailedTransaction", "splitting into the budget succeeded")
    await c.client.core.waitForTransaction({ digest: r.FailedTransaction!.digest })
    return r.FailedTransaction!.status.error?.message ?? "failed"
  }],
  ["simulate without gas payment (mock gas coin)", async (c) => {
    const tx = selfTransfer(c, 5n)
    tx.setGasPrice(BigInt((await c.client.getReferenceGasPrice()).referenceGasPrice))
    tx.setGasBudget(10_000_000n)
    tx.setGasPayment([])
    const bytes = await tx.build({ client: c.client })
    const sim = await c.client.core.simulateTransaction({ transaction: bytes, doGasSelection: false, include: { effects: true } })
    const t = sim.$kind === "Transaction" ? sim.Transaction : sim.FailedTransaction
    check(t?.status.success === true, `simulation failed: ${JSON.stringify(t?.status)}`)
    return `gas used ${t!.effects?.gasUsed.computationCost} computation`
  }],
  ["object that does not exist → simulate INVALID_ARGUMENT", async (c) => {
    const tx = new Transaction()
    tx.setSender(c.address)
    tx.transferObjects([tx.object(normalizeSuiAddress("0xdeadc0de"))], tx.pure.address(c.address))
    const r = await rejected(tx.build({ client: c.client }))
    check(/Could not find the referenced object|not found/i.test(r.message), r.message)
    return "rejected"
  }],
  ["expired transaction (epoch) → INVALID_ARGUMENT", async (c) => {
    const epochNow = async () => (await c.client.ledgerService.getEpoch({ readMask: { paths: ["epoch"] } })).response.epoch?.epoch ?? 0n
    // a transaction can only be expired once an epoch has ended (a localnet needs --epoch-ms)
    const deadline = Date.now() + 60_000
    let epoch = await epochNow()
    while (epoch === 0n && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500))
      epoch = await epochNow()
    }
    check(epoch > 0n, "still in epoch 0 after a minute (start the localnet with --epoch-ms)")
    const tx = selfTransfer(c, 12n)
    tx.setExpiration({ Epoch: Number(epoch - 1n) })
    const r = await rejected(exec(c, await withGas(c, tx, await richestCoin(c))))
    check(r.code === "INVALID_ARGUMENT" && /Transaction Expired/i.test(r.message), `${r.code}: ${r.message}`)
    return `epoch ${epoch}: ${r.code}`
  }],
  ["SerialTransactionExecutor", async (c) => {
    const ex = new SerialTransactionExecutor({ client: c.client, signer: c.key })
    for (const n of [6n, 7n]) {
      const r = await ex.executeTransaction(selfTransfer(c, n), { effects: true })
      check(r.$kind === "Transaction", "serial execution failed")
    }
    await ex.waitForLastTransaction()
    return "2 transactions"
  }],
  ["ParallelTransactionExecutor", async (c) => {
    const ex = new ParallelTransactionExecutor({ client: c.client, signer: c.key, coinBatchSize: 3, initialCoinBalance: 50_000_000n, minimumCoinBalance: 20_000_000n, maxPoolSize: 3 })
    const rs = await Promise.all([8n, 9n, 10n].map((n) => ex.executeTransaction(selfTransfer(c, n), { effects: true })))
    check(rs.every((r) => r.$kind === "Transaction"), "a parallel execution failed")
    await ex.waitForLastTransaction()
    return "3 transactions"
  }],
  ["checkpoint stream", async (c) => {
    const ac = new AbortController()
    const call = c.client.subscriptionService.subscribeCheckpoints({ readMask: { paths: ["sequence_number"] } }, { abort: ac.signal })
    const timer = setTimeout(() => ac.abort(), 30_000)
    // a transaction makes sure a new checkpoint comes
    void c.client.signAndExecuteTransaction({ transaction: selfTransfer(c, 11n), signer: c.key }).catch(() => undefined)
    try {
      for await (const m of call.responses) return `checkpoint ${m.cursor ?? m.checkpoint?.sequenceNumber}`
      throw new Error("stream ended without a checkpoint")
    } finally {
      clearTimeout(timer)
      ac.abort()
    }
  }]
]

/** Runs every flow in order; one failing flow does not stop the others. */
export const runConformance = async (
  client: SuiGrpcClient,
  key: Keypair,
  onResult: (r: FlowResult) => void = () => {}
): Promise<FlowResult[]> => {
  const c: Ctx = { client, key, address: key.toSuiAddress() }
  const out: FlowResult[] = []
  for (const [name, run] of [...flows, ...frameworkFlows, ...ledgerFlows]) {
    let r: FlowResult
    try {
      r = { name, ok: true, detail: await run(c) }
    } catch (e) {
      r = { name, ok: false, detail: e instanceof Error ? e.message : String(e) }
    }
    out.push(r)
    onResult(r)
  }
  return out
}
