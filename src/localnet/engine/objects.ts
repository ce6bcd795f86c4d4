/**
 * Framework objects (coins, the Clock, the package) and rendering of stored records as gRPC
 * `Object` messages. BCS contents and JSON are computed on access (lazy getters), so listing a
 * large AppInstance costs nothing unless its contents are actually read.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { CoinLayout, ClockLayout } from "./layouts.js"
import { encodeMove, jsonToProtoValue, moveJson } from "./moveValue.js"
import { PlainData, type ObjData, type ObjRecord, type OwnerRec } from "./store.js"
import { SUI } from "./runtime.js"

export const SUI_TYPE = `${SUI}::sui::SUI`
export const GAS_COIN_TYPE = `${SUI}::coin::Coin<${SUI_TYPE}>`
export const CLOCK_ID = "0x0000000000000000000000000000000000000000000000000000000000000006"

export interface CoinValue {
  id: string
  balance: bigint
}

export const coinData = (id: string, balance: bigint): PlainData<CoinValue> => new PlainData(CoinLayout, { id, balance })

export const isGasCoin = (rec: ObjRecord): boolean => rec.type === GAS_COIN_TYPE

export const coinBalance = (rec: ObjRecord): bigint => (rec.data as PlainData<CoinValue>).v.balance

/** The Clock's contents follow chain time. */
export class ClockData implements ObjData {
  readonly layout = ClockLayout
  constructor(private readonly now: () => bigint) {}
  value(): unknown {
    return { id: CLOCK_ID, timestamp_ms: this.now() }
  }
  checkpoint(): () => void {
    return () => {}
  }
}

/** The package object has no Move contents. */
export class PackageData implements ObjData {
  readonly layout = "bool" as const
  value(): unknown {
    return false
  }
  checkpoint(): () => void {
    return () => {}
  }
}

export const ownerToProto = (o: OwnerRec): GrpcTypes.Owner => {
  switch (o.kind) {
    case "address": return { kind: 1, address: o.address }
    case "object": return { kind: 2, address: o.address }
    case "shared": return { kind: 3, version: o.initialVersion }
    case "immutable": return { kind: 4 }
  }
}

/** A record as the gRPC `Object` message; `contents`, `bcs` and `json` are computed lazily. */
export const objectToProto = (rec: ObjRecord, pkg?: () => GrpcTypes.Package): GrpcTypes.Object => {
  const out: GrpcTypes.Object = {
    objectId: rec.id,
    version: rec.version,
    digest: rec.digest,
    owner: ownerToProto(rec.owner),
    objectType: rec.isPackage ? "package" : rec.type,
    hasPublicTransfer: rec.hasPublicTransfer,
    previousTransaction: rec.previousTransaction,
    storageRebate: rec.storageRebate
  }
  if (rec.isPackage) {
    if (pkg) Object.defineProperty(out, "package", { enumerable: true, configurable: true, get: pkg })
    return out
  }
  if (rec.type === GAS_COIN_TYPE) out.balance = coinBalance(rec)
  let bytes: Uint8Array | undefined
  const contents = (): Uint8Array => (bytes ??= encodeMove(rec.data.layout, rec.data.value()))
  Object.defineProperty(out, "contents", {
    enumerable: true,
    configurable: true,
    get: () => ({ name: rec.type, value: contents() })
  })
  Object.defineProperty(out, "json", {
    enumerable: true,
    configurable: true,
    get: () => jsonToProtoValue(moveJson(rec.data.layout, rec.data.value()))
  })
  return out
}
