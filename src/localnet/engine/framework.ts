/**
 * The `0x2` framework functions a dApp reaches with the SDK alone: `coin` (value, split, join,
 * zero, destroy_zero, divide_into_n), `pay` (split, split_vec, split_and_transfer, join, join_vec,
 * join_vec_and_transfer, divide_and_keep), `transfer::public_transfer` and `clock::timestamp_ms`.
 * Their signatures are the framework's (type parameters included), so `GetFunction` answers what
 * the SDK's argument resolution expects; aborts are the framework's codes at the framework's
 * location (`0x2::balance::split` code 2 for a split beyond the balance, as `balance::ENotEnough`).
 * They work over `Coin<T>` for any currency `T` (SUI, or the localnet's test coin): a coin
 * argument of another type than the call's `T` is a TYPE_MISMATCH, as the Move VM's type check.
 */
import { bcs } from "@mysten/sui/bcs"
import { normalizeStructTag } from "@mysten/sui/utils"
import { CoinLayout } from "./layouts.js"
import { encodeMove } from "./moveValue.js"
import { CLOCK_ID, coinBalance, coinTypeOf, isCoin, type CoinValue } from "./objects.js"
import { joinInto } from "./ptbCommands.js"
import { ArgErr, ErrKind, ExecFailure, newCoin, type CommandOutcome, type CommandScope, type Val } from "./ptbScope.js"
import { ClockParam, SUI, TxContextParam, type MoveParam, type MoveType } from "./runtime.js"
import type { ObjRecord, PlainData } from "./store.js"
import type { TxArg, TxCommand } from "./txdata.js"

/** Ability constraints of a type parameter (sui.rpc.v2 `Ability`). */
const KEY = 4
const STORE = 3

export interface FrameworkFunction {
  readonly module: string
  readonly name: string
  readonly isEntry: boolean
  /** One entry per type parameter: its ability constraints. */
  readonly typeParameters: ReadonlyArray<ReadonlyArray<number>>
  /** The full signature, TxContext included (as GetFunction describes it). */
  readonly params: ReadonlyArray<MoveParam>
  readonly returns: ReadonlyArray<MoveParam>
  readonly run: (s: CommandScope, args: readonly TxArg[], typeArguments: readonly string[]) => CommandOutcome
}

const T: MoveType = { typeParameter: 0 }
const CoinT: MoveType = { datatype: `${SUI}::coin::Coin`, params: [T] }
const coinMutP: MoveParam = { ref: "mut", type: CoinT }
const coinP: MoveParam = { type: CoinT }
const u64P: MoveParam = { type: "u64" }
const addressP: MoveParam = { type: "address" }
const ctxP = TxContextParam(true)

const empty = { returnValues: [], mutatedByRef: [] }
const u64Val = (n: bigint): Val => ({ t: "value", v: n, type: "u64", bytes: bcs.u64().serialize(n).toBytes() })
const coinBytes = (v: Val): Uint8Array => (v.t === "newobj" ? encodeMove(CoinLayout, v.rec.data.value()) : new Uint8Array())
const returning = (values: Val[], mutated: ObjRecord[] = []): CommandOutcome => ({
  values,
  output: {
    returnValues: values.map((v) => ({ value: { value: v.t === "value" ? v.bytes : coinBytes(v) } })),
    mutatedByRef: mutated.map((rec) => ({ value: { name: rec.type, value: encodeMove(CoinLayout, rec.data.value()) } }))
  }
})

const balanceOf = (rec: ObjRecord) => (rec.data as PlainData<CoinValue>).v

/** `balance::split`: aborts with `ENotEnough` (2) in `0x2::balance` beyond the balance. */
const take = (s: CommandScope, coin: ObjRecord, amount: bigint): Val => {
  const b = balanceOf(coin)
  if (amount > b.balance) s.ctx.abort("balance", "split", 2n, `balance::split of ${amount} from ${b.balance}`, SUI)
  b.balance -= amount
  return newCoin(s.ctx, amount, coin.type)
}

/** `coin::divide_into_n`: `EInvalidArg` (1) for n = 0, `ENotEnough` (2) for n above the value. */
const divide = (s: CommandScope, coin: ObjRecord, n: bigint): Val[] => {
  if (n === 0n) s.ctx.abort("coin", "divide_into_n", 1n, "coin::divide_into_n into 0 parts", SUI)
  const value = balanceOf(coin).balance
  if (n > value) s.ctx.abort("coin", "divide_into_n", 2n, `coin::divide_into_n of ${value} into ${n} parts`, SUI)
  const each = value / n
  return Array.from({ length: Number(n - 1n) }, () => take(s, coin, each))
}

