/**
 * The localnet's gas: the budget and price checks, the payment coins, what a transaction's
 * writes cost and the charge taken out of the (smashed) gas coin.
 *
 * Gas model (deterministic, documented because it is not Sui's exact schedule):
 * - computation = gas price × (1,000 + 100 per command) — Sui's minimum is 1,000 units;
 * - storage = 7,600 MIST × nominal bytes of every object written (coins 40, fields 100,
 *   jobs 200 + data, the AppInstance a flat 1,000 so writes stay O(1), other objects 250);
 * - rebate = 99 % of the storage fee previously paid by each mutated or deleted object
 *   (the remaining 1 % is the non-refundable fee);
 * - if computation + storage exceeds the budget the transaction fails with INSUFFICIENT_GAS,
 *   all writes are undone and the whole budget is charged; Move aborts and other execution
 *   failures charge computation plus the storage of the rewritten gas coin and mutable inputs;
 * - the budget is taken out of the (smashed) gas coin while the commands run, as Sui's gas
 *   charger does, so the commands can only use `balance - budget` of it (splitting more fails
 *   with INSUFFICIENT_COIN_BALANCE); the unused part goes back afterwards. Nothing is minted:
 *   the charge never exceeds the budget;
 * - a simulation without gas payment runs with a mock gas coin of the sender (Sui's
 *   `simulate_transaction` with `allow_mock_gas_coin`), which is dropped afterwards.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { fromBase58 } from "@mysten/sui/utils"
import { deriveObjectId, objectDigest } from "./crypto.js"
import type { Prior } from "./effects.js"
import { userInput } from "./errors.js"
import { coinBalance, coinData, GAS_COIN_TYPE, isGasCoin, type CoinValue } from "./objects.js"
import { ErrKind } from "./ptb.js"
import type { ObjectStore, ObjRecord, PlainData, TxJournal } from "./store.js"
import type { TxData } from "./txdata.js"
import { checkOwnedRef } from "./txInputs.js"

export const MIN_GAS_BUDGET = 1_000_000n
export const MAX_GAS_BUDGET = 50_000_000_000n
const STORAGE_PRICE_PER_BYTE = 7_600n
const GAS_OVERHEAD_UNITS = 1_000n
/** Balance of the mock gas coin a simulation without payment runs with (1 billion SUI). */
const MOCK_GAS_BALANCE = 1_000_000_000n * 1_000_000_000n

/** The bytes the gas model charges storage for, per object. */
const nominalSize = (rec: ObjRecord): bigint => {
  if (rec.type === GAS_COIN_TYPE) return 40n
  if (rec.dynamicField) return 100n
  if (rec.type.endsWith("::jobs::Job")) return 200n + BigInt(((rec.data as PlainData<{ data: Uint8Array }>).v.data ?? new Uint8Array()).length)
  if (rec.type.endsWith("::app_instance::AppInstance")) return 1_000n
  return 250n
}

/** The storage fee of an object as written. */
export const storagePrice = (rec: ObjRecord): bigint => nominalSize(rec) * STORAGE_PRICE_PER_BYTE

/** The computation charge of a transaction of `commands` commands at `price`. */
export const computationCost = (price: bigint, commands: number): bigint => price * (GAS_OVERHEAD_UNITS + 100n * BigInt(commands))

/** The gas price and budget of `tx`, checked against the node's limits when `checks`. */
export const gasTerms = (referenceGasPrice: bigint, tx: TxData, checks: boolean) => {
  const price = tx.gas.price ?? referenceGasPrice
  const budget = tx.gas.budget ?? MAX_GAS_BUDGET
  if (checks) {
    if (budget > MAX_GAS_BUDGET) throw userInput.gasBudgetTooHigh(budget, MAX_GAS_BUDGET)
    if (budget < MIN_GAS_BUDGET) throw userInput.gasBudgetTooLow(budget, MIN_GAS_BUDGET)
    if (price < referenceGasPrice) throw userInput.gasPriceUnderRgp(price, referenceGasPrice)
    if (tx.gas.owner !== tx.sender) throw userInput.unsupported("sponsored transactions (the localnet has no sponsor support)")
  }
  return { price, budget }
}

/** The mock gas coin of a simulation without payment: the sender's, at version 0, not kept. */
const mockGasCoin = (store: ObjectStore, sender: string, digest: string): ObjRecord => {
  const id = deriveObjectId(fromBase58(digest), 0xffff_ffff_ffff_ffffn)
  const rec: ObjRecord = {
    id, version: 0n, digest: objectDigest(id, 0n, digest), owner: { kind: "address", address: sender }, type: GAS_COIN_TYPE,
    previousTransaction: digest, storageRebate: 0n, hasPublicTransfer: true, data: coinData(id, MOCK_GAS_BALANCE)
  }
  store.insert(rec)
  return rec
}

