/**
 * Client-side helpers that play the app's part on a localnet instance, through `@mysten/sui` over
 * native gRPC with the admin key: `increaseSequence` (what an app package does for each new
 * action: a SequenceState, then `try_create_block`) and `addSettlementChain` (the localnet-only
 * `add_settlement_chain_to_instance`; the deployed package fixes the chains at creation).
 */
import { type ManifestLike, runAsAdmin } from "./client.js"

const run = runAsAdmin

/** `count` calls of `increase_sequence` in one transaction; `optimisticState(i)` / `transitionData(i)` per call. */
export const increaseSequence = (
  manifest: ManifestLike,
  o: { count?: number; optimisticState?: (i: number) => Uint8Array; transitionData?: (i: number) => Uint8Array } = {}
) =>
  run(manifest, (tx) => {
    for (let i = 0; i < (o.count ?? 1); i++) {
      tx.moveCall({
        target: `${manifest.packageId}::app_instance::increase_sequence`,
        arguments: [
          tx.object(manifest.appInstanceId),
          tx.pure.vector("u8", [...(o.optimisticState?.(i) ?? new Uint8Array())]),
          tx.pure.vector("u8", [...(o.transitionData?.(i) ?? new Uint8Array())]),
          tx.object.clock()
        ]
      })
    }
  })

/** Adds settlement chain `chain` to the manifest's instance. */
export const addSettlementChain = (manifest: ManifestLike, chain: string, settlementAddress?: string) =>
  run(manifest, (tx) => {
    tx.moveCall({
      target: `${manifest.packageId}::app_instance::add_settlement_chain_to_instance`,
      arguments: [tx.object(manifest.appInstanceId), tx.pure.string(chain), tx.pure.option("string", settlementAddress ?? null)]
    })
  })