const u64s = (s: CommandScope, a: TxArg, argIndex: number): bigint[] => {
  const v = s.take(a, argIndex)
  const bytes = v.t === "pure" ? v.bytes : undefined
  if (bytes === undefined) return s.fail(argIndex, ArgErr.TYPE_MISMATCH, "expected vector<u64>")
  try {
    return bcs.vector(bcs.u64()).parse(bytes).map((x) => BigInt(x))
  } catch {
    return s.fail(argIndex, ArgErr.INVALID_BCS_BYTES, "invalid BCS for vector<u64>")
  }
}

/** A `vector<Coin<T>>` argument (MakeMoveVec of coins): its coins, moved out of the vector. */
const coinVector = (s: CommandScope, a: TxArg, argIndex: number): Array<Extract<Val, { t: "obj" | "newobj" }>> => {
  const v = s.take(a, argIndex)
  const want = `expected vector<${s.coinType ?? "Coin<T>"}>`
  if (v.t !== "vec") return s.fail(argIndex, ArgErr.TYPE_MISMATCH, want)
  const coins = v.items.map((item) => {
    if ((item.t !== "obj" && item.t !== "newobj") || !isCoin(item.rec) || (s.coinType !== undefined && item.rec.type !== s.coinType)) return s.fail(argIndex, ArgErr.TYPE_MISMATCH, want)
    return item
  })
  s.markMoved(a)
  return coins
}

/** Joins a coin taken by value into `dest`: a stored one is deleted. */
const absorb = (s: CommandScope, dest: ObjRecord, source: Extract<Val, { t: "obj" | "newobj" }>, argIndex: number): void => {
  if (source.t === "obj") s.ctx.journal.delete(source.rec.id)
  joinInto(s, dest, source.rec, coinBalance(source.rec), argIndex)
}

const keep = (s: CommandScope, coins: Val[], recipient = s.ctx.sender): void => {
  for (const c of coins) {
    if (c.t !== "newobj") continue
    c.rec.owner = { kind: "address", address: recipient }
    s.ctx.journal.create(c.rec)
  }
}

const coinFns: FrameworkFunction[] = [
  { module: "coin", name: "value", isEntry: false, typeParameters: [[]], params: [{ ref: "imm", type: CoinT }], returns: [u64P],
    run: (s, [c]) => returning([u64Val(coinBalance(s.coinRef(c!, 0)))]) },
  { module: "coin", name: "split", isEntry: false, typeParameters: [[]], params: [coinMutP, u64P, ctxP], returns: [coinP],
    run: (s, [c, n]) => {
      const coin = s.coinMut(c!, 0)
      return returning([take(s, coin, s.u64(n!, 1))], [coin])
    } },
  { module: "coin", name: "join", isEntry: false, typeParameters: [[]], params: [coinMutP, coinP], returns: [],
    run: (s, [c, other]) => {
      const coin = s.coinMut(c!, 0)
      const source = s.coinByValue(other!, 1)
      joinInto(s, coin, source, coinBalance(source), 1)
      return returning([], [coin])
    } },
  { module: "coin", name: "zero", isEntry: false, typeParameters: [[]], params: [ctxP], returns: [coinP],
    run: (s) => returning([newCoin(s.ctx, 0n, s.coinType)]) },
  { module: "coin", name: "destroy_zero", isEntry: false, typeParameters: [[]], params: [coinP], returns: [],
    run: (s, [c]) => {
      const coin = s.coinByValue(c!, 0)
      // balance::destroy_zero: ENonZero (0)
      if (coinBalance(coin) !== 0n) s.ctx.abort("balance", "destroy_zero", 0n, "balance::destroy_zero of a non-zero balance", SUI)
      return returning([])
    } },
  { module: "coin", name: "divide_into_n", isEntry: false, typeParameters: [[]], params: [coinMutP, u64P, ctxP], returns: [{ type: { vector: CoinT } }],
    run: (s, [c, n]) => {
      const coin = s.coinMut(c!, 0)
      return { values: [{ t: "vec", items: divide(s, coin, s.u64(n!, 1)) }], output: empty }
    } }
]

