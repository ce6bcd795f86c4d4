/**
 * Transactions in one internal shape, read from the BCS `TransactionData` that `@mysten/sui`
 * signs or from the structured gRPC `Transaction` (which may carry unresolved object inputs when
 * it comes from `SimulateTransaction`), and written back as gRPC `Transaction` / BCS.
 */
import { bcs } from "@mysten/sui/bcs"
import { fromBase64, normalizeSuiAddress, toBase64 } from "@mysten/sui/utils"
import { fastTxFromBcs } from "./txdataFast.js"
import type { GrpcTypes } from "@mysten/sui/grpc"
import type { ObjRef, TxArg, TxCommand, TxData, TxExpiration, TxInput } from "./txdataTypes.js"

export type { ObjRef, TxArg, TxCommand, TxData, TxExpiration, TxInput } from "./txdataTypes.js"

export class TxDecodeError extends Error {}

export { fastTxFromBcs }

const arg = (a: any): TxArg => {
  switch (a.$kind) {
    case "GasCoin": return { kind: "gas" }
    case "Input": return { kind: "input", index: a.Input }
    case "Result": return { kind: "result", index: a.Result }
    case "NestedResult": return { kind: "result", index: a.NestedResult[0], sub: a.NestedResult[1] }
  }
  throw new TxDecodeError(`unsupported argument ${String(a.$kind)}`)
}

const ref = (r: any): ObjRef => ({ id: normalizeSuiAddress(r.objectId), version: BigInt(r.version), digest: r.digest })

/** Decodes BCS `TransactionData` bytes. */
export const txFromBcs = (bytes: Uint8Array): TxData => {
  try {
    const fast = fastTxFromBcs(bytes)
    if (fast) return fast
  } catch {
    // fall through to the generic parser, which reports the error precisely
  }
  return txFromBcsGeneric(bytes)
}

/** Decodes BCS `TransactionData` bytes with the SDK's schema (any shape the SDK can write). */
export const txFromBcsGeneric = (bytes: Uint8Array): TxData => {
  let parsed: any
  try {
    parsed = bcs.TransactionData.parse(bytes)
  } catch (e) {
    throw new TxDecodeError(`cannot decode TransactionData: ${(e as Error).message}`)
  }
  const v1 = parsed.V1
  if (!v1) throw new TxDecodeError("unsupported TransactionData version")
  const pt = v1.kind.ProgrammableTransaction
  if (!pt) throw new TxDecodeError(`unsupported transaction kind ${String(v1.kind.$kind)}`)
  const inputs: TxInput[] = pt.inputs.map((i: any): TxInput => {
    if (i.$kind === "Pure") return { kind: "pure", bytes: fromBase64(i.Pure.bytes) }
    if (i.$kind === "Object") {
      const o = i.Object
      if (o.$kind === "ImmOrOwnedObject") return { kind: "owned", ref: ref(o.ImmOrOwnedObject) }
      if (o.$kind === "SharedObject") {
        return { kind: "shared", id: normalizeSuiAddress(o.SharedObject.objectId), initialVersion: BigInt(o.SharedObject.initialSharedVersion), mutable: o.SharedObject.mutable }
      }
      if (o.$kind === "Receiving") return { kind: "receiving", ref: ref(o.Receiving) }
    }
    throw new TxDecodeError(`unsupported input ${String(i.$kind)}`)
  })
  const commands: TxCommand[] = pt.commands.map((c: any): TxCommand => {
    switch (c.$kind) {
      case "MoveCall":
        return {
          kind: "moveCall",
          package: normalizeSuiAddress(c.MoveCall.package),
          module: c.MoveCall.module,
          function: c.MoveCall.function,
          typeArguments: c.MoveCall.typeArguments,
          args: c.MoveCall.arguments.map(arg)
        }
      case "SplitCoins": return { kind: "splitCoins", coin: arg(c.SplitCoins.coin), amounts: c.SplitCoins.amounts.map(arg) }
      case "MergeCoins": return { kind: "mergeCoins", coin: arg(c.MergeCoins.destination), sources: c.MergeCoins.sources.map(arg) }
      case "TransferObjects": return { kind: "transferObjects", objects: c.TransferObjects.objects.map(arg), address: arg(c.TransferObjects.address) }
      case "MakeMoveVec": return { kind: "makeMoveVec", type: c.MakeMoveVec.type ?? null, elements: c.MakeMoveVec.elements.map(arg) }
      default: return { kind: "unsupported", name: String(c.$kind) }
    }
  })
  const e = v1.expiration
  const expiration: TxExpiration =
    e.$kind === "Epoch" ? { kind: "epoch", epoch: BigInt(e.Epoch) }
    : e.$kind === "ValidDuring" ? {
        kind: "validDuring",
        minEpoch: e.ValidDuring.minEpoch == null ? null : BigInt(e.ValidDuring.minEpoch),
        maxEpoch: e.ValidDuring.maxEpoch == null ? null : BigInt(e.ValidDuring.maxEpoch),
        chain: e.ValidDuring.chain,
        nonce: e.ValidDuring.nonce
      }
    : { kind: "none" }
  return {
    sender: normalizeSuiAddress(v1.sender),
    gas: { payment: v1.gasData.payment.map(ref), owner: normalizeSuiAddress(v1.gasData.owner), price: BigInt(v1.gasData.price), budget: BigInt(v1.gasData.budget) },
    expiration,
    inputs,
    commands
  }
}

