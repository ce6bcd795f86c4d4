/**
 * Pieces of a transaction's result in sui.rpc.v2 form: the execution status of a Move abort or
 * another execution failure, balance changes of SUI coins, and event messages (JSON rendered on
 * read so checkpoint history stays compact).
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { defineLazy } from "./lazy.js"
import { encodeMove, jsonToProtoValue, moveJson, type MoveLayout } from "./moveValue.js"
import { coinBalance, currencyOf, isCoin } from "./objects.js"
import { ErrKind, type ExecFailure } from "./ptb.js"
import { STD, SUI, type MoveAbort } from "./runtime.js"
import { cleverErrorOf } from "./coordination/cleverErrors.js"
import type { ObjRecord, OwnerRec, TxJournal } from "./store.js"

/** A Move abort's status; an abort on an `#[error]` constant of the coordination package carries its clever error. */
export const abortStatus = (e: MoveAbort, command: number): GrpcTypes.ExecutionStatus => {
  const clever = e.packageId === SUI || e.packageId === STD ? undefined : cleverErrorOf(e.module, e.code, e.message)
  return {
    success: false,
    error: {
      description: `MoveAbort in ${e.module}::${e.functionName} with code ${e.code}: ${e.message}`,
      ...(command >= 0 ? { command: BigInt(command) } : {}),
      kind: ErrKind.MOVE_ABORT,
      errorDetails: {
        oneofKind: "abort",
        abort: {
          abortCode: e.code,
          location: { package: e.packageId, module: e.module, functionName: e.functionName, function: 0, instruction: 0 },
          ...(clever ? { cleverError: clever } : {})
        }
      }
    }
  }
}

export const failureStatus = (e: ExecFailure): GrpcTypes.ExecutionStatus => ({
  success: false,
  error: {
    description: e.message,
    ...(e.command !== undefined ? { command: BigInt(e.command) } : {}),
    kind: e.kind,
    errorDetails: e.argument
      ? { oneofKind: "commandArgumentError", commandArgumentError: { argument: e.argument.index, kind: e.argument.kind } }
      : { oneofKind: undefined }
  }
})

export interface Prior {
  readonly version: bigint
  readonly digest: string
  readonly owner: OwnerRec
  readonly balance?: bigint
  readonly storageRebate: bigint
  readonly type: string
}

/** Net change per address and currency over every coin the transaction wrote, created or deleted. */
export const balanceChangesOf = (
  touched: ReadonlyMap<string, ObjRecord>,
  journal: TxJournal,
  priorOf: ReadonlyMap<string, Prior>
): GrpcTypes.BalanceChange[] => {
  // keyed by address and currency (`address|T`), in first-seen order
  const deltas = new Map<string, bigint>()
  const addDelta = (owner: OwnerRec, currency: string, d: bigint) => {
    if (owner.kind !== "address" || d === 0n) return
    const key = `${owner.address}|${currency}`
    deltas.set(key, (deltas.get(key) ?? 0n) + d)
  }
  for (const [id, rec] of touched) {
    if (!isCoin(rec)) continue
    const prior = priorOf.get(id)
    if (prior && !journal.created.has(id)) addDelta(prior.owner, currencyOf(rec), -(prior.balance ?? 0n))
    addDelta(rec.owner, currencyOf(rec), coinBalance(rec))
  }
  for (const [id, rec] of journal.deleted) {
    if (!isCoin(rec)) continue
    const prior = priorOf.get(id)
    addDelta(prior?.owner ?? rec.owner, currencyOf(rec), -(prior?.balance ?? coinBalance(rec)))
  }
  return [...deltas]
    .filter(([, d]) => d !== 0n)
    .map(([key, d]) => {
      const [address, coinType] = key.split("|") as [string, string]
      return { address, coinType, amount: d.toString() }
    })
}

export interface EmittedEvent {
  readonly callPackage: string
  readonly callModule: string
  readonly type: string
  readonly layout: MoveLayout
  readonly value: unknown
}

export const eventMessagesOf = (events: readonly EmittedEvent[], sender: string): GrpcTypes.Event[] =>
  events.map((e) => {
    const ev: GrpcTypes.Event = {
      packageId: e.callPackage,
      module: e.callModule,
      sender,
      eventType: e.type,
      contents: { name: e.type, value: encodeMove(e.layout, e.value) }
    }
    return defineLazy(ev, "json", () => jsonToProtoValue(moveJson(e.layout, e.value)))
  })
