/**
 * What one PTB command sees: the values of earlier commands and the inputs, and the typed ways to
 * take them (a coin by reference or by value, a u64, an address) with the argument errors Sui
 * reports when they do not fit.
 */
import { bcs } from "@mysten/sui/bcs"
import type { GrpcTypes } from "@mysten/sui/grpc"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { coinData, GAS_COIN_TYPE, isCoin } from "./objects.js"
import type { MoveCtx, MoveFunction, StructValue } from "./runtime.js"
import type { ObjRecord } from "./store.js"
import type { TxArg } from "./txdata.js"

/** A non-abort execution failure (`ExecutionError.kind` values of sui.rpc.v2). */
export class ExecFailure extends Error {
  constructor(
    readonly kind: number,
    readonly command: number | undefined,
    message: string,
    readonly argument?: { index: number; kind: number }
  ) {
    super(message)
  }
}

export const ErrKind = {
  INSUFFICIENT_GAS: 1,
  INSUFFICIENT_COIN_BALANCE: 8,
  COIN_BALANCE_OVERFLOW: 9,
  MOVE_ABORT: 13,
  FUNCTION_NOT_FOUND: 16,
  ARITY_MISMATCH: 17,
  TYPE_ARITY_MISMATCH: 18,
  COMMAND_ARGUMENT_ERROR: 20,
  TYPE_ARGUMENT_ERROR: 21,
  UNUSED_VALUE_WITHOUT_DROP: 22,
  FEATURE_NOT_YET_SUPPORTED: 4
} as const

export const ArgErr = {
  TYPE_MISMATCH: 1,
  INVALID_BCS_BYTES: 2,
  INDEX_OUT_OF_BOUNDS: 5,
  INVALID_GAS_COIN_USAGE: 8,
  INVALID_VALUE_USAGE: 9,
  INVALID_OBJECT_BY_VALUE: 10,
  INVALID_OBJECT_BY_MUT_REF: 11
} as const

/** A value held by the PTB. */
export type Val =
  | { readonly t: "pure"; readonly bytes: Uint8Array }
  | { readonly t: "obj"; readonly rec: ObjRecord; readonly mutable: boolean; readonly gas: boolean }
  | { readonly t: "newobj"; readonly rec: ObjRecord }
  | { readonly t: "value"; readonly v: unknown; readonly type: string; readonly bytes: Uint8Array }
  | { readonly t: "struct"; readonly sv: StructValue }
  | { readonly t: "vec"; readonly items: Val[] }
  | { t: "moved" }

export interface PtbEnv {
  readonly ctx: MoveCtx
  readonly functions: ReadonlyMap<string, MoveFunction>
  readonly packageId: string
  /** Input values, in order (pure bytes or objects with mutability). */
  readonly inputs: Array<Val>
  /** The (smashed) gas coin, if the transaction pays with coins. */
  readonly gasCoin: ObjRecord | undefined
  /** Told which command runs (MoveCalls: with their package and module). */
  readonly enterCommand?: (index: number, pkg: string, module: string) => void
}

/** One command's values and its `CommandResult`. */
export interface CommandOutcome {
  readonly values: Val[]
  readonly output: GrpcTypes.CommandResult
}

export const inputPure = (bytes: Uint8Array): Val => ({ t: "pure", bytes })
export const inputObject = (rec: ObjRecord, mutable: boolean): Val => ({ t: "obj", rec, mutable, gas: false })

/** A fresh coin (`Coin<SUI>` unless `type` names another) made inside the transaction (stored when transferred). */
export const newCoin = (ctx: MoveCtx, amount: bigint, type: string = GAS_COIN_TYPE): Val => {
  const id = ctx.newId()
  const rec: ObjRecord = {
    id, version: 0n, digest: "", owner: { kind: "immutable" }, type, previousTransaction: "",
    storageRebate: 0n, hasPublicTransfer: true, data: coinData(id, amount)
  }
  return { t: "newobj", rec }
}

/** The argument accessors of command `index`. */
export class CommandScope {
  constructor(
    readonly env: PtbEnv,
    private readonly results: Val[][],
    readonly index: number,
    private readonly gasVal: Val | undefined
  ) {}

  get ctx(): MoveCtx {
    return this.env.ctx
  }

  fail(argIndex: number, kind: number, msg: string): never {
    throw new ExecFailure(ErrKind.COMMAND_ARGUMENT_ERROR, this.index, msg, { index: argIndex, kind })
  }

  get(a: TxArg, argIndex: number): Val {
    if (a.kind === "gas") {
      if (!this.gasVal) return this.fail(argIndex, ArgErr.INVALID_GAS_COIN_USAGE, "no gas coin in this transaction")
      return this.gasVal
    }
    if (a.kind === "input") {
      const v = this.env.inputs[a.index]
      if (!v) return this.fail(argIndex, ArgErr.INDEX_OUT_OF_BOUNDS, `input ${a.index} out of bounds`)
      return v
    }
    const r = this.results[a.index]
    if (!r) return this.fail(argIndex, ArgErr.INDEX_OUT_OF_BOUNDS, `result ${a.index} out of bounds`)
    const v = a.sub === undefined ? (r.length === 1 ? r[0] : undefined) : r[a.sub]
    if (!v) return this.fail(argIndex, ArgErr.INDEX_OUT_OF_BOUNDS, `result ${a.index}/${a.sub ?? "-"} out of bounds`)
    return v
  }

