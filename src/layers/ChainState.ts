/**
 * ChainState — reads of the coordination state that reconciliation needs: the AppInstance fields
 * (its BCS `content`, decoded with the one AppInstance layout of chain/moveTypes.ts) and its Job objects
 * (dynamic object fields of the `jobs.jobs` ObjectTable, BCS-decoded).
 */
import { bcs } from "@mysten/sui/bcs"
import { deriveDynamicFieldID, normalizeSuiAddress } from "@mysten/sui/utils"
import { Context, Data, Effect, Layer, Option, Schema } from "effect"
import { type ChainJob, ChainJobFromBcs } from "../chain/events.js"
import { Journal } from "./Journal.js"
import { decodeMove } from "../chain/moveLayout.js"
import { AppInstanceLayout } from "../chain/moveTypes.js"
import { SuiClient } from "./SuiClient.js"

/** A chain read failed or returned something unexpected. */
export class ChainStateError extends Data.TaggedError("ChainStateError")<{ readonly message: string }> {}

export type { ChainJob, JobStatus } from "../chain/events.js"

export interface AppMethod {
  readonly description: Option.Option<string>
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
}

/** The AppInstance fields the coordinator uses. */
export interface AppInstanceInfo {
  readonly id: string
  readonly version: bigint
  /** Present when the object is shared (it always is for a live instance). */
  readonly initialSharedVersion: Option.Option<bigint>
  readonly jobsTableId: string
  readonly pendingJobs: ReadonlyArray<bigint>
  readonly nextJobSequence: bigint
  readonly methods: ReadonlyMap<string, AppMethod>
}

export interface ChainStateService {
  readonly appInstance: (id: string) => Effect.Effect<AppInstanceInfo, ChainStateError>
  /** The Job objects of `seqs` (missing ones are left out). */
  readonly jobs: (appInstance: string, seqs: ReadonlyArray<bigint>) => Effect.Effect<ReadonlyArray<ChainJob>, ChainStateError>
  /** The Job objects of `seqs` in the jobs table of an instance already read (missing ones are left out). */
  readonly jobsInTable: (jobsTableId: string, seqs: ReadonlyArray<bigint>) => Effect.Effect<ReadonlyArray<ChainJob>, ChainStateError>
  /** Every job listed in the instance's `pending_jobs`, decoded. */
  readonly pendingJobs: (appInstance: string) => Effect.Effect<ReadonlyArray<ChainJob>, ChainStateError>
}

const U64_KEY = "0x2::dynamic_object_field::Wrapper<u64>"
const BATCH = 50

type Json = Record<string, unknown>
const str = (v: unknown): string => String(v)
const optStr = (v: unknown): Option.Option<string> => (v === null || v === undefined ? Option.none() : Option.some(String(v)))

/** Decodes the BCS contents of a `jobs::Job` object (throws on malformed bytes). */
export const decodeJob: (bytes: Uint8Array) => ChainJob = Schema.decodeSync(ChainJobFromBcs)

/**
 * Parses an AppInstance value: as `decodeMove` gives it (u64 as bigint) or as a node's `json`
 * rendering gives it (u64 as strings); VecSet/VecMap are `{contents}` in both.
 */
export const parseAppInstance = (id: string, version: bigint, initialSharedVersion: Option.Option<bigint>, json: Json): AppInstanceInfo => {
  const jobs = json.jobs as Json | undefined
  if (jobs === undefined) throw new Error("the AppInstance has no `jobs` field")
  const table = jobs.jobs as Json
  const pending = jobs.pending_jobs as { contents: Array<string> }
  const methods = new Map<string, AppMethod>()
  for (const e of ((json.methods as { contents?: Array<{ key: string; value: Json }> } | undefined)?.contents ?? [])) {
    methods.set(e.key, {
      description: optStr(e.value.description),
      developer: str(e.value.developer),
      agent: str(e.value.agent),
      agentMethod: str(e.value.agent_method)
    })
  }
  return {
    id,
    version,
    initialSharedVersion,
    jobsTableId: normalizeSuiAddress(str(table.id)),
    pendingJobs: pending.contents.map((s) => BigInt(s)),
    nextJobSequence: BigInt((jobs.next_job_sequence as string | undefined) ?? "0"),
    methods
  }
}