const protoArg = (a: GrpcTypes.Argument | undefined): TxArg => {
  if (!a) throw new TxDecodeError("missing argument")
  switch (a.kind) {
    case 1: return { kind: "gas" }
    case 2: return { kind: "input", index: a.input ?? 0 }
    case 3: return a.subresult === undefined ? { kind: "result", index: a.result ?? 0 } : { kind: "result", index: a.result ?? 0, sub: a.subresult }
  }
  throw new TxDecodeError("unknown argument kind")
}

const protoRef = (r: GrpcTypes.ObjectReference): ObjRef => {
  if (!r.objectId || r.version === undefined || !r.digest) throw new TxDecodeError("incomplete object reference")
  return { id: normalizeSuiAddress(r.objectId), version: r.version, digest: r.digest }
}

/** Reads a structured gRPC Transaction (inputs may be unresolved; gas fields may be missing). */
export const txFromProto = (t: GrpcTypes.Transaction): TxData => {
  if (t.bcs?.value && t.bcs.value.length > 0) return txFromBcs(t.bcs.value)
  const k = t.kind?.data
  if (!k || k.oneofKind !== "programmableTransaction") throw new TxDecodeError("only programmable transactions are supported")
  const inputs = k.programmableTransaction.inputs.map((i): TxInput => {
    switch (i.kind) {
      case 1: return { kind: "pure", bytes: i.pure ?? new Uint8Array() }
      case 2: return { kind: "owned", ref: protoRef(i) }
      case 3:
        if (!i.objectId || i.version === undefined) throw new TxDecodeError("incomplete shared input")
        return { kind: "shared", id: normalizeSuiAddress(i.objectId), initialVersion: i.version, mutable: i.mutable ?? false }
      case 4: return { kind: "receiving", ref: protoRef(i) }
      case undefined: case 0:
        if (!i.objectId) throw new TxDecodeError("unresolved input without object id")
        return {
          kind: "unresolved",
          id: normalizeSuiAddress(i.objectId),
          ...(i.version !== undefined ? { version: i.version } : {}),
          ...(i.digest !== undefined ? { digest: i.digest } : {}),
          ...(i.mutable !== undefined ? { mutable: i.mutable } : {})
        }
    }
    throw new TxDecodeError(`unsupported input kind ${String(i.kind)}`)
  })
  const commands = k.programmableTransaction.commands.map((c): TxCommand => {
    const x = c.command
    switch (x.oneofKind) {
      case "moveCall":
        return {
          kind: "moveCall",
          package: normalizeSuiAddress(x.moveCall.package ?? "0x0"),
          module: x.moveCall.module ?? "",
          function: x.moveCall.function ?? "",
          typeArguments: x.moveCall.typeArguments,
          args: x.moveCall.arguments.map(protoArg)
        }
      case "splitCoins": return { kind: "splitCoins", coin: protoArg(x.splitCoins.coin), amounts: x.splitCoins.amounts.map(protoArg) }
      case "mergeCoins": return { kind: "mergeCoins", coin: protoArg(x.mergeCoins.coin), sources: x.mergeCoins.coinsToMerge.map(protoArg) }
      case "transferObjects": return { kind: "transferObjects", objects: x.transferObjects.objects.map(protoArg), address: protoArg(x.transferObjects.address) }
      case "makeMoveVector": return { kind: "makeMoveVec", type: x.makeMoveVector.elementType ?? null, elements: x.makeMoveVector.elements.map(protoArg) }
      default: return { kind: "unsupported", name: String(x.oneofKind) }
    }
  })
  const e = t.expiration
  const expiration: TxExpiration =
    e?.kind === 2 ? { kind: "epoch", epoch: e.epoch ?? 0n }
    : e?.kind === 3 ? { kind: "validDuring", minEpoch: e.minEpoch ?? null, maxEpoch: e.epoch ?? null, chain: e.chain ?? "", nonce: e.nonce ?? 0 }
    : { kind: "none" }
  const sender = normalizeSuiAddress(t.sender ?? "0x0")
  return {
    sender,
    gas: {
      payment: (t.gasPayment?.objects ?? []).map(protoRef),
      owner: normalizeSuiAddress(t.gasPayment?.owner ?? sender),
      price: t.gasPayment?.price,
      budget: t.gasPayment?.budget
    },
    expiration,
    inputs,
    commands
  }
}

