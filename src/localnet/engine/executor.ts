/**
 * Transaction execution: input resolution (for simulation), validation of owned/shared inputs,
 * gas checks and charging, the equivocation lock table, PTB execution under a journal, version
 * assignment and the effects/events/balance changes of the result.
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
import { fromBase58, normalizeSuiAddress } from "@mysten/sui/utils"
import { LocalnetTxError, userInput } from "./errors.js"
import { deriveObjectId, eventsDigest, objectDigest } from "./crypto.js"
import { abortStatus, eventMessagesOf, failureStatus, type EmittedEvent, type Prior } from "./effects.js"
import { coinBalance, coinData, GAS_COIN_TYPE, isGasCoin, type CoinValue } from "./objects.js"
import { ErrKind, ExecFailure, inputObject, inputPure, runPtb } from "./ptb.js"
import type { Val as PtbValue } from "./ptbScope.js"
import { transactionEffects } from "./txEffects.js"
import { PlainData, TxJournal, type ObjData, type ObjectStore, type ObjRecord } from "./store.js"
import { MoveAbort, type MoveCtx, type MoveFunction } from "./runtime.js"
import type { ObjRef, TxData } from "./txdata.js"

export { resolveInputs } from "./resolve.js"

export const MIN_GAS_BUDGET = 1_000_000n
export const MAX_GAS_BUDGET = 50_000_000_000n
const STORAGE_PRICE_PER_BYTE = 7_600n
const GAS_OVERHEAD_UNITS = 1_000n
/** Balance of the mock gas coin a simulation without payment runs with (1 billion SUI). */
const MOCK_GAS_BALANCE = 1_000_000_000n * 1_000_000_000n

export interface ExecEnv {
  readonly store: ObjectStore
  readonly packageId: string
  readonly functions: ReadonlyMap<string, MoveFunction>
  readonly referenceGasPrice: bigint
  readonly epoch: bigint
  now(): bigint
}

export interface ExecOutcome {
  readonly effects: GrpcTypes.TransactionEffects
  readonly events: GrpcTypes.TransactionEvents | undefined
  readonly balanceChanges: GrpcTypes.BalanceChange[]
  readonly commandOutputs: GrpcTypes.CommandResult[]
  readonly gasUsed: { computation: bigint; storage: bigint; rebate: bigint; nonRefundable: bigint }
  /** The transaction after resolution (simulation fills inputs and gas). */
  readonly tx: TxData
}

const nominalSize = (rec: ObjRecord): bigint => {
  if (rec.type === GAS_COIN_TYPE) return 40n
  if (rec.dynamicField) return 100n
  if (rec.type.endsWith("::jobs::Job")) return 200n + BigInt(((rec.data as PlainData<{ data: Uint8Array }>).v.data ?? new Uint8Array()).length)
  if (rec.type.endsWith("::app_instance::AppInstance")) return 1_000n
  return 250n
}

/**
 * Checks an owned object reference against the live object, in the order and with the errors of
 * Sui's input checks (crates/sui-transaction-checks; texts of `UserInputError`). Executed
 * transactions are applied at once here, so an older version is always stale (a full node's
 * early validation answers the same once the competing transaction has executed); a lock
 * conflict (`ObjectLockConflict`) only arises from the injected fault.
 */
const checkOwnedRef = (env: ExecEnv, r: ObjRef, sender: string, allowImmutable: boolean): ObjRecord => {
  const rec = env.store.get(r.id)
  if (!rec) throw userInput.objectNotFound(r.id, r.version)
  if (rec.version !== r.version) {
    if (r.version < rec.version) throw userInput.versionUnavailable(r.id, r.version, r.digest, rec.version)
    throw userInput.versionTooHigh(r.id, r.version, rec.version)
  }
  if (rec.digest !== r.digest) throw userInput.invalidDigest(r.id, rec.digest)
  if (rec.owner.kind === "immutable" && allowImmutable) return rec
  if (rec.owner.kind === "shared") throw userInput.notOwned()
  if (rec.owner.kind !== "address") throw userInput.notOwned()
  if (rec.owner.address !== sender) throw userInput.notOwner(r.id, rec.owner.address, sender)
  return rec
}

export interface RunOptions {
  readonly digest: string
  readonly simulate: boolean
  readonly checks: boolean
}

