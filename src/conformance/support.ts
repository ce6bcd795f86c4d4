/** What every conformance flow shares: its context, the flow type, and the small SDK helpers. */
import type { Keypair } from "@mysten/sui/cryptography"
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import { Transaction } from "@mysten/sui/transactions"

/** One flow's outcome. */
export interface FlowResult {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

export interface Ctx {
  readonly client: SuiGrpcClient
  readonly key: Keypair
  readonly address: string
}

export type Ref = { objectId: string; version: string; digest: string }

export const check = (cond: boolean, what: string): void => {
  if (!cond) throw new Error(what)
}

export const richestCoin = async (c: Ctx): Promise<Ref & { balance: bigint }> => {
  const { objects } = await c.client.core.listCoins({ owner: c.address, limit: 50 })
  const best = [...objects].sort((a, b) => (BigInt(b.balance) > BigInt(a.balance) ? 1 : -1))[0]
  if (best === undefined) throw new Error(`${c.address} has no SUI coin`)
  return { objectId: best.objectId, version: best.version, digest: best.digest, balance: BigInt(best.balance) }
}

export const selfTransfer = (c: Ctx, amount: bigint) => {
  const tx = new Transaction()
  tx.setSender(c.address)
  tx.transferObjects([tx.splitCoins(tx.gas, [tx.pure.u64(amount)])[0]!], tx.pure.address(c.address))
  return tx
}

export const withGas = async (c: Ctx, tx: Transaction, gas: Ref, budget = 10_000_000n) => {
  tx.setGasPrice(BigInt((await c.client.getReferenceGasPrice()).referenceGasPrice))
  tx.setGasBudget(budget)
  tx.setGasPayment([gas])
  const bytes = await tx.build({ client: c.client })
  return { bytes, signature: (await c.key.signTransaction(bytes)).signature }
}

export const exec = (c: Ctx, b: { bytes: Uint8Array; signature: string }) =>
  c.client.core.executeTransaction({ transaction: b.bytes, signatures: [b.signature], include: { effects: true } })

/** The gRPC status name and message of a rejected call, or a failure if it was not rejected. */
export const rejected = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
  try {
    await p
  } catch (e) {
    return { code: String((e as { code?: unknown }).code), message: (e as Error).message }
  }
  throw new Error("expected a rejection, the call succeeded")
}

/** A named flow; it returns a one-line detail or throws what differed. */
export type Flow = readonly [string, (c: Ctx) => Promise<string>]
