/** Fast path of the transaction codec (see `txFromBcs`). */
import { toBase58 } from "@mysten/sui/utils"
import type { ObjRef, TxArg, TxCommand, TxData, TxExpiration, TxInput } from "./txdataTypes.js"

/** A cursor over BCS bytes: little-endian integers, ULEB128 lengths, addresses, strings. */
class Reader {
  p = 0
  private readonly view: DataView
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  u8(): number {
    return this.bytes[this.p++]!
  }
  uleb(): number {
    let v = 0
    let shift = 0
    for (;;) {
      const b = this.bytes[this.p++]!
      v += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return v
      shift += 7
    }
  }
  u16(): number {
    const v = this.view.getUint16(this.p, true)
    this.p += 2
    return v
  }
  u64(): bigint {
    const v = this.view.getBigUint64(this.p, true)
    this.p += 8
    return v
  }
  take(n: number): Uint8Array {
    const b = this.bytes.subarray(this.p, this.p + n)
    this.p += n
    if (b.length !== n) throw new RangeError("truncated TransactionData")
    return b
  }
  addr(): string {
    return "0x" + Buffer.from(this.take(32)).toString("hex")
  }
  str(): string {
    return Buffer.from(this.take(this.uleb())).toString("utf8")
  }
  objRef(): ObjRef {
    const id = this.addr()
    const version = this.u64()
    const len = this.uleb()
    return { id, version, digest: toBase58(this.take(len)) }
  }
  arg(): TxArg | undefined {
    switch (this.uleb()) {
      case 0: return { kind: "gas" }
      case 1: return { kind: "input", index: this.u16() }
      case 2: return { kind: "result", index: this.u16() }
      case 3: {
        const index = this.u16()
        return { kind: "result", index, sub: this.u16() }
      }
    }
    return undefined
  }
  args(): TxArg[] | undefined {
    const n = this.uleb()
    const out: TxArg[] = []
    for (let i = 0; i < n; i++) {
      const a = this.arg()
      if (!a) return undefined
      out.push(a)
    }
    return out
  }
}

/** The PTB's inputs: pure bytes, owned / shared / receiving objects (anything else: generic path). */
const readInputs = (r: Reader): TxInput[] | undefined => {
  const inputs: TxInput[] = []
  const n = r.uleb()
  for (let i = 0; i < n; i++) {
    const kind = r.uleb()
    if (kind === 0) inputs.push({ kind: "pure", bytes: r.take(r.uleb()) })
    else if (kind === 1) {
      const ok = r.uleb()
      if (ok === 0) inputs.push({ kind: "owned", ref: r.objRef() })
      else if (ok === 1) {
        const id = r.addr()
        const initialVersion = r.u64()
        inputs.push({ kind: "shared", id, initialVersion, mutable: r.u8() === 1 })
      } else if (ok === 2) inputs.push({ kind: "receiving", ref: r.objRef() })
      else return undefined
    } else return undefined
  }
  return inputs
}

/** One command of the four the fast path reads (a generic MoveCall or any other: `undefined`). */
const readCommand = (r: Reader): TxCommand | undefined => {
  switch (r.uleb()) {
    case 0: {
      const pkg = r.addr()
      const module = r.str()
      const fn = r.str()
      if (r.uleb() !== 0) return undefined // type arguments: generic path
      const a = r.args()
      return a && { kind: "moveCall", package: pkg, module, function: fn, typeArguments: [], args: a }
    }
    case 1: {
      const objects = r.args()
      const address = r.arg()
      return objects && address && { kind: "transferObjects", objects, address }
    }
    case 2: {
      const coin = r.arg()
      const amounts = r.args()
      return coin && amounts && { kind: "splitCoins", coin, amounts }
    }
    case 3: {
      const coin = r.arg()
      const sources = r.args()
      return coin && sources && { kind: "mergeCoins", coin, sources }
    }
    default:
      return undefined
  }
}

const readCommands = (r: Reader): TxCommand[] | undefined => {
  const commands: TxCommand[] = []
  const n = r.uleb()
  for (let i = 0; i < n; i++) {
    const c = readCommand(r)
    if (!c) return undefined
    commands.push(c)
  }
  return commands
}

/** Sender, gas data and expiration (`None` or `Epoch`), the tail of `TransactionData::V1`. */
const readTail = (r: Reader): Pick<TxData, "sender" | "gas" | "expiration"> | undefined => {
  const sender = r.addr()
  const payment: ObjRef[] = []
  const nPay = r.uleb()
  for (let i = 0; i < nPay; i++) payment.push(r.objRef())
  const owner = r.addr()
  const price = r.u64()
  const budget = r.u64()
  const exp = r.uleb()
  let expiration: TxExpiration
  if (exp === 0) expiration = { kind: "none" }
  else if (exp === 1) expiration = { kind: "epoch", epoch: r.u64() }
  else return undefined
  return { sender, gas: { payment, owner, price, budget }, expiration }
}

/**
 * Direct reader of the common case — `TransactionData::V1` with a programmable transaction, no
 * type arguments, no `Publish`/`Upgrade`, expiration `None`/`Epoch` — which is what the hot path
 * (create/start/complete/fail calls) sends. It is several times faster than the generic schema
 * parser; anything else returns undefined and goes through `txFromBcs`'s generic path.
 */
export const fastTxFromBcs = (bytes: Uint8Array): TxData | undefined => {
  const r = new Reader(bytes)
  if (r.uleb() !== 0) return undefined // V1
  if (r.uleb() !== 0) return undefined // ProgrammableTransaction
  const inputs = readInputs(r)
  if (!inputs) return undefined
  const commands = readCommands(r)
  if (!commands) return undefined
  const tail = readTail(r)
  if (!tail || r.p !== bytes.length) return undefined
  return { ...tail, inputs, commands }
}