/** The gas price and budget of `tx`, checked against the node's limits when `checks`. */
const gasTerms = (env: ExecEnv, tx: TxData, opts: RunOptions) => {
  const price = tx.gas.price ?? env.referenceGasPrice
  const budget = tx.gas.budget ?? MAX_GAS_BUDGET
  if (opts.checks) {
    if (budget > MAX_GAS_BUDGET) throw userInput.gasBudgetTooHigh(budget, MAX_GAS_BUDGET)
    if (budget < MIN_GAS_BUDGET) throw userInput.gasBudgetTooLow(budget, MIN_GAS_BUDGET)
    if (price < env.referenceGasPrice) throw userInput.gasPriceUnderRgp(price, env.referenceGasPrice)
    if (tx.gas.owner !== tx.sender) throw userInput.unsupported("sponsored transactions (the localnet has no sponsor support)")
  }
  return { price, budget }
}

/** The payment coins (a simulation without payment gets the sender's mock coin). */
const gasCoins = (env: ExecEnv, tx: TxData, opts: RunOptions, budget: bigint, seen: Set<string>) => {
  const gasRecs: ObjRecord[] = []
  for (const r of tx.gas.payment) {
    if (seen.has(r.id)) throw userInput.mutableUsedTwice(r.id)
    seen.add(r.id)
    const rec = opts.checks ? checkOwnedRef(env, r, tx.sender, false) : env.store.get(r.id)
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
  const mock = opts.simulate && gasRecs.length === 0 ? mockGasCoin(env, tx.sender, opts.digest) : undefined
  if (mock) gasRecs.push(mock)
  return { gasRecs, mock }
}

/** The PTB's input values, each owned or shared object checked as Sui checks it. */
const inputValues = (env: ExecEnv, tx: TxData, opts: RunOptions, seen: Set<string>): PtbValue[] =>
  tx.inputs.map((i) => {
    switch (i.kind) {
      case "pure": return inputPure(i.bytes)
      case "owned": {
        if (seen.has(i.ref.id)) throw userInput.mutableUsedTwice(i.ref.id)
        seen.add(i.ref.id)
        const rec = opts.checks ? checkOwnedRef(env, i.ref, tx.sender, true) : env.store.get(i.ref.id)
        if (!rec) throw userInput.objectNotFound(i.ref.id, i.ref.version)
        return inputObject(rec, rec.owner.kind === "address")
      }
      case "shared": {
        const rec = env.store.get(i.id)
        if (!rec) throw userInput.objectNotFound(i.id)
        if (rec.owner.kind !== "shared") throw userInput.notShared()
        if (rec.owner.initialVersion !== i.initialVersion) throw userInput.sharedStartMismatch()
        return inputObject(rec, i.mutable)
      }
      case "receiving": throw userInput.unsupported("Receiving inputs (not emulated by the localnet)")
      case "unresolved": throw new LocalnetTxError("BadRequest", `invalid transaction: input ${i.id} is not resolved`)
    }
  })

/** Objects whose versions are bumped whatever happens (gas, owned inputs, mutable shared inputs), and read-only shared ones. */
const inputClasses = (tx: TxData, inputVals: ReadonlyArray<PtbValue>, gasRecs: ReadonlyArray<ObjRecord>) => {
  const mutableInputs: ObjRecord[] = [...gasRecs]
  const readOnlyShared: ObjRecord[] = []
  tx.inputs.forEach((i, idx) => {
    const v = inputVals[idx]!
    if (v.t !== "obj") return
    if (i.kind === "owned" && v.rec.owner.kind === "address") mutableInputs.push(v.rec)
    if (i.kind === "shared" && i.mutable) mutableInputs.push(v.rec)
    if (i.kind === "shared" && !i.mutable) readOnlyShared.push(v.rec)
  })
  return { mutableInputs, readOnlyShared }
}

/** A journal that remembers each pre-existing object's state before its first change. */
const trackedJournal = (store: ObjectStore, priorOf: Map<string, Prior>) => {
  const remember = (rec: ObjRecord): void => {
    if (priorOf.has(rec.id)) return
    priorOf.set(rec.id, {
      version: rec.version,
      digest: rec.digest,
      owner: rec.owner,
      storageRebate: rec.storageRebate,
      type: rec.type,
      ...(isGasCoin(rec) ? { balance: coinBalance(rec) } : {})
    })
  }
  const journal = new TxJournal(store)
  const origMutate = journal.mutate.bind(journal)
  const origDelete = journal.delete.bind(journal)
  journal.mutate = (rec) => {
    if (!journal.created.has(rec.id)) remember(rec)
    origMutate(rec)
  }
  journal.delete = (id) => {
    const rec = store.get(id)
    if (rec && !journal.created.has(id)) remember(rec)
    origDelete(id)
  }
  return { journal, remember }
}

/** What the PTB's Move calls see of the transaction; `events` collects what they emit. */
const moveContext = (env: ExecEnv, sender: string, digest: string, journal: TxJournal, events: EmittedEvent[], caller: { pkg: string; module: string }): MoveCtx => {
  const digestBytes = fromBase58(digest)
  let created = 0n
  return {
    packageId: env.packageId,
    sender,
    store: env.store,
    journal,
    nowMs: env.now(),
    newId: () => deriveObjectId(digestBytes, created++),
    createObject: (a) => {
      const rec: ObjRecord = {
        id: a.id, version: 0n, digest: "", owner: a.owner, type: a.type, previousTransaction: digest, storageRebate: 0n,
        hasPublicTransfer: a.hasPublicTransfer, data: a.data as ObjData, ...(a.dynamicField ? { dynamicField: a.dynamicField } : {})
      }
      journal.create(rec)
      return rec
    },
    // Sui reports the package and module of the MoveCall that emitted an event
    emit: (module, name, layout, value) => events.push({ callPackage: caller.pkg, callModule: caller.module, type: `${env.packageId}::${module}::${name}`, layout, value }),
    abort: (module, fn, code, message, packageId) => {
      throw new MoveAbort(normalizeSuiAddress(packageId ?? env.packageId), module, fn, code, message)
    }
  }
}

/** Storage bytes and rebates of what the transaction wrote, as the gas model charges them. */
const storageOf = (journal: TxJournal, store: ObjectStore, mutableInputs: ReadonlyArray<ObjRecord>, priorOf: ReadonlyMap<string, Prior>, hasGasCoin: boolean) => {
  const mutableIds = new Set(mutableInputs.map((r) => r.id))
  return {
    writtenSize: (): bigint => {
      let size = hasGasCoin ? 0n : 40n // a simulation without payment still rewrites a (mock) gas coin
      for (const rec of journal.written.values()) size += nominalSize(rec)
      for (const rec of mutableInputs) if (!journal.written.has(rec.id) && store.get(rec.id)) size += nominalSize(rec)
      return size
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

interface Execution {
  readonly env: ExecEnv
  readonly tx: TxData
  readonly ctx: MoveCtx
  readonly journal: TxJournal
  readonly inputVals: PtbValue[]
  readonly gasRecs: ReadonlyArray<ObjRecord>
  readonly budget: bigint
  readonly computation: bigint
  readonly storage: ReturnType<typeof storageOf>
  readonly caller: { pkg: string; module: string }
  readonly events: EmittedEvent[]
}

/** Merges every payment coin into the first (kept even when execution fails). */
const smashGas = (journal: TxJournal, gasRecs: ReadonlyArray<ObjRecord>) => {
  const gasCoin = gasRecs[0]
  if (!gasCoin) return
  for (const extra of gasRecs.slice(1)) {
    journal.mutate(gasCoin)
    ;(gasCoin.data as PlainData<CoinValue>).v.balance += coinBalance(extra)
    journal.delete(extra.id)
  }
}

/**
 * Runs the commands with the budget held back from the gas coin. A Move abort, an execution
 * failure or running out of gas undoes every write (the smashed gas coin stays) and is the status.
 */
const executeCommands = (x: Execution): { status: GrpcTypes.ExecutionStatus; commandOutputs: GrpcTypes.CommandResult[] } => {
  const gasCoin = x.gasRecs[0]
  smashGas(x.journal, x.gasRecs)
  let reserved = 0n
  if (gasCoin) {
    x.journal.mutate(gasCoin)
    const v = (gasCoin.data as PlainData<CoinValue>).v
    reserved = v.balance < x.budget ? v.balance : x.budget
    v.balance -= reserved
  }
  let currentCommand = -1
  try {
    const { commandOutputs } = runPtb(
      {
        ctx: x.ctx, functions: x.env.functions, packageId: x.env.packageId, inputs: x.inputVals, gasCoin,
        enterCommand: (index, pkg, module) => {
          currentCommand = index
          x.caller.pkg = pkg
          x.caller.module = module
        }
      },
      x.tx.commands
    )
    if (gasCoin) (gasCoin.data as PlainData<CoinValue>).v.balance += reserved
    const storage = x.storage.writtenSize() * STORAGE_PRICE_PER_BYTE
    const net = x.computation + storage - x.storage.rebate().rebate
    if (net > x.budget) {
      throw new ExecFailure(ErrKind.INSUFFICIENT_GAS, undefined, `computation ${x.computation} + storage ${storage} - rebate exceed the budget ${x.budget}`)
    }
    return { status: { success: true }, commandOutputs }
  } catch (e) {
    let status: GrpcTypes.ExecutionStatus
    if (e instanceof MoveAbort) status = abortStatus(e, currentCommand)
    else if (e instanceof ExecFailure) status = failureStatus(e)
    else throw e
    x.journal.rollback()
    smashGas(x.journal, x.gasRecs)
    x.events.length = 0
    return { status, commandOutputs: [] }
  }
}

/** Takes the gas cost out of the gas coin (out of gas: the whole budget). */
const chargeGas = (x: Execution, status: GrpcTypes.ExecutionStatus) => {
  const storage = x.storage.writtenSize() * STORAGE_PRICE_PER_BYTE
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

/**
 * Validates and executes `tx`. In simulation every write is rolled back at the end (and no
 * locks are taken); otherwise the writes are committed with the lamport version.
 */
export const runTransaction = (env: ExecEnv, tx: TxData, opts: RunOptions): ExecOutcome => {
  const { digest } = opts
  const { price, budget } = gasTerms(env, tx, opts)
  const seen = new Set<string>()
  const { gasRecs, mock } = gasCoins(env, tx, opts, budget, seen)
  const inputVals = inputValues(env, tx, opts, seen)
  const { mutableInputs, readOnlyShared } = inputClasses(tx, inputVals, gasRecs)
  const priorOf = new Map<string, Prior>()
  const { journal, remember } = trackedJournal(env.store, priorOf)
  for (const r of mutableInputs) remember(r)

  const events: EmittedEvent[] = []
  const caller = { pkg: env.packageId, module: "" }
  const x: Execution = {
    env, tx, journal, inputVals, gasRecs, budget, caller, events,
    ctx: moveContext(env, tx.sender, digest, journal, events, caller),
    computation: price * (GAS_OVERHEAD_UNITS + 100n * BigInt(tx.commands.length)),
    storage: storageOf(journal, env.store, mutableInputs, priorOf, gasRecs[0] !== undefined)
  }
  const { status, commandOutputs } = executeCommands(x)
  const gas = chargeGas(x, status)
  const result = transactionEffects({
    store: env.store, epoch: env.epoch, digest, status, gas, journal, mutableInputs, readOnlyShared, priorOf,
    gasCoin: gasRecs[0], commit: !opts.simulate, storagePrice: (rec) => nominalSize(rec) * STORAGE_PRICE_PER_BYTE
  })
  const eventMessages = eventMessagesOf(events, tx.sender)
  const evDigest = eventMessages.length > 0 ? eventsDigest(new TextEncoder().encode(`${digest}:${eventMessages.length}`)) : undefined
  if (evDigest) result.effects.eventsDigest = evDigest

  if (opts.simulate) journal.rollback()
  else journal.commit()
  if (mock) env.store.remove(mock.id)

  return {
    effects: result.effects,
    events: eventMessages.length > 0 ? { digest: evDigest!, events: eventMessages } : undefined,
    balanceChanges: result.balanceChanges,
    commandOutputs,
    gasUsed: gas,
    tx
  }
}

/** The mock gas coin of a simulation without payment: the sender's, at version 0, not kept. */
const mockGasCoin = (env: ExecEnv, sender: string, digest: string): ObjRecord => {
  const id = deriveObjectId(fromBase58(digest), 0xffff_ffff_ffff_ffffn)
  const rec: ObjRecord = {
    id, version: 0n, digest: objectDigest(id, 0n, digest), owner: { kind: "address", address: sender }, type: GAS_COIN_TYPE,
    previousTransaction: digest, storageRebate: 0n, hasPublicTransfer: true, data: coinData(id, MOCK_GAS_BALANCE)
  }
  env.store.insert(rec)
  return rec
}

/** Suggested budget for a simulated transaction (the SDK's formula: overhead of 1,000 units). */
export const budgetFromGasUsed = (g: { computation: bigint; storage: bigint; rebate: bigint }, price: bigint): bigint => {
  const base = g.computation + GAS_OVERHEAD_UNITS * price
  const withStorage = base + g.storage - g.rebate
  const b = withStorage > base ? withStorage : base
  return b < MIN_GAS_BUDGET ? MIN_GAS_BUDGET : b
}
