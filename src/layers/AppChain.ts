/**
 * AppChain — reads of an app instance's application data for the agent API: the instance's own
 * fields (kv, metadata, counters, settlements) from its `json` rendering, and the prover's
 * `ProofCalculation` of a block (a dynamic object field of `proof_calculations`, BCS-decoded).
 */
import { bcs } from "@mysten/sui/bcs"
import { deriveDynamicFieldID, normalizeSuiAddress } from "@mysten/sui/utils"
import { Context, Effect, Layer, Option } from "effect"
import { type DecodedProofCalculation, decodeProofCalculation } from "../chain/appTypes.js"
import { ChainStateError } from "./ChainState.js"
import { SuiClient } from "./SuiClient.js"

export interface InstanceSettlement {
  readonly chain: string
  readonly lastSettledBlockNumber: bigint
  readonly settlementAddress: string | null
  readonly settlementJob: bigint | null
}

/** The AppInstance fields the agent API answers with. */
export interface AppInstanceFields {
  readonly id: string
  readonly silvanaAppName: string
  readonly description: string | null
  readonly metadata: ReadonlyMap<string, string>
  readonly kv: ReadonlyMap<string, string>
  readonly methods: ReadonlyMap<string, { developer: string; agent: string; agentMethod: string; description: string | null }>
  readonly settlements: ReadonlyArray<InstanceSettlement>
  readonly proofCalculationsTable: string
  readonly sequence: bigint
  readonly admin: string
  readonly blockNumber: bigint
  readonly previousBlockTimestamp: bigint
  readonly previousBlockLastSequence: bigint
  readonly lastProvedBlockNumber: bigint
  readonly lastSettledBlockNumber: bigint
  readonly lastSettledSequence: bigint
  readonly lastPurgedSequence: bigint
  readonly isPaused: boolean
  readonly minTimeBetweenBlocks: bigint
  readonly createdAt: bigint
  readonly updatedAt: bigint
}

export interface AppChainService {
  readonly instance: (id: string) => Effect.Effect<AppInstanceFields, ChainStateError>
  /** The block's ProofCalculation, `None` when the instance has none for it. */
  readonly proofCalculation: (appInstance: string, block: bigint) => Effect.Effect<Option.Option<DecodedProofCalculation>, ChainStateError>
}

type Json = Record<string, unknown>
const entries = (v: unknown): Array<{ key: unknown; value: unknown }> => ((v as { contents?: unknown[] } | undefined)?.contents ?? []) as Array<{ key: unknown; value: unknown }>
const big = (v: unknown): bigint => BigInt((v as string | undefined) ?? "0")
const optString = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

export const parseInstanceFields = (id: string, j: Json): AppInstanceFields => ({
  id,
  silvanaAppName: String(j.silvana_app_name),
  description: optString(j.description),
  metadata: new Map(entries(j.metadata).map((e) => [String(e.key), String(e.value)])),
  kv: new Map(entries(j.kv).map((e) => [String(e.key), String(e.value)])),
  methods: new Map(
    entries(j.methods).map((e) => {
      const m = e.value as Json
      return [String(e.key), { developer: String(m.developer), agent: String(m.agent), agentMethod: String(m.agent_method), description: optString(m.description) }]
    })
  ),
  settlements: entries(j.settlements).map((e) => {
    const s = e.value as Json
    return {
      chain: String(e.key),
      lastSettledBlockNumber: big(s.last_settled_block_number),
      settlementAddress: optString(s.settlement_address),
      settlementJob: s.settlement_job === null || s.settlement_job === undefined ? null : big(s.settlement_job)
    }
  }),
  proofCalculationsTable: normalizeSuiAddress(String((j.proof_calculations as Json).id)),
  sequence: big(j.sequence),
  admin: String(j.admin),
  blockNumber: big(j.block_number),
  previousBlockTimestamp: big(j.previous_block_timestamp),
  previousBlockLastSequence: big(j.previous_block_last_sequence),
  lastProvedBlockNumber: big(j.last_proved_block_number),
  lastSettledBlockNumber: big(j.last_settled_block_number),
  lastSettledSequence: big(j.last_settled_sequence),
  lastPurgedSequence: big(j.last_purged_sequence),
  isPaused: j.isPaused === true,
  minTimeBetweenBlocks: big(j.min_time_between_blocks),
  createdAt: big(j.created_at),
  updatedAt: big(j.updated_at)
})

const U64_KEY = "0x2::dynamic_object_field::Wrapper<u64>"

export const makeAppChain = Effect.gen(function* () {
  const { client } = yield* SuiClient
  const fail = (what: string) => (e: unknown) => new ChainStateError({ message: `${what}: ${e instanceof Error ? e.message : String(e)}` })

  const instance = (id: string) =>
    Effect.tryPromise({
      try: async () => {
        const objectId = normalizeSuiAddress(id)
        const { object } = await client.core.getObject({ objectId, include: { json: true } })
        if (object.json === null || object.json === undefined) throw new Error("object has no json rendering")
        return parseInstanceFields(objectId, object.json as Json)
      },
      catch: fail(`reading app instance ${id}`)
    })

  const proofCalculation = (app: string, block: bigint) =>
    Effect.flatMap(instance(app), (inst) =>
      Effect.tryPromise({
        try: async () => {
          const fieldId = deriveDynamicFieldID(inst.proofCalculationsTable, U64_KEY, bcs.u64().serialize(block).toBytes())
          const fields = await client.core.getObjects({ objectIds: [fieldId], include: { json: true } })
          const field = fields.objects[0]
          if (field === undefined || field instanceof Error) return Option.none()
          const childId = (field.json as { value?: unknown } | null)?.value
          if (typeof childId !== "string") return Option.none()
          const { object } = await client.core.getObject({ objectId: childId, include: { content: true } })
          return Option.some(decodeProofCalculation(object.content))
        },
        catch: fail(`reading the proof calculation of block ${block} of ${app}`)
      })
    )

  return { instance, proofCalculation } satisfies AppChainService
})

/** Reads of app instance data. */
export class AppChain extends Context.Tag("silvana/AppChain")<AppChain, AppChainService>() {
  static readonly layer = Layer.effect(AppChain, makeAppChain)
}
