/** Fast path of the transaction codec (see `txFromBcs`). */
import { toBase58 } from "@mysten/sui/utils"
import type { ObjRef, TxArg, TxCommand, TxData, TxExpiration, TxInput } from "./txdataTypes.js"

/**
 * Direct reader of the common case — `TransactionData::V1` with a programmable transaction, no
 * type arguments, no `Publish`/`Upgrade`, expiration `None`/`Epoch` — which is what the hot path
 * (create/start/complete/fail calls) sends. It is several times faster than the generic schema
 * parser; anything else returns undefined and goes through `txFromBcs`'s generic path.
 */
export const fastTxFromBcs = (bytes: Uint8Array): TxData | undefined => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let p = 0
  const u8 = () => bytes[p++]!
  const uleb = () => {
    let v = 0
    let shift = 0
    for (;;) {
      const b = bytes[p++]!
      v += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return v
      shift += 7
    }
  }
  const u16 = () => {
    const v = view.getUint16(p, true)
    p += 2
    return v
  }
  const u64 = () => {
    const v = view.getBigUint64(p, true)
    p += 8
    return v
  }
  const take = (n: number) => {
    const b = bytes.subarray(p, p + n)
    p += n
    if (b.length !== n) throw new RangeError("truncated TransactionData")
    return b
  }
  const addr = () => "0x" + Buffer.from(take(32)).toString("hex")
  const str = () => Buffer.from(take(uleb())).toString("utf8")
  const objRef = (): ObjRef => {
    const id = addr()
    const version = u64()
    const len = uleb()
    return { id, version, digest: toBase58(take(len)) }
  }
  const arg = (): TxArg | undefined => {
    switch (uleb()) {
      case 0: return { kind: "gas" }
      case 1: return { kind: "input", index: u16() }
      case 2: return { kind: "result", index: u16() }
      case 3: {
        const index = u16()
        return { kind: "result", index, sub: u16() }
      }
    }
    return undefined
  }
  const args = (): TxArg[] | undefined => {
    const n = uleb()
    const out: TxArg[] = []
    for (let i = 0; i < n; i++) {
      const a = arg()
      if (!a) return undefined
      out.push(a)
    }
    return out
  }
  if (uleb() !== 0) return undefined // V1
  if (uleb() !== 0) return undefined // ProgrammableTransaction
  const inputs: TxInput[] = []
  const nInputs = uleb()
  for (let i = 0; i < nInputs; i++) {
    const kind = uleb()
    if (kind === 0) inputs.push({ kind: "pure", bytes: take(uleb()) })
    else if (kind === 1) {
      const ok = uleb()
      if (ok === 0) inputs.push({ kind: "owned", ref: objRef() })
      else if (ok === 1) {
        const id = addr()
        const initialVersion = u64()
        inputs.push({ kind: "shared", id, initialVersion, mutable: u8() === 1 })
      } else if (ok === 2) inputs.push({ kind: "receiving", ref: objRef() })
      else return undefined
    } else return undefined
  }
  const commands: TxCommand[] = []
  const nCommands = uleb()
  for (let i = 0; i < nCommands; i++) {
    switch (uleb()) {
      case 0: {
        const pkg = addr()
        const module = str()
        const fn = str()
        if (uleb() !== 0) return undefined // type arguments: generic path
        const a = args()
        if (!a) return undefined
        commands.push({ kind: "moveCall", package: pkg, module, function: fn, typeArguments: [], args: a })
        break
      }
      case 1: {
        const objects = args()
        const address = arg()
        if (!objects || !address) return undefined
        commands.push({ kind: "transferObjects", objects, address })
        break
      }
      case 2: {
        const coin = arg()
        const amounts = args()
        if (!coin || !amounts) return undefined
        commands.push({ kind: "splitCoins", coin, amounts })
        break
      }
      case 3: {
        const coin = arg()
        const sources = args()
        if (!coin || !sources) return undefined
        commands.push({ kind: "mergeCoins", coin, sources })
        break
      }
      default:
        return undefined
    }
  }
  const sender = addr()
  const payment: ObjRef[] = []
  const nPay = uleb()
  for (let i = 0; i < nPay; i++) payment.push(objRef())
  const owner = addr()
  const price = u64()
  const budget = u64()
  const exp = uleb()
  let expiration: TxExpiration
  if (exp === 0) expiration = { kind: "none" }
  else if (exp === 1) expiration = { kind: "epoch", epoch: u64() }
  else return undefined
  if (p !== bytes.length) return undefined
  return { sender, gas: { payment, owner, price, budget }, expiration, inputs, commands }
}
