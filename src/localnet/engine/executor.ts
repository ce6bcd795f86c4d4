/**
 * Transaction execution: validation of the inputs (txInputs.ts) and the gas (gas.ts), PTB
 * execution under a journal that remembers each object's state before its first change, version
 * assignment and the effects / events / balance changes of the result. A simulation rolls every
 * write back.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { fromBase58, normalizeSuiAddress } from "@mysten/sui/utils"
import { deriveObjectId, eventsDigest } from "./crypto.js"
import { abortStatus, eventMessagesOf, failureStatus, type EmittedEvent, type Prior } from "./effects.js"
import { chargeGas, computationCost, type GasAccount, gasCoins, gasTerms, smashGas, storageOf, storagePrice } from "./gas.js"
import { coinBalance, isCoin, type CoinValue } from "./objects.js"
import { ErrKind, ExecFailure, runPtb } from "./ptb.js"
import type { Val as PtbValue } from "./ptbScope.js"
import { transactionEffects } from "./txEffects.js"
import { TxJournal, type ObjData, type ObjectStore, type ObjRecord, type PlainData } from "./store.js"
import { MoveAbort, type MoveCtx, type MoveFunction } from "./runtime.js"
import type { TxData } from "./txdata.js"
import { inputClasses, inputValues } from "./txInputs.js"

export { resolveInputs } from "./resolve.js"

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

export interface RunOptions {
  readonly digest: string
  readonly simulate: boolean
  readonly checks: boolean
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
      ...(isCoin(rec) ? { balance: coinBalance(rec) } : {})
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

interface Execution extends GasAccount {
  readonly env: ExecEnv
  readonly tx: TxData
  readonly ctx: MoveCtx
  readonly inputVals: PtbValue[]
  readonly caller: { pkg: string; module: string }
  readonly events: EmittedEvent[]
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
    const storage = x.storage.fee()
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

/**
 * Validates and executes `tx`. In simulation every write is rolled back at the end (and no
 * locks are taken); otherwise the writes are committed with the lamport version.
 */
export const runTransaction = (env: ExecEnv, tx: TxData, opts: RunOptions): ExecOutcome => {
  const { digest } = opts
  const { price, budget } = gasTerms(env.referenceGasPrice, tx, opts.checks)
  const seen = new Set<string>()
  const { gasRecs, mock } = gasCoins(env.store, tx, opts, budget, seen)
  const inputVals = inputValues(env.store, tx, opts.checks, seen)
  const { mutableInputs, readOnlyShared } = inputClasses(tx, inputVals, gasRecs)
  const priorOf = new Map<string, Prior>()
  const { journal, remember } = trackedJournal(env.store, priorOf)
  for (const r of mutableInputs) remember(r)

  const events: EmittedEvent[] = []
  const caller = { pkg: env.packageId, module: "" }
  const x: Execution = {
    env, tx, journal, inputVals, gasRecs, budget, caller, events,
    ctx: moveContext(env, tx.sender, digest, journal, events, caller),
    computation: computationCost(price, tx.commands.length),
    storage: storageOf(journal, env.store, mutableInputs, priorOf, gasRecs[0] !== undefined)
  }
  const { status, commandOutputs } = executeCommands(x)
  const gas = chargeGas(x, status)
  const result = transactionEffects({
    store: env.store, epoch: env.epoch, digest, status, gas, journal, mutableInputs, readOnlyShared, priorOf,
    gasCoin: gasRecs[0], commit: !opts.simulate, storagePrice
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
