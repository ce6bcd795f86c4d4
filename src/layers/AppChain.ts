/**
 * AppChain — reads of an app instance's application data for the agent API: the instance's own
 * fields (kv, metadata, counters, settlements) from its BCS `content` (the one AppInstance layout of
 * chain/moveTypes.ts; a node's `json` rendering of it cost the node and us more than the rest of
 * the read), and the prover's
 * `ProofCalculation` of a block (a dynamic object field of `proof_calculations`, BCS-decoded).
 */
import { bcs } from "@mysten/sui/bcs"
import { deriveDynamicFieldID, normalizeSuiAddress } from "@mysten/sui/utils"
import { Context, Effect, Layer, Option } from "effect"
import { type DecodedProofCalculation, decodeProofCalculation } from "../chain/appTypes.js"
import {
  type DecodedBlock, type DecodedBlockSettlement, type DecodedSequenceState, decodeBlock, decodeBlockSettlement, decodeSequenceState
} from "../chain/blockTypes.js"
import { ChainStateError } from "./ChainState.js"
import { decodeMove } from "../chain/moveLayout.js"
import { AppInstanceLayout } from "../chain/moveTypes.js"
import { SuiClient } from "./SuiClient.js"

export interface InstanceSettlement {
  readonly chain: string
  readonly lastSettledBlockNumber: bigint
  readonly settlementAddress: string | null
  readonly settlementJob: bigint | null
  /** Id of its `block_settlements` ObjectTable. */
  readonly blockSettlementsTable: string
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
  readonly blocksTable: string
  /** The `sequence_state_manager`: its table and the kept range (null before the first sequence). */
  readonly sequenceStates: { readonly table: string; readonly lowest: bigint | null; readonly highest: bigint | null }
  readonly sequence: bigint
  /** The instance's job table (ObjectTable<u64, Job>). */
  readonly jobsTable: string
  /** The jobs in the instance's failed index (failed for good; nothing runs them again). */
  readonly failedJobs: ReadonlyArray<bigint>
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
  /** The same, from the instance's fields already read (one read fewer). */
  readonly proofCalculationOf: (inst: AppInstanceFields, block: bigint) => Effect.Effect<Option.Option<DecodedProofCalculation>, ChainStateError>
  /** Entries of a u64-keyed ObjectTable (`blocks`, `sequence_states`, `block_settlements`…) as BCS, by key; absent keys are left out. */
  readonly tableEntries: (tableId: string, keys: ReadonlyArray<bigint>) => Effect.Effect<ReadonlyMap<bigint, Uint8Array>, ChainStateError>
  readonly block: (inst: AppInstanceFields, n: bigint) => Effect.Effect<Option.Option<DecodedBlock>, ChainStateError>
  /** The SequenceStates of `keys` that the chain keeps. */
  readonly sequenceStates: (inst: AppInstanceFields, keys: ReadonlyArray<bigint>) => Effect.Effect<ReadonlyMap<bigint, DecodedSequenceState>, ChainStateError>
  readonly blockSettlement: (settlement: InstanceSettlement, n: bigint) => Effect.Effect<Option.Option<DecodedBlockSettlement>, ChainStateError>
}

type Json = Record<string, unknown>
const entries = (v: unknown): Array<{ key: unknown; value: unknown }> => ((v as { contents?: unknown[] } | undefined)?.contents ?? []) as Array<{ key: unknown; value: unknown }>
const big = (v: unknown): bigint => BigInt((v as string | undefined) ?? "0")
const optString = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

const optBig = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as string))
const sequenceStatesOf = (m: Json) => ({
  table: normalizeSuiAddress(String(((m.sequence_states ?? {}) as Json).id ?? "0x0")),
  lowest: optBig(m.lowest_sequence),
  highest: optBig(m.highest_sequence)
})

/** The fields of an AppInstance value, as `decodeMove` gives it or as a node's `json` rendering does (u64 as strings). */
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
      settlementJob: s.settlement_job === null || s.settlement_job === undefined ? null : big(s.settlement_job),
      blockSettlementsTable: normalizeSuiAddress(String(((s.block_settlements ?? {}) as Json).id ?? "0x0"))
    }
  }),
  proofCalculationsTable: normalizeSuiAddress(String((j.proof_calculations as Json).id)),
  blocksTable: normalizeSuiAddress(String(((j.blocks ?? {}) as Json).id ?? "0x0")),
  sequenceStates: sequenceStatesOf((j.sequence_state_manager ?? {}) as Json),
  sequence: big(j.sequence),
  jobsTable: normalizeSuiAddress(String((((j.jobs ?? {}) as Json).jobs as Json | undefined)?.id ?? "0x0")),
  failedJobs: ((((j.jobs ?? {}) as Json).failed_jobs_index as { contents?: Array<string> } | undefined)?.contents ?? []).map((s) => BigInt(s)),
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

/** How many instances' last decoding AppChain keeps. */
const DECODED_INSTANCES = 64
/** How many table entries' child ids AppChain remembers (a few hundred bytes each). */
const REMEMBERED_CHILDREN = 20_000

