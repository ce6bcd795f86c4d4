/** `sui.rpc.v2.StateService`: owned objects, dynamic fields, balances and the coin info of SUI and the test coin. */
import { GrpcTypes } from "@mysten/sui/grpc"
import { normalizeStructTag } from "@mysten/sui/utils"
import type { ServerContext } from "./context.js"
import { checkMask } from "./masks.js"
import { encodeMasked, maskWith } from "./encode.js"
import { maskOf } from "./readMask.js"
import type { ServiceHandlers } from "./rpc.js"
import { TEST_COIN, TEST_COIN_METADATA } from "../engine/objects.js"
import { invalidArgument, notFound } from "./status.js"

const OWNED_DEFAULT_MASK = ["object_id", "version", "object_type"]
const FIELDS_DEFAULT_MASK = ["parent", "field_id"]
const PAGE = { default: 50, max: 1000 } as const
const SUI = "0x2::sui::SUI"

const pageSize = (n: number | undefined) => (n === undefined || n === 0 ? PAGE.default : Math.min(n, PAGE.max))
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const tokenOf = (cursor: string | undefined): Uint8Array | undefined => (cursor === undefined ? undefined : encoder.encode(cursor))
const cursorOf = (token: Uint8Array | undefined): string | undefined =>
  token === undefined || token.length === 0 ? undefined : decoder.decode(token)

const required = (value: string | undefined, what: string): string => {
  if (value === undefined || value.length === 0) throw invalidArgument(`missing ${what}`)
  return value
}

const normalizeCoinType = (coinType: string): string => {
  try {
    return normalizeStructTag(coinType)
  } catch {
    throw invalidArgument(`invalid coin_type: ${coinType}`)
  }
}

export const stateHandlers = (ctx: ServerContext): ServiceHandlers => {
  const chain = ctx.chain
  return {
    ListOwnedObjects: (req: GrpcTypes.ListOwnedObjectsRequest): Uint8Array => {
      const owner = required(req.owner, "owner")
      const mask = maskOf(req.readMask, OWNED_DEFAULT_MASK)
      checkMask(GrpcTypes.Object, mask)
      const after = cursorOf(req.pageToken)
      const page = chain.listOwnedObjects(owner, {
        limit: pageSize(req.pageSize),
        ...(after !== undefined ? { after } : {}),
        ...(req.objectType !== undefined && req.objectType.length > 0 ? { objectType: req.objectType } : {})
      })
      const out: GrpcTypes.ListOwnedObjectsResponse = { objects: page.items }
      const token = tokenOf(page.nextCursor)
      if (token !== undefined) out.nextPageToken = token
      return encodeMasked(GrpcTypes.ListOwnedObjectsResponse, out, maskWith("objects", mask, "next_page_token"))
    },

    ListDynamicFields: (req: GrpcTypes.ListDynamicFieldsRequest): Uint8Array => {
      const parent = required(req.parent, "parent")
      const mask = maskOf(req.readMask, FIELDS_DEFAULT_MASK)
      checkMask(GrpcTypes.DynamicField, mask)
      const after = cursorOf(req.pageToken)
      const page = chain.listDynamicFields(parent, { limit: pageSize(req.pageSize), ...(after !== undefined ? { after } : {}) })
      const out: GrpcTypes.ListDynamicFieldsResponse = { dynamicFields: page.items }
      const token = tokenOf(page.nextCursor)
      if (token !== undefined) out.nextPageToken = token
      return encodeMasked(GrpcTypes.ListDynamicFieldsResponse, out, maskWith("dynamic_fields", mask, "next_page_token"))
    },

    GetBalance: (req: GrpcTypes.GetBalanceRequest): GrpcTypes.GetBalanceResponse => {
      const owner = required(req.owner, "owner")
      const coinType = normalizeCoinType(required(req.coinType, "coin_type"))
      return { balance: chain.getBalance(owner, coinType) }
    },

    ListBalances: (req: GrpcTypes.ListBalancesRequest): GrpcTypes.ListBalancesResponse => {
      const owner = required(req.owner, "owner")
      const all = chain.listBalances(owner)
      const start = req.pageToken !== undefined && req.pageToken.length > 0 ? Number(decoder.decode(req.pageToken)) : 0
      if (!Number.isInteger(start) || start < 0) throw invalidArgument("invalid page_token")
      const end = start + pageSize(req.pageSize)
      const out: GrpcTypes.ListBalancesResponse = { balances: all.slice(start, end) }
      if (end < all.length) out.nextPageToken = encoder.encode(String(end))
      return out
    },

    GetCoinInfo: (req: GrpcTypes.GetCoinInfoRequest): GrpcTypes.GetCoinInfoResponse => {
      const coinType = normalizeCoinType(required(req.coinType, "coin_type"))
      // The localnet has two currencies: SUI (metadata fixed by the framework) and its test coin.
      if (coinType === normalizeStructTag(TEST_COIN)) return { coinType, metadata: { ...TEST_COIN_METADATA } }
      if (coinType !== normalizeStructTag(SUI)) throw notFound(`coin type ${coinType} not found`)
      return {
        coinType,
        metadata: { decimals: 9, name: "Sui", symbol: "SUI", description: "", iconUrl: "" }
      }
    }
  }
}
