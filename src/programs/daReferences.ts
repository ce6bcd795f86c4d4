/**
 * Reference sources of the data-availability collection (daCollect.ts) for the records the
 * sequence-state, block and settlement RPCs write: the data availability of every SequenceState
 * the chain keeps, the state / proof data availability of every block still in the instance, and
 * the settlement proofs indexed in the journal (they are not on chain; kept while indexed).
 */
import { Effect, Option } from "effect"
import type { AppInstanceId } from "../domain/ids.js"
import { AppApi } from "../layers/AppApi.js"
import { AppChain } from "../layers/AppChain.js"

const range = (from: bigint, to: bigint): bigint[] => {
  const out: bigint[] = []
  for (let k = from; k <= to; k++) out.push(k)
  return out
}

/** `data_availability` of every SequenceState of the instance. */
export const sequenceStateReferences = (appInstance: AppInstanceId) =>
  Effect.gen(function* () {
    const chain = yield* AppChain
    const inst = yield* chain.instance(appInstance)
    const { lowest, highest } = inst.sequenceStates
    if (lowest === null || highest === null) return [] as ReadonlyArray<string>
    const states = yield* chain.sequenceStates(inst, range(lowest, highest))
    return [...states.values()].flatMap((s) => (s.dataAvailability === null ? [] : [s.dataAvailability]))
  })

/** State and proof data availability of the blocks still in the instance (block 0 and those not settled everywhere). */
export const blockReferences = (appInstance: AppInstanceId) =>
  Effect.gen(function* () {
    const chain = yield* AppChain
    const inst = yield* chain.instance(appInstance)
    const first = inst.lastSettledBlockNumber > 0n ? inst.lastSettledBlockNumber : 1n
    const keys = [0n, ...(inst.blockNumber > first ? range(first, inst.blockNumber - 1n) : [])]
    const out: string[] = []
    for (const k of keys) {
      const b = yield* chain.block(inst, k)
      if (Option.isNone(b)) continue
      if (b.value.stateDataAvailability !== null) out.push(b.value.stateDataAvailability)
      if (b.value.proofDataAvailability !== null) out.push(b.value.proofDataAvailability)
    }
    return out as ReadonlyArray<string>
  })

/** The settlement proofs stored for the instance (none without the AppApi). */
export const settlementProofReferences = (appInstance: AppInstanceId) =>
  Effect.flatMap(Effect.serviceOption(AppApi), (api) =>
    Option.isNone(api) ? Effect.succeed([] as ReadonlyArray<string>) : api.value.settlementProofs.settlementProofDescriptors(appInstance)
  )
