/**
 * daCollect — garbage collection of the data-availability store: a blob is kept while the chain
 * references it, and deleted once nothing does (its block's ProofCalculation purged, its proof
 * replaced) and it is older than a grace age (a proof just accepted is durable here before its
 * `submit_proof` executes, so a young blob is never taken for garbage).
 *
 * What the chain references is a set of descriptors built from reference sources, one per kind of
 * on-chain record that names a descriptor. `proofReferences` reads the prover's side (every proof's
 * `da_hash` and the block proof of each ProofCalculation still in the instance's table),
 * `allReferences` adds the blocks' state / proof data availability, the sequence states' and the settlement proofs.
 * Settlement proofs (SubmitSettlementProof) are indexed in the Journal rather than on chain.
 *
 * The daemon runs `daCollectProgram` every `DA_COLLECT_EVERY_SECS` over the app instances it
 * follows (configured and tracked in the journal), counting what went in
 * `silvana_da_collected_blobs_total` / `silvana_da_collected_bytes_total`.
 */
import { Duration, Effect, Metric, Option, Schema } from "effect"
import { type AppInstanceId, AppInstanceIdFromString, normalizeAppInstance } from "../domain/ids.js"
import { Config } from "../layers/Config.js"
import { Journal } from "../layers/Journal.js"
import { AppApi } from "../layers/AppApi.js"
import { AppChain } from "../layers/AppChain.js"
import { DataAvailability } from "../layers/DataAvailability.js"
import { blockReferences, sequenceStateReferences, settlementProofReferences } from "./daReferences.js"

/** Descriptors some on-chain record of `appInstance` names. */
export type ReferenceSource = (appInstance: AppInstanceId) => Effect.Effect<ReadonlyArray<string>, unknown, AppChain>

/** The proofs and block proofs of every block of the instance whose ProofCalculation is still on chain. */
export const proofReferences: ReferenceSource = (appInstance) =>
  Effect.gen(function* () {
    const chain = yield* AppChain
    const inst = yield* chain.instance(appInstance)
    const out: string[] = []
    for (let block = 1n; block <= inst.blockNumber; block++) {
      const pc = yield* chain.proofCalculation(appInstance, block)
      if (Option.isNone(pc)) continue
      for (const p of pc.value.proofs) if (p.daHash !== null) out.push(p.daHash)
      if (pc.value.blockProof !== null) out.push(pc.value.blockProof)
    }
    return out
  })

/** Every kind of record that names a descriptor: proofs, sequence states, blocks, settlement proofs. */
export const allReferences: ReadonlyArray<ReferenceSource> = [proofReferences, sequenceStateReferences, blockReferences, settlementProofReferences]

export interface CollectOptions {
  /** App instance ids as written anywhere (`0x…` or bare hex), decoded by `AppInstanceIdFromString`. */
  readonly appInstances: ReadonlyArray<string>
  readonly sources?: ReadonlyArray<ReferenceSource>
  /** Blobs younger than this are kept whatever the chain says (default 1 hour). */
  readonly minAgeMs?: number
}

/**
 * One collection: the referenced set from every source for every instance, then the store's
 * unreferenced old blobs deleted. A source that cannot be read stops the round (deleting on a
 * partial view would drop live blobs). Answers how many blobs went.
 */
export const collectUnreferenced = (o: CollectOptions) =>
  Effect.gen(function* () {
    const sources = o.sources ?? allReferences
    const referenced = new Set<string>()
    for (const app of yield* Schema.decode(Schema.Array(AppInstanceIdFromString))(o.appInstances)) {
      for (const source of sources) for (const d of yield* source(app)) referenced.add(d)
    }
    // Proofs accepted here whose transaction has not executed yet are referenced too.
    const api = yield* Effect.serviceOption(AppApi)
    const keep = (d: string) => referenced.has(d) || (Option.isSome(api) && api.value.isAccepted(d))
    const da = yield* DataAvailability
    const removed = yield* da.collect(keep, o.minAgeMs ?? 3_600_000)
    if (removed.blobs > 0) {
      yield* Effect.logInfo(`data availability: ${removed.blobs} blob(s), ${removed.bytes} bytes no longer referenced on chain deleted`)
    }
    yield* Metric.incrementBy(collectedBlobs, removed.blobs)
    yield* Metric.incrementBy(collectedBytes, removed.bytes)
    return removed
  }).pipe(Effect.withSpan("daCollect"))

const collectedBlobs = Metric.counter("silvana_da_collected_blobs_total", {
  description: "Data-availability blobs deleted because nothing on chain referenced them any more",
  incremental: true
})
const collectedBytes = Metric.counter("silvana_da_collected_bytes_total", {
  description: "Bytes of the data-availability blobs deleted by garbage collection",
  incremental: true
})
const rounds = Metric.counter("silvana_da_collections_total", { description: "Data-availability garbage collections run (failed ones too)", incremental: true })
const failedRounds = Metric.counter("silvana_da_collection_failures_total", {
  description: "Data-availability garbage collections stopped because a reference could not be read (nothing deleted)",
  incremental: true
})

export interface DaCollectProgramOptions {
  readonly everyMs: number
  readonly minAgeMs: number
}

/**
 * The daemon's collection: every `everyMs`, one `collectUnreferenced` over the followed instances
 * (configured ones and those the journal tracks). A round that fails deletes nothing and is logged;
 * the next one tries again.
 */
export const daCollectProgram = (o: DaCollectProgramOptions) =>
  Effect.gen(function* () {
    const config = yield* Config
    const journal = yield* Journal
    const api = yield* AppApi
    const round = Effect.gen(function* () {
      const tracked = yield* journal.appInstances
      const instances = [...new Set([...config.appInstances, ...tracked].map(normalizeAppInstance))]
      yield* Metric.increment(rounds)
      return yield* collectUnreferenced({ appInstances: instances, minAgeMs: o.minAgeMs })
    }).pipe(
      Effect.provideService(AppChain, api.chain),
      Effect.provideService(DataAvailability, api.da),
      Effect.catchAll((e) =>
        Effect.zipRight(
          Metric.increment(failedRounds),
          Effect.logWarning(`data availability: collection skipped, a reference could not be read: ${String((e as { message?: string }).message ?? e)}`)
        )
      )
    )
    for (;;) {
      yield* Effect.sleep(Duration.millis(o.everyMs))
      yield* round
    }
  }).pipe(Effect.annotateLogs("program", "daCollect"))
