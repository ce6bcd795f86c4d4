/** The built-in PTB commands: SplitCoins, MergeCoins, TransferObjects and MakeMoveVec. */
import { ArgErr, ErrKind, ExecFailure, newCoin, type CommandOutcome, type CommandScope, type Val } from "./ptbScope.js"
import { coinBalance, type CoinValue } from "./objects.js"
import type { PlainData } from "./store.js"
import type { TxCommand } from "./txdata.js"

type Cmd<K extends TxCommand["kind"]> = Extract<TxCommand, { kind: K }>

const empty = { returnValues: [], mutatedByRef: [] }
const MAX_U64 = 0xffff_ffff_ffff_ffffn

export const splitCoins = (s: CommandScope, cmd: Cmd<"splitCoins">): CommandOutcome => {
  const coin = s.coinMut(cmd.coin, 0)
  const amounts = cmd.amounts.map((a, i) => s.u64(a, i + 1))
  const total = amounts.reduce((x, y) => x + y, 0n)
  const bal = (coin.data as PlainData<CoinValue>).v
  if (total > bal.balance) throw new ExecFailure(ErrKind.INSUFFICIENT_COIN_BALANCE, s.index, `split ${total} from a coin holding ${bal.balance}`)
  bal.balance -= total
  return { values: amounts.map((amount) => newCoin(s.ctx, amount, coin.type)), output: empty }
}

/** Adds `source`'s balance to `dest` (MergeCoins, `coin::join`, `pay::join`). */
export const joinInto = (s: CommandScope, dest: { id: string; data: unknown }, source: { id: string }, add: bigint, argIndex: number): void => {
  if (source.id === dest.id) s.fail(argIndex, ArgErr.INVALID_VALUE_USAGE, "cannot merge a coin into itself")
  const destV = (dest.data as PlainData<CoinValue>).v
  if (destV.balance + add > MAX_U64) throw new ExecFailure(ErrKind.COIN_BALANCE_OVERFLOW, s.index, "coin balance overflow")
  destV.balance += add
}

export const mergeCoins = (s: CommandScope, cmd: Cmd<"mergeCoins">): CommandOutcome => {
  const dest = s.coinMut(cmd.coin, 0)
  cmd.sources.forEach((a, i) => {
    const v = s.get(a, i + 1)
    if (v.t === "obj" && v.gas) s.fail(i + 1, ArgErr.INVALID_GAS_COIN_USAGE, "the gas coin cannot be merged into another coin")
    if ((v.t === "obj" || v.t === "newobj") && v.rec.id === dest.id) s.fail(i + 1, ArgErr.INVALID_VALUE_USAGE, "cannot merge a coin into itself")
    if ((v.t === "obj" || v.t === "newobj") && v.rec.type !== dest.type) s.fail(i + 1, ArgErr.TYPE_MISMATCH, `cannot merge a ${v.rec.type} into a ${dest.type}`)
    const rec = s.coinByValue(a, i + 1)
    joinInto(s, dest, rec, coinBalance(rec), i + 1)
  })
  return { values: [], output: empty }
}

export const transferObjects = (s: CommandScope, cmd: Cmd<"transferObjects">): CommandOutcome => {
  const recipient = s.address(cmd.address, cmd.objects.length)
  cmd.objects.forEach((a, i) => s.transfer(a, i, recipient))
  return { values: [], output: empty }
}

/** Pure values, or objects (coins for `pay::join_vec`); the objects are moved into the vector. */
export const makeMoveVec = (s: CommandScope, cmd: Cmd<"makeMoveVec">): CommandOutcome => {
  const items: Val[] = cmd.elements.map((a, i) => {
    const v = s.take(a, i)
    if (v.t === "pure") return v
    if (v.t === "obj" || v.t === "newobj") {
      if (v.t === "obj" && v.gas) s.fail(i, ArgErr.INVALID_GAS_COIN_USAGE, "the gas coin cannot be put in a vector")
      if (v.t === "obj" && (!v.mutable || v.rec.owner.kind !== "address")) s.fail(i, ArgErr.INVALID_OBJECT_BY_VALUE, "object cannot be moved by value")
      s.markMoved(a)
      return v
    }
    throw new ExecFailure(ErrKind.FEATURE_NOT_YET_SUPPORTED, s.index, "MakeMoveVec is supported for pure values and objects only")
  })
  if (items.length > 0 && items.some((v) => v.t === "pure") && items.some((v) => v.t !== "pure")) {
    s.fail(0, ArgErr.TYPE_MISMATCH, "vector elements of different types")
  }
  return { values: [{ t: "vec", items }], output: empty }
}