/** The payment coins (a simulation without payment gets the sender's mock coin); `seen` collects their ids. */
export const gasCoins = (
  store: ObjectStore,
  tx: TxData,
  opts: { readonly digest: string; readonly simulate: boolean; readonly checks: boolean },
  budget: bigint,
  seen: Set<string>
) => {
  const gasRecs: ObjRecord[] = []
  for (const r of tx.gas.payment) {
    if (seen.has(r.id)) throw userInput.mutableUsedTwice(r.id)
    seen.add(r.id)
    const rec = opts.checks ? checkOwnedRef(store, r, tx.sender, false) : store.get(r.id)
    if (!rec) throw userInput.objectNotFound(r.id, r.version)
    if (!isGasCoin(rec)) throw userInput.invalidGasObject(r.id)
    gasRecs.push(rec)
  }
  if (opts.checks && gasRecs.length > 0) {
    let total = 0n
    for (const r of gasRecs) total += coinBalance(r)
    if (total < budget) throw userInput.gasBalanceTooLow(total, budget)
  }
  if (opts.checks && gasRecs.length === 0 && !opts.simulate) throw userInput.missingGasPayment()
  const mock = opts.simulate && gasRecs.length === 0 ? mockGasCoin(store, tx.sender, opts.digest) : undefined
  if (mock) gasRecs.push(mock)
  return { gasRecs, mock }
}

/** Storage fee and rebates of what the transaction wrote, as the gas model charges them. */
export const storageOf = (journal: TxJournal, store: ObjectStore, mutableInputs: ReadonlyArray<ObjRecord>, priorOf: ReadonlyMap<string, Prior>, hasGasCoin: boolean) => {
  const mutableIds = new Set(mutableInputs.map((r) => r.id))
  return {
    fee: (): bigint => {
      let size = hasGasCoin ? 0n : 40n // a simulation without payment still rewrites a (mock) gas coin
      for (const rec of journal.written.values()) size += nominalSize(rec)
      for (const rec of mutableInputs) if (!journal.written.has(rec.id) && store.get(rec.id)) size += nominalSize(rec)
      return size * STORAGE_PRICE_PER_BYTE
    },
    rebate: () => {
      let base = 0n
      for (const [id, p] of priorOf) {
        if (journal.written.has(id) || journal.deleted.has(id) || mutableIds.has(id)) base += p.storageRebate
      }
      const rebate = (base * 99n) / 100n
      return { rebate, nonRefundable: base - rebate }
    }
  }
}

/** What charging a transaction's gas works on. */
export interface GasAccount {
  readonly journal: TxJournal
  /** The payment coins; the first is the gas coin the others are merged into. */
  readonly gasRecs: ReadonlyArray<ObjRecord>
  readonly budget: bigint
  readonly computation: bigint
  readonly storage: ReturnType<typeof storageOf>
}

/** Merges every payment coin into the first (kept even when execution fails). */
export const smashGas = (journal: TxJournal, gasRecs: ReadonlyArray<ObjRecord>) => {
  const gasCoin = gasRecs[0]
  if (!gasCoin) return
  for (const extra of gasRecs.slice(1)) {
    journal.mutate(gasCoin)
    ;(gasCoin.data as PlainData<CoinValue>).v.balance += coinBalance(extra)
    journal.delete(extra.id)
  }
}

/** Takes the gas cost out of the gas coin (out of gas: the whole budget). */
export const chargeGas = (x: GasAccount, status: GrpcTypes.ExecutionStatus) => {
  const storage = x.storage.fee()
  const { rebate, nonRefundable } = x.storage.rebate()
  let computation = x.computation
  if (!status.success && status.error?.kind === ErrKind.INSUFFICIENT_GAS) {
    const c = x.budget + rebate - storage
    computation = c > 0n ? c : 0n
  }
  const gasCoin = x.gasRecs[0]
  if (gasCoin) {
    x.journal.mutate(gasCoin)
    const v = (gasCoin.data as PlainData<CoinValue>).v
    const cost = computation + storage - rebate
    const charge = cost > x.budget ? x.budget : cost
    v.balance = charge > v.balance ? 0n : v.balance - charge
  }
  return { computation, storage, rebate, nonRefundable }
}

/** Suggested budget for a simulated transaction (the SDK's formula: overhead of 1,000 units). */
export const budgetFromGasUsed = (g: { computation: bigint; storage: bigint; rebate: bigint }, price: bigint): bigint => {
  const base = g.computation + GAS_OVERHEAD_UNITS * price
  const withStorage = base + g.storage - g.rebate
  const b = withStorage > base ? withStorage : base
  return b < MIN_GAS_BUDGET ? MIN_GAS_BUDGET : b
}
