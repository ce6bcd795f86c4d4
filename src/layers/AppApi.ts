/**
 * AppApi — the chain and storage side of the agent API's job-scoped RPCs, in one service so the
 * AgentApi can run without it (those RPCs then answer UNIMPLEMENTED): Move calls through the
 * Settlement outbox, reads through AppChain, payloads in DataAvailability (settlement proofs
 * indexed in the Journal), and the index of
 * proofs this coordinator accepted but whose transaction may not have executed yet (so an agent
 * reads back a proof it just submitted).
 */
import { Context, Effect, Layer } from "effect"
import { AppChain, type AppChainService } from "./AppChain.js"
import { DataAvailability, type DataAvailabilityService } from "./DataAvailability.js"
import { Journal, type JournalService } from "./Journal.js"
import { Settlement, type SettlementService } from "./Settlement.js"

export interface AppApiService {
  readonly settlement: SettlementService
  readonly chain: AppChainService
  readonly da: DataAvailabilityService
  /** Descriptor of the latest proof accepted here for (app instance, block, sorted sequences). */
  readonly acceptedProof: (appInstance: string, block: bigint, sequences: ReadonlyArray<bigint>) => string | undefined
  readonly rememberProof: (appInstance: string, block: bigint, sequences: ReadonlyArray<bigint>, descriptor: string) => void
  /** Settlement proofs (not on chain: indexed durably in the journal, content in the DA store). */
  readonly settlementProofs: Pick<JournalService, "putSettlementProof" | "settlementProof" | "settlementProofDescriptors">
  /** Whether a proof accepted here has this descriptor (kept by garbage collection). */
  readonly isAccepted: (descriptor: string) => boolean
}

/** Proofs accepted here that are remembered (an unbounded index grew with every SubmitProof). */
export const MAX_REMEMBERED = 100_000

const proofKey = (app: string, block: bigint, seqs: ReadonlyArray<bigint>) => `${app}|${block}|${seqs.join(",")}`

export const makeAppApi = Effect.gen(function* () {
  const settlement = yield* Settlement
  const chain = yield* AppChain
  const da = yield* DataAvailability
  const journal = yield* Journal
  // Bounded (oldest forgotten first): a forgotten proof is read from its ProofCalculation on
  // chain, and the collection's minimum age keeps a young blob however it is indexed here.
  const proofs = new Map<string, string>()
  const accepted = new Set<string>()
  return AppApi.of({
    settlement,
    chain,
    da,
    acceptedProof: (app, block, seqs) => proofs.get(proofKey(app, block, seqs)),
    rememberProof: (app, block, seqs, d) => {
      const key = proofKey(app, block, seqs)
      proofs.delete(key)
      proofs.set(key, d)
      accepted.delete(d)
      accepted.add(d)
      if (proofs.size > MAX_REMEMBERED) proofs.delete(proofs.keys().next().value!)
      if (accepted.size > MAX_REMEMBERED) accepted.delete(accepted.values().next().value!)
    },
    settlementProofs: {
      putSettlementProof: journal.putSettlementProof,
      settlementProof: journal.settlementProof,
      settlementProofDescriptors: journal.settlementProofDescriptors
    },
    isAccepted: (d) => accepted.has(d)
  })
})

export class AppApi extends Context.Tag("silvana/AppApi")<AppApi, AppApiService>() {
  /** Needs Settlement, AppChain, DataAvailability and Journal. */
  static readonly layer = Layer.effect(AppApi, makeAppApi)
  /** With AppChain and the file store under `STATE_DIR` built here. */
  static readonly layerLive = AppApi.layer.pipe(Layer.provide(Layer.mergeAll(AppChain.layer, DataAvailability.layer)))
}
