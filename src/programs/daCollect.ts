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
 * Settlement proofs (SubmitSettlementProof) are indexed in the Journal rather than on chain; the
 * daemon does not run a collection yet.
 */
import { Effect, Option } from "effect"
import { AppApi } from "../layers/AppApi.js"
import { AppChain } from "../layers/AppChain.js"
import { DataAvailability } from "../layers/DataAvailability.js"
import { blockReferences, sequenceStateReferences, settlementProofReferences } from "./daReferences.js"

/** Descriptors some on-chain record of `appInstance` names. */
export type ReferenceSource = (appInstance: string) => Effect.Effect<ReadonlyArray<string>, unknown, AppChain>

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
    for (const app of o.appInstances) {
      for (const source of sources) for (const d of yield* source(app)) referenced.add(d)
    }
    // Proofs accepted here whose transaction has not executed yet are referenced too.
    const api = yield* Effect.serviceOption(AppApi)
    const keep = (d: string) => referenced.has(d) || (Option.isSome(api) && api.value.isAccepted(d))
    const da = yield* DataAvailability
    const removed = yield* da.collect(keep, o.minAgeMs ?? 3_600_000)
    if (removed > 0) yield* Effect.logInfo(`data availability: ${removed} blob(s) no longer referenced on chain deleted`)
    return removed
  }).pipe(Effect.withSpan("daCollect"))
