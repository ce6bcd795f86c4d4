/**
 * Framework objects (coins, the Clock, the package) and rendering of stored records as gRPC
 * `Object` messages. BCS contents and JSON are computed on access (lazy getters), so listing a
 * large AppInstance costs nothing unless its contents are actually read.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { normalizeSuiAddress } from "@mysten/sui/utils"
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

const COIN_PREFIX = `${SUI}::coin::Coin<`
/** `0x2::coin::Coin<T>` for the (normalized) currency type `T`. */
export const coinTypeOf = (currency: string): string => `${COIN_PREFIX}${currency}>`
/** Any `Coin<T>`, SUI or another currency. */
export const isCoin = (rec: ObjRecord): boolean => rec.type.startsWith(COIN_PREFIX)
/** The currency `T` of a `Coin<T>` record. */
export const currencyOf = (rec: ObjRecord): string => rec.type.slice(COIN_PREFIX.length, -1)

/**
 * The localnet's second currency, so coin calls over a `Coin<T>` other than SUI can be tried: the
 * package `0x7e57` with module `test_coin` (like a dApp's own coin module), its coins minted at
 * genesis to the admin key. Not a Sui framework type.
 */
export const TEST_COIN_PACKAGE = normalizeSuiAddress("0x7e57")
export const TEST_COIN = `${TEST_COIN_PACKAGE}::test_coin::TEST_COIN`
export const TEST_COIN_METADATA = { decimals: 6, name: "Localnet test coin", symbol: "TEST", description: "A currency of the localnet for tests", iconUrl: "" }

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
  if (isCoin(rec)) out.balance = coinBalance(rec)
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