const argToProto = (a: TxArg): GrpcTypes.Argument =>
  a.kind === "gas" ? { kind: 1 }
  : a.kind === "input" ? { kind: 2, input: a.index }
  : a.sub === undefined ? { kind: 3, result: a.index } : { kind: 3, result: a.index, subresult: a.sub }

/** The gRPC `Transaction` message (structured, plus BCS and digest when known). */
export const txToProto = (tx: TxData, extra: { bcs?: Uint8Array; digest?: string }): GrpcTypes.Transaction => ({
  ...(extra.bcs ? { bcs: { name: "TransactionData", value: extra.bcs } } : {}),
  ...(extra.digest ? { digest: extra.digest } : {}),
  version: 1,
  kind: {
    kind: 1,
    data: {
      oneofKind: "programmableTransaction",
      programmableTransaction: {
        inputs: tx.inputs.map((i): GrpcTypes.Input => {
          switch (i.kind) {
            case "pure": return { kind: 1, pure: i.bytes }
            case "owned": return { kind: 2, objectId: i.ref.id, version: i.ref.version, digest: i.ref.digest }
            case "shared": return { kind: 3, objectId: i.id, version: i.initialVersion, mutable: i.mutable }
            case "receiving": return { kind: 4, objectId: i.ref.id, version: i.ref.version, digest: i.ref.digest }
            case "unresolved": return { objectId: i.id }
          }
        }),
        commands: tx.commands.map((c): GrpcTypes.Command => {
          switch (c.kind) {
            case "moveCall":
              return { command: { oneofKind: "moveCall", moveCall: { package: c.package, module: c.module, function: c.function, typeArguments: c.typeArguments, arguments: c.args.map(argToProto) } } }
            case "splitCoins":
              return { command: { oneofKind: "splitCoins", splitCoins: { coin: argToProto(c.coin), amounts: c.amounts.map(argToProto) } } }
            case "mergeCoins":
              return { command: { oneofKind: "mergeCoins", mergeCoins: { coin: argToProto(c.coin), coinsToMerge: c.sources.map(argToProto) } } }
            case "transferObjects":
              return { command: { oneofKind: "transferObjects", transferObjects: { objects: c.objects.map(argToProto), address: argToProto(c.address) } } }
            case "makeMoveVec":
              return { command: { oneofKind: "makeMoveVector", makeMoveVector: { ...(c.type ? { elementType: c.type } : {}), elements: c.elements.map(argToProto) } } }
            case "unsupported":
              return { command: { oneofKind: undefined } }
          }
        })
      }
    }
  },
  sender: tx.sender,
  gasPayment: {
    objects: tx.gas.payment.map((r) => ({ objectId: r.id, version: r.version, digest: r.digest })),
    owner: tx.gas.owner,
    ...(tx.gas.price !== undefined ? { price: tx.gas.price } : {}),
    ...(tx.gas.budget !== undefined ? { budget: tx.gas.budget } : {})
  },
  expiration:
    tx.expiration.kind === "epoch" ? { kind: 2, epoch: tx.expiration.epoch }
    : tx.expiration.kind === "validDuring" ? {
        kind: 3,
        ...(tx.expiration.minEpoch !== null ? { minEpoch: tx.expiration.minEpoch } : {}),
        ...(tx.expiration.maxEpoch !== null ? { epoch: tx.expiration.maxEpoch } : {}),
        chain: tx.expiration.chain,
        nonce: tx.expiration.nonce
      }
    : { kind: 1 }
})