  take(a: TxArg, argIndex: number): Val {
    const v = this.get(a, argIndex)
    if (v.t === "moved") return this.fail(argIndex, ArgErr.INVALID_VALUE_USAGE, "value already moved")
    return v
  }

  markMoved(a: TxArg): void {
    if (a.kind === "result") this.results[a.index]![a.sub ?? 0] = { t: "moved" }
    else if (a.kind === "input") this.env.inputs[a.index] = { t: "moved" }
  }

  /**
   * The coin type the running framework call was instantiated with (`Coin<T>` for its `T`);
   * coin arguments of another type are a TYPE_MISMATCH. Unset: any coin.
   */
  coinType: string | undefined = undefined

  private isCoinArg(rec: ObjRecord): boolean {
    return isCoin(rec) && (this.coinType === undefined || rec.type === this.coinType)
  }

  private expected(): string {
    return `expected a ${this.coinType ?? "Coin<T>"}`
  }

  /** A `&mut Coin<T>` (the gas coin included); the coin is journaled as mutated. */
  coinMut(a: TxArg, argIndex: number): ObjRecord {
    const v = this.take(a, argIndex)
    if ((v.t === "obj" || v.t === "newobj") && this.isCoinArg(v.rec)) {
      if (v.t === "obj" && !v.mutable) return this.fail(argIndex, ArgErr.INVALID_OBJECT_BY_MUT_REF, "coin is not mutable")
      if (v.t === "obj") this.ctx.journal.mutate(v.rec)
      return v.rec
    }
    return this.fail(argIndex, ArgErr.TYPE_MISMATCH, this.expected())
  }

  /** A `Coin<T>` by value: consumed (an owned input is deleted; the gas coin cannot be). */
  coinByValue(a: TxArg, argIndex: number): ObjRecord {
    const v = this.take(a, argIndex)
    if (v.t === "obj" && v.gas) return this.fail(argIndex, ArgErr.INVALID_GAS_COIN_USAGE, "the gas coin can only be taken by value by TransferObjects")
    if ((v.t !== "obj" && v.t !== "newobj") || !this.isCoinArg(v.rec)) return this.fail(argIndex, ArgErr.TYPE_MISMATCH, this.expected())
    if (v.t === "obj") {
      if (!v.mutable || v.rec.owner.kind !== "address") return this.fail(argIndex, ArgErr.INVALID_OBJECT_BY_VALUE, "coin is not owned")
      this.ctx.journal.delete(v.rec.id)
    }
    this.markMoved(a)
    return v.rec
  }

  /** A `&Coin<T>` (read only). */
  coinRef(a: TxArg, argIndex: number): ObjRecord {
    const v = this.take(a, argIndex)
    if ((v.t === "obj" || v.t === "newobj") && this.isCoinArg(v.rec)) return v.rec
    return this.fail(argIndex, ArgErr.TYPE_MISMATCH, this.expected())
  }

  u64(a: TxArg, argIndex: number): bigint {
    const v = this.take(a, argIndex)
    if (v.t === "pure") {
      try {
        return BigInt(bcs.u64().parse(v.bytes))
      } catch {
        return this.fail(argIndex, ArgErr.INVALID_BCS_BYTES, "invalid u64")
      }
    }
    if (v.t === "value" && v.type === "u64") return v.v as bigint
    return this.fail(argIndex, ArgErr.TYPE_MISMATCH, "expected u64")
  }

  address(a: TxArg, argIndex: number): string {
    const v = this.take(a, argIndex)
    if (v.t === "pure" && v.bytes.length === 32) return normalizeSuiAddress(bcs.Address.parse(v.bytes))
    if (v.t === "value" && v.type === "address") return v.v as string
    return this.fail(argIndex, ArgErr.TYPE_MISMATCH, "expected an address")
  }

  /** Sends the object argument `a` to `recipient` (TransferObjects and `transfer::public_transfer`). */
  transfer(a: TxArg, argIndex: number, recipient: string): void {
    const v = this.take(a, argIndex)
    const owner = { kind: "address" as const, address: recipient }
    if (v.t === "obj") {
      if (!v.mutable || v.rec.owner.kind !== "address") this.fail(argIndex, ArgErr.INVALID_OBJECT_BY_VALUE, "object cannot be transferred by value")
      if (!v.rec.hasPublicTransfer) this.fail(argIndex, ArgErr.TYPE_MISMATCH, "object has no public transfer (store)")
      this.ctx.journal.transfer(v.rec, owner)
    } else if (v.t === "newobj") {
      v.rec.owner = owner
      this.ctx.journal.create(v.rec)
    } else if (v.t === "struct" && v.sv.object) {
      v.sv.object.owner = owner
      this.ctx.journal.create(v.sv.object)
    } else this.fail(argIndex, ArgErr.TYPE_MISMATCH, "only objects can be transferred")
    if (!(v.t === "obj" && v.gas)) this.markMoved(a)
  }
}