export const makeAppChain = Effect.gen(function* () {
  const { client } = yield* SuiClient
  const fail = (what: string) => (e: unknown) => new ChainStateError({ message: `${what}: ${e instanceof Error ? e.message : String(e)}` })

  // The last decoding of each instance read, by the object's digest: an instance is read on every
  // wake of the pipeline's programs and by many agent calls, and most reads find it unchanged. A
  // digest names one version of an object's content, so an equal digest is the same fields.
  const decoded = new Map<string, { readonly digest: string; readonly fields: AppInstanceFields }>()
  const instance = (id: string) =>
    Effect.tryPromise({
      try: async () => {
        const objectId = normalizeSuiAddress(id)
        const { object } = await client.core.getObject({ objectId, include: { content: true } })
        const known = decoded.get(objectId)
        if (known !== undefined && known.digest === object.digest) return known.fields
        const fields = parseInstanceFields(objectId, decodeMove(AppInstanceLayout, object.content))
        decoded.delete(objectId)
        decoded.set(objectId, { digest: object.digest, fields })
        // bounded: the oldest decoding goes first (a daemon follows a handful of instances)
        if (decoded.size > DECODED_INSTANCES) decoded.delete(decoded.keys().next().value!)
        return fields
      },
      catch: fail(`reading app instance ${id}`)
    })

  // An ObjectTable entry is a child object behind a dynamic field: reading it takes a read of the
  // field (for the child's id), then one of the child. While the field exists its child stays the
  // same object, owned by the field, so the child's id is remembered per field and the next read
  // goes straight to the child. A child read back gone or not owned by its field (the entry was
  // removed, or removed and added again) is looked up through its field anew.
  const childOf = new Map<string, string>()
  const remember = (fieldId: string, childId: string) => {
    childOf.set(fieldId, childId)
    if (childOf.size > REMEMBERED_CHILDREN) childOf.delete(childOf.keys().next().value!)
  }
  const ownedBy = (o: { readonly owner: { readonly $kind: string; readonly ObjectOwner?: string } }, fieldId: string) =>
    o.owner.$kind === "ObjectOwner" && o.owner.ObjectOwner !== undefined && normalizeSuiAddress(o.owner.ObjectOwner) === fieldId

  /** The children of `fields` ([key, field id]) found through the fields themselves, remembered. */
  const throughFields = async (fields: ReadonlyArray<readonly [bigint, string]>, out: Map<bigint, Uint8Array>) => {
    const read = await client.core.getObjects({ objectIds: fields.map(([, f]) => f), include: { json: true } })
    const present: Array<readonly [bigint, string, string]> = []
    read.objects.forEach((f, idx) => {
      const childId = f instanceof Error ? undefined : (f.json as { value?: unknown } | null)?.value
      if (typeof childId === "string") present.push([fields[idx]![0], fields[idx]![1], childId])
    })
    if (present.length === 0) return
    // gone since the field was read: the entry was removed in between
    const children = await client.core.getObjects({ objectIds: present.map(([, , c]) => c), include: { content: true } })
    children.objects.forEach((c, idx) => {
      if (c instanceof Error) return
      const [key, fieldId, childId] = present[idx]!
      remember(fieldId, childId)
      out.set(key, c.content)
    })
  }

  const tableEntries = (tableId: string, keys: ReadonlyArray<bigint>) =>
    Effect.tryPromise({
      try: async () => {
        const out = new Map<bigint, Uint8Array>()
        for (let i = 0; i < keys.length; i += 50) {
          const fields = keys.slice(i, i + 50).map((k) => [k, normalizeSuiAddress(deriveDynamicFieldID(tableId, U64_KEY, bcs.u64().serialize(k).toBytes()))] as const)
          const known = fields.filter(([, f]) => childOf.has(f))
          const unresolved = fields.filter(([, f]) => !childOf.has(f))
          if (known.length > 0) {
            const children = await client.core.getObjects({ objectIds: known.map(([, f]) => childOf.get(f)!), include: { content: true } })
            children.objects.forEach((c, idx) => {
              const [key, fieldId] = known[idx]!
              if (!(c instanceof Error) && ownedBy(c, fieldId)) out.set(key, c.content)
              else {
                childOf.delete(fieldId)
                unresolved.push(known[idx]!)
              }
            })
          }
          if (unresolved.length > 0) await throughFields(unresolved, out)
        }
        return out as ReadonlyMap<bigint, Uint8Array>
      },
      catch: fail(`reading table ${tableId}`)
    })

  const proofCalculationOf = (inst: AppInstanceFields, block: bigint) =>
    tableEntries(inst.proofCalculationsTable, [block]).pipe(
      Effect.flatMap((m) => {
        const bytes = m.get(block)
        return bytes === undefined ? Effect.succeed(Option.none()) : Effect.try({ try: () => Option.some(decodeProofCalculation(bytes)), catch: (e) => e })
      }),
      // as any other read's failure: a ChainStateError naming the block
      Effect.mapError((e) => new ChainStateError({ message: `reading the proof calculation of block ${block} of ${inst.id}: ${e instanceof Error ? e.message : String(e)}` }))
    )
  const proofCalculation = (app: string, block: bigint) => Effect.flatMap(instance(app), (inst) => proofCalculationOf(inst, block))

  const one = <A>(tableId: string, key: bigint, decode: (b: Uint8Array) => A) =>
    Effect.map(tableEntries(tableId, [key]), (m) => Option.map(Option.fromNullable(m.get(key)), decode))

  return {
    instance,
    proofCalculation,
    proofCalculationOf,
    tableEntries,
    block: (inst, n) => one(inst.blocksTable, n, decodeBlock),
    sequenceStates: (inst, keys) =>
      Effect.map(tableEntries(inst.sequenceStates.table, keys), (m) => new Map([...m].map(([k, b]) => [k, decodeSequenceState(b)]))),
    blockSettlement: (st, n) => one(st.blockSettlementsTable, n, decodeBlockSettlement)
  } satisfies AppChainService
})

/** Reads of app instance data. */
export class AppChain extends Context.Tag("silvana/AppChain")<AppChain, AppChainService>() {
  static readonly layer = Layer.effect(AppChain, makeAppChain)
}