const payFns: FrameworkFunction[] = [
  { module: "pay", name: "split", isEntry: true, typeParameters: [[]], params: [coinMutP, u64P, ctxP], returns: [],
    run: (s, [c, n]) => {
      keep(s, [take(s, s.coinMut(c!, 0), s.u64(n!, 1))])
      return returning([])
    } },
  { module: "pay", name: "split_vec", isEntry: true, typeParameters: [[]], params: [coinMutP, { type: { vector: "u64" } }, ctxP], returns: [],
    run: (s, [c, ns]) => {
      const coin = s.coinMut(c!, 0)
      keep(s, u64s(s, ns!, 1).map((n) => take(s, coin, n)))
      return returning([])
    } },
  { module: "pay", name: "split_and_transfer", isEntry: true, typeParameters: [[]], params: [coinMutP, u64P, addressP, ctxP], returns: [],
    run: (s, [c, n, to]) => {
      const part = take(s, s.coinMut(c!, 0), s.u64(n!, 1))
      keep(s, [part], s.address(to!, 2))
      return returning([])
    } },
  { module: "pay", name: "divide_and_keep", isEntry: true, typeParameters: [[]], params: [coinMutP, u64P, ctxP], returns: [],
    run: (s, [c, n]) => {
      keep(s, divide(s, s.coinMut(c!, 0), s.u64(n!, 1)))
      return returning([])
    } },
  { module: "pay", name: "join", isEntry: true, typeParameters: [[]], params: [coinMutP, coinP], returns: [],
    run: (s, [c, other]) => {
      const coin = s.coinMut(c!, 0)
      const source = s.coinByValue(other!, 1)
      joinInto(s, coin, source, coinBalance(source), 1)
      return returning([])
    } },
  { module: "pay", name: "join_vec", isEntry: true, typeParameters: [[]], params: [coinMutP, { type: { vector: CoinT } }], returns: [],
    run: (s, [c, v]) => {
      const coin = s.coinMut(c!, 0)
      for (const source of coinVector(s, v!, 1)) absorb(s, coin, source, 1)
      return returning([])
    } },
  { module: "pay", name: "join_vec_and_transfer", isEntry: true, typeParameters: [[]], params: [{ type: { vector: CoinT } }, addressP], returns: [],
    run: (s, [v, to]) => {
      const coins = coinVector(s, v!, 0)
      const recipient = s.address(to!, 1)
      // vector::is_empty check of pay::join_vec_and_transfer: ENoCoins (0)
      if (coins.length === 0) s.ctx.abort("pay", "join_vec_and_transfer", 0n, "pay::join_vec_and_transfer of no coins", SUI)
      const [first, ...rest] = coins
      if (first!.t === "obj") s.ctx.journal.mutate(first!.rec)
      for (const source of rest) absorb(s, first!.rec, source, 0)
      if (first!.t === "obj") s.ctx.journal.transfer(first!.rec, { kind: "address", address: recipient })
      else keep(s, [first!], recipient)
      return returning([])
    } }
]

const otherFns: FrameworkFunction[] = [
  { module: "transfer", name: "public_transfer", isEntry: false, typeParameters: [[KEY, STORE]], params: [{ type: T }, addressP], returns: [],
    run: (s, [obj, to], [type]) => {
      const v = s.get(obj!, 0)
      const actual = v.t === "obj" || v.t === "newobj" ? v.rec.type : v.t === "struct" ? v.sv._struct : undefined
      if (actual === undefined || normalizeStructTag(actual) !== normalizeStructTag(type!)) {
        s.fail(0, ArgErr.TYPE_MISMATCH, `expected ${type}, got ${actual ?? "a non-object value"}`)
      }
      s.transfer(obj!, 0, s.address(to!, 1))
      return returning([])
    } },
  { module: "clock", name: "timestamp_ms", isEntry: false, typeParameters: [], params: [ClockParam], returns: [u64P],
    run: (s, [c]) => {
      const v = s.take(c!, 0)
      if (v.t !== "obj" || v.rec.id !== CLOCK_ID) return s.fail(0, ArgErr.TYPE_MISMATCH, `expected ${SUI}::clock::Clock`)
      return returning([u64Val(s.ctx.nowMs)])
    } }
]

/** The framework functions by `module::name`. */
export const frameworkFunctions: ReadonlyMap<string, FrameworkFunction> = new Map(
  [...coinFns, ...payFns, ...otherFns].map((f) => [`${f.module}::${f.name}`, f])
)

type MoveCallCmd = Extract<TxCommand, { kind: "moveCall" }>

/** Runs a MoveCall into `0x2`. */
export const frameworkCall = (s: CommandScope, cmd: MoveCallCmd): CommandOutcome => {
  const fn = frameworkFunctions.get(`${cmd.module}::${cmd.function}`)
  if (!fn) throw new ExecFailure(ErrKind.FUNCTION_NOT_FOUND, s.index, `function ${cmd.package}::${cmd.module}::${cmd.function} not found`)
  if (cmd.typeArguments.length !== fn.typeParameters.length) {
    throw new ExecFailure(ErrKind.TYPE_ARITY_MISMATCH, s.index, `expected ${fn.typeParameters.length} type arguments, got ${cmd.typeArguments.length}`)
  }
  const isCoinFn = fn.module === "coin" || fn.module === "pay"
  if (isCoinFn) {
    let currency: string
    try {
      currency = normalizeStructTag(cmd.typeArguments[0]!)
    } catch {
      throw new ExecFailure(ErrKind.TYPE_ARGUMENT_ERROR, s.index, `invalid type argument ${cmd.typeArguments[0]}`)
    }
    s.coinType = coinTypeOf(currency)
  }
  const arity = fn.params.filter((p) => p !== ctxP).length
  if (cmd.args.length !== arity) throw new ExecFailure(ErrKind.ARITY_MISMATCH, s.index, `expected ${arity} arguments, got ${cmd.args.length}`)
  return fn.run(s, cmd.args, cmd.typeArguments)
}