export const makeChainState = Effect.gen(function* () {
  const sui = yield* SuiClient
  const client = sui.client
  const fail = (what: string) => (e: unknown) =>
    new ChainStateError({ message: `${what}: ${e instanceof Error ? e.message : String(e)}` })

  const appInstance = (id: string) =>
    Effect.tryPromise({
      try: async () => {
        const objectId = normalizeSuiAddress(id)
        const { object } = await client.core.getObject({ objectId, include: { content: true } })
        const owner = object.owner as { $kind: string; Shared?: { initialSharedVersion: string } }
        const isv = owner.$kind === "Shared" && owner.Shared ? Option.some(BigInt(owner.Shared.initialSharedVersion)) : Option.none()
        return parseAppInstance(objectId, BigInt(object.version), isv, decodeMove(AppInstanceLayout, object.content))
      },
      catch: fail(`reading app instance ${id}`)
    })

  const jobsIn = (tableId: string, seqs: ReadonlyArray<bigint>) =>
    Effect.tryPromise({
      try: async () => {
        const out: ChainJob[] = []
        for (let i = 0; i < seqs.length; i += BATCH) {
          const slice = seqs.slice(i, i + BATCH)
          const fieldIds = slice.map((s) => deriveDynamicFieldID(tableId, U64_KEY, bcs.u64().serialize(s).toBytes()))
          const fields = await client.core.getObjects({ objectIds: fieldIds, include: { json: true } })
          const jobIds: string[] = []
          for (const f of fields.objects) {
            if (f instanceof Error) continue
            const value = (f.json as { value?: unknown } | null)?.value
            if (typeof value === "string") jobIds.push(value)
          }
          if (jobIds.length === 0) continue
          const jobs = await client.core.getObjects({ objectIds: jobIds, include: { content: true } })
          for (const j of jobs.objects) {
            if (j instanceof Error) continue
            out.push(decodeJob(j.content))
          }
        }
        return out
      },
      catch: fail(`reading jobs of table ${tableId}`)
    })

  const service: ChainStateService = {
    appInstance,
    jobs: (app, seqs) => Effect.flatMap(appInstance(app), (info) => jobsIn(info.jobsTableId, seqs)),
    jobsInTable: jobsIn,
    pendingJobs: (app) => Effect.flatMap(appInstance(app), (info) => jobsIn(info.jobsTableId, info.pendingJobs))
  }
  return service
})

/** Reads of chain state. */
export class ChainState extends Context.Tag("silvana/ChainState")<ChainState, ChainStateService>() {
  static readonly layer = Layer.effect(ChainState, makeChainState)
}

/**
 * Jobs this coordinator started (per the Journal) as the chain has them now, with the session
 * holding each. A job missing from the chain has been settled or removed; `job` is then `None`.
 */
export const startedJobsOnChain = Effect.gen(function* () {
  const journal = yield* Journal
  const chain = yield* ChainState
  const started = yield* journal.startedJobs.pipe(Effect.mapError((e) => new ChainStateError({ message: e.message })))
  const byApp = new Map<string, bigint[]>()
  for (const s of started) byApp.set(s.appInstance, [...(byApp.get(s.appInstance) ?? []), s.jobSequence])
  const found = new Map<string, ChainJob>()
  for (const [app, seqs] of byApp) {
    for (const job of yield* chain.jobs(app, seqs)) found.set(`${app}:${job.jobSequence}`, job)
  }
  return started.map((s) => ({
    appInstance: s.appInstance,
    jobSequence: s.jobSequence,
    session: s.session,
    startedAt: s.startedAt,
    job: Option.fromNullable(found.get(`${s.appInstance}:${s.jobSequence}`))
  }))
})
