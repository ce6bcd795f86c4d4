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
import { deriveObjectId, effectsDigest, eventsDigest, objectDigest } from "./crypto.js"
import { abortStatus, balanceChangesOf, eventMessagesOf, failureStatus, type EmittedEvent, type Prior } from "./effects.js"
import { coinBalance, coinData, GAS_COIN_TYPE, isCoin, isGasCoin, ownerToProto, type CoinValue } from "./objects.js"
import { ErrKind, ExecFailure, inputObject, inputPure, runPtb } from "./ptb.js"
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

/**
 * Validates and executes `tx`. In simulation every write is rolled back at the end (and no
 * locks are taken); otherwise the writes are committed with the lamport version.
 */
export const runTransaction = (env: ExecEnv, tx: TxData, opts: RunOptions): ExecOutcome => {
  const { digest } = opts
  const sender = tx.sender
  const price = tx.gas.price ?? env.referenceGasPrice
  const budget = tx.gas.budget ?? MAX_GAS_BUDGET
  if (opts.checks) {
    if (budget > MAX_GAS_BUDGET) throw userInput.gasBudgetTooHigh(budget, MAX_GAS_BUDGET)
    if (budget < MIN_GAS_BUDGET) throw userInput.gasBudgetTooLow(budget, MIN_GAS_BUDGET)
    if (price < env.referenceGasPrice) throw userInput.gasPriceUnderRgp(price, env.referenceGasPrice)
    if (tx.gas.owner !== sender) throw userInput.unsupported("sponsored transactions (the localnet has no sponsor support)")
  }

  // gas coins
  const gasRecs: ObjRecord[] = []
  const seen = new Set<string>()
  for (const r of tx.gas.payment) {
    if (seen.has(r.id)) throw userInput.mutableUsedTwice(r.id)
    seen.add(r.id)
    const rec = opts.checks ? checkOwnedRef(env, r, sender, false) : env.store.get(r.id)
    if (!rec) throw userInput.objectNotFound(r.id, r.version)
    if (!isGasCoin(rec)) throw userInput.invalidGasObject(r.id)
    gasRecs.push(rec)
  }
  if (opts.checks && gasRecs.length > 0) {
    const total = gasRecs.reduce((s, r) => s + coinBalance(r), 0n)
    if (total < budget) throw userInput.gasBalanceTooLow(total, budget)
  }
  if (opts.checks && gasRecs.length === 0 && !opts.simulate) throw userInput.missingGasPayment()
  const mock = opts.simulate && gasRecs.length === 0 ? mockGasCoin(env, sender, digest) : undefined
  if (mock) gasRecs.push(mock)

  // inputs
  const inputVals = tx.inputs.map((i) => {
    switch (i.kind) {
      case "pure": return inputPure(i.bytes)
      case "owned": {
        if (seen.has(i.ref.id)) throw userInput.mutableUsedTwice(i.ref.id)
        seen.add(i.ref.id)
        const rec = opts.checks ? checkOwnedRef(env, i.ref, sender, true) : env.store.get(i.ref.id)
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

  // objects whose versions are bumped whatever happens: gas, owned inputs, mutable shared inputs
  const mutableInputs: ObjRecord[] = [...gasRecs]
  tx.inputs.forEach((i, idx) => {
    const v = inputVals[idx]!
    if (v.t !== "obj") return
    if (i.kind === "owned" && v.rec.owner.kind === "address") mutableInputs.push(v.rec)
    if (i.kind === "shared" && i.mutable) mutableInputs.push(v.rec)
  })
  const readOnlyShared: ObjRecord[] = []
  tx.inputs.forEach((i, idx) => {
    const v = inputVals[idx]!
    if (i.kind === "shared" && !i.mutable && v.t === "obj") readOnlyShared.push(v.rec)
  })

  const priorOf = new Map<string, Prior>()
  const remember = (rec: ObjRecord): void => {
    if (priorOf.has(rec.id)) return
    priorOf.set(rec.id, {
      version: rec.version,
      digest: rec.digest,
      owner: rec.owner,
      storageRebate: rec.storageRebate,
      type: rec.type,
      ...(isCoin(rec) ? { balance: coinBalance(rec) } : {})
    })
  }
  for (const r of mutableInputs) remember(r)

  const journal = new TxJournal(env.store)
  const origMutate = journal.mutate.bind(journal)
  const origDelete = journal.delete.bind(journal)
  journal.mutate = (rec) => {
    if (!journal.created.has(rec.id)) remember(rec)
    origMutate(rec)
  }
  journal.delete = (id) => {
    const rec = env.store.get(id)
    if (rec && !journal.created.has(id)) remember(rec)
    origDelete(id)
  }

  const digestBytes = fromBase58(digest)
  let created = 0n
  // Sui reports the package and module of the MoveCall that emitted an event
  const events: EmittedEvent[] = []
  let callModule = ""
  let callPackage = env.packageId
  const nowMs = env.now()
  const ctx: MoveCtx = {
    packageId: env.packageId,
    sender,
    store: env.store,
    journal,
    nowMs,
    newId: () => deriveObjectId(digestBytes, created++),
    createObject: (a) => {
      const rec: ObjRecord = {
        id: a.id, version: 0n, digest: "", owner: a.owner, type: a.type, previousTransaction: digest, storageRebate: 0n,
        hasPublicTransfer: a.hasPublicTransfer, data: a.data as ObjData, ...(a.dynamicField ? { dynamicField: a.dynamicField } : {})
      }
      journal.create(rec)
      return rec
    },
    emit: (module, name, layout, value) => events.push({ callPackage, callModule, type: `${env.packageId}::${module}::${name}`, layout, value }),
    abort: (module, fn, code, message, packageId) => {
      throw new MoveAbort(normalizeSuiAddress(packageId ?? env.packageId), module, fn, code, message)
    }
  }

  // gas smashing: merge all payment coins into the first (kept even when execution fails)
  const gasCoin = gasRecs[0]
  const smash = () => {
    if (!gasCoin) return
    for (const extra of gasRecs.slice(1)) {
      journal.mutate(gasCoin)
      ;(gasCoin.data as PlainData<CoinValue>).v.balance += coinBalance(extra)
      journal.delete(extra.id)
    }
  }
  smash()
  // the budget is held back from the gas coin while the commands run
  let reserved = 0n
  if (gasCoin) {
    journal.mutate(gasCoin)
    const v = (gasCoin.data as PlainData<CoinValue>).v
    reserved = v.balance < budget ? v.balance : budget
    v.balance -= reserved
  }

  const computation = price * (GAS_OVERHEAD_UNITS + 100n * BigInt(tx.commands.length))
  let status: GrpcTypes.ExecutionStatus = { success: true }
  let commandOutputs: GrpcTypes.CommandResult[] = []
  let currentCommand = -1

  const writtenSize = (): bigint => {
    let size = gasCoin ? 0n : 40n // a simulation without payment still rewrites a (mock) gas coin
    for (const rec of journal.written.values()) size += nominalSize(rec)
    for (const rec of mutableInputs) if (!journal.written.has(rec.id) && env.store.get(rec.id)) size += nominalSize(rec)
    return size
  }
  const rebateOf = () => {
    let base = 0n
    for (const [id, p] of priorOf) {
      if (journal.written.has(id) || journal.deleted.has(id) || mutableInputs.some((r) => r.id === id)) base += p.storageRebate
    }
    const rebate = (base * 99n) / 100n
    return { rebate, nonRefundable: base - rebate }
  }

  try {
    commandOutputs = runPtb(
      {
        ctx, functions: env.functions, packageId: env.packageId, inputs: inputVals, gasCoin,
        enterCommand: (index, pkg, module) => {
          currentCommand = index
          callPackage = pkg
          callModule = module
        }
      },
      tx.commands
    ).commandOutputs
    if (gasCoin) (gasCoin.data as PlainData<CoinValue>).v.balance += reserved
    const storage = writtenSize() * STORAGE_PRICE_PER_BYTE
    const net = computation + storage - rebateOf().rebate
    if (net > budget) {
      throw new ExecFailure(ErrKind.INSUFFICIENT_GAS, undefined, `computation ${computation} + storage ${storage} - rebate exceed the budget ${budget}`)
    }
  } catch (e) {
    if (e instanceof MoveAbort) status = abortStatus(e, currentCommand)
    else if (e instanceof ExecFailure) status = failureStatus(e)
    else throw e
    journal.rollback()
    smash()
    events.length = 0
    commandOutputs = []
  }

  // gas charging
  let storage = writtenSize() * STORAGE_PRICE_PER_BYTE
  let comp = computation
  const { rebate, nonRefundable } = rebateOf()
  if (!status.success && status.error?.kind === ErrKind.INSUFFICIENT_GAS) {
    // out of gas: the whole budget is charged
    const c = budget + rebate - storage
    comp = c > 0n ? c : 0n
  }
  if (gasCoin) {
    journal.mutate(gasCoin)
    const v = (gasCoin.data as PlainData<CoinValue>).v
    const cost = comp + storage - rebate
    const charge = cost > budget ? budget : cost
    v.balance = charge > v.balance ? 0n : v.balance - charge
  }

  // versions
  let lamport = 0n
  for (const r of mutableInputs) if ((priorOf.get(r.id)?.version ?? r.version) > lamport) lamport = priorOf.get(r.id)?.version ?? r.version
  for (const r of readOnlyShared) if (r.version > lamport) lamport = r.version
  for (const [, p] of priorOf) if (p.version > lamport) lamport = p.version
  lamport += 1n

  const changed: GrpcTypes.ChangedObject[] = []
  const touched = new Map<string, ObjRecord>()
  for (const r of mutableInputs) if (env.store.get(r.id)) touched.set(r.id, r)
  for (const [id, r] of journal.written) touched.set(id, r)
  const perObjectStorage = (rec: ObjRecord) => nominalSize(rec) * STORAGE_PRICE_PER_BYTE
  const commitWrites = !opts.simulate
  const dependencies = new Set<string>()
  for (const [id, rec] of touched) {
    const prior = priorOf.get(id)
    const createdNow = journal.created.has(id)
    const outVersion = lamport
    const outDigest = objectDigest(id, outVersion, digest)
    if (prior?.version !== undefined && !createdNow) {
      const prev = env.store.get(id)?.previousTransaction
      if (prev) dependencies.add(prev)
    }
    if (rec.owner.kind === "shared" && rec.owner.initialVersion === 0n && commitWrites) rec.owner = { kind: "shared", initialVersion: outVersion }
    const outOwner = rec.owner.kind === "shared" && rec.owner.initialVersion === 0n ? { kind: "shared" as const, initialVersion: outVersion } : rec.owner
    changed.push({
      objectId: id,
      inputState: createdNow ? 1 : 2,
      ...(createdNow ? {} : { inputVersion: prior!.version, inputDigest: prior!.digest, inputOwner: ownerToProto(prior!.owner) }),
      outputState: 2,
      outputVersion: outVersion,
      outputDigest: outDigest,
      outputOwner: ownerToProto(outOwner),
      idOperation: createdNow ? 2 : 1,
      objectType: rec.type
    })
    if (commitWrites) {
      rec.version = outVersion
      rec.digest = outDigest
      rec.previousTransaction = digest
      rec.storageRebate = perObjectStorage(rec)
    }
  }
  for (const [id, rec] of journal.deleted) {
    const prior = priorOf.get(id) ?? { version: rec.version, digest: rec.digest, owner: rec.owner }
    changed.push({
      objectId: id,
      inputState: 2,
      inputVersion: prior.version,
      inputDigest: prior.digest,
      inputOwner: ownerToProto(prior.owner),
      outputState: 1,
      idOperation: 3,
      objectType: rec.type
    })
  }
  changed.sort((a, b) => (a.objectId! < b.objectId! ? -1 : a.objectId! > b.objectId! ? 1 : 0))

  const balanceChanges = balanceChangesOf(touched, journal, priorOf)

  const eventMessages = eventMessagesOf(events, sender)
  const evDigest = eventMessages.length > 0 ? eventsDigest(new TextEncoder().encode(`${digest}:${eventMessages.length}`)) : undefined

  const gasChange = gasCoin ? changed.find((c) => c.objectId === gasCoin.id) : undefined
  const effects: GrpcTypes.TransactionEffects = {
    version: 2,
    status,
    epoch: env.epoch,
    gasUsed: { computationCost: comp, storageCost: storage, storageRebate: rebate, nonRefundableStorageFee: nonRefundable },
    transactionDigest: digest,
    ...(gasChange ? { gasObject: gasChange } : {}),
    ...(evDigest ? { eventsDigest: evDigest } : {}),
    dependencies: [...dependencies],
    lamportVersion: lamport,
    changedObjects: changed,
    unchangedConsensusObjects: readOnlyShared.map((r) => ({ kind: 1, objectId: r.id, version: r.version, digest: r.digest, objectType: r.type })),
    unchangedLoadedRuntimeObjects: []
  }
  effects.digest = effectsDigest(new TextEncoder().encode(`${digest}:${lamport}:${status.success ? 1 : 0}`))

  if (opts.simulate) journal.rollback()
  else journal.commit()
  if (mock) env.store.remove(mock.id)

  return {
    effects,
    events: eventMessages.length > 0 ? { digest: evDigest!, events: eventMessages } : undefined,
    balanceChanges,
    commandOutputs,
    gasUsed: { computation: comp, storage, rebate, nonRefundable },
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