const argToBcs = (a: TxArg): any =>
  a.kind === "gas" ? { GasCoin: true }
  : a.kind === "input" ? { Input: a.index }
  : a.sub === undefined ? { Result: a.index } : { NestedResult: [a.index, a.sub] }

/** BCS `TransactionData` of a fully resolved transaction. */
export const txToBcs = (tx: TxData): Uint8Array => {
  if (tx.gas.price === undefined || tx.gas.budget === undefined) throw new TxDecodeError("gas price and budget must be set")
  return bcs.TransactionData.serialize({
    V1: {
      kind: {
        ProgrammableTransaction: {
          inputs: tx.inputs.map((i) => {
            switch (i.kind) {
              case "pure": return { Pure: { bytes: toBase64(i.bytes) } }
              case "owned": return { Object: { ImmOrOwnedObject: { objectId: i.ref.id, version: i.ref.version, digest: i.ref.digest } } }
              case "shared": return { Object: { SharedObject: { objectId: i.id, initialSharedVersion: i.initialVersion, mutable: i.mutable } } }
              case "receiving": return { Object: { Receiving: { objectId: i.ref.id, version: i.ref.version, digest: i.ref.digest } } }
              case "unresolved": throw new TxDecodeError(`input ${i.id} is not resolved`)
            }
          }),
          commands: tx.commands.map((c) => {
            switch (c.kind) {
              case "moveCall": return { MoveCall: { package: c.package, module: c.module, function: c.function, typeArguments: c.typeArguments, arguments: c.args.map(argToBcs) } }
              case "splitCoins": return { SplitCoins: { coin: argToBcs(c.coin), amounts: c.amounts.map(argToBcs) } }
              case "mergeCoins": return { MergeCoins: { destination: argToBcs(c.coin), sources: c.sources.map(argToBcs) } }
              case "transferObjects": return { TransferObjects: { objects: c.objects.map(argToBcs), address: argToBcs(c.address) } }
              case "makeMoveVec": return { MakeMoveVec: { type: c.type, elements: c.elements.map(argToBcs) } }
              case "unsupported": throw new TxDecodeError(`unsupported command ${c.name}`)
            }
          })
        }
      },
      sender: tx.sender,
      gasData: {
        payment: tx.gas.payment.map((r) => ({ objectId: r.id, version: r.version, digest: r.digest })),
        owner: tx.gas.owner,
        price: tx.gas.price,
        budget: tx.gas.budget
      },
      expiration:
        tx.expiration.kind === "epoch" ? { Epoch: tx.expiration.epoch }
        : tx.expiration.kind === "validDuring" ? {
            ValidDuring: {
              minEpoch: tx.expiration.minEpoch, maxEpoch: tx.expiration.maxEpoch, minTimestamp: null, maxTimestamp: null,
              chain: tx.expiration.chain, nonce: tx.expiration.nonce
            }
          }
        : { None: true }
    }
  } as any).toBytes()
}

