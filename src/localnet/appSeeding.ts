/**
 * Client-side helpers that play the app's part on a localnet instance, through `@mysten/sui` over
 * native gRPC with the admin key: `increaseSequence` (what an app package does for each new
 * action: a SequenceState, then `try_create_block`) and `addSettlementChain` (the localnet-only
 * `add_settlement_chain_to_instance`; the deployed package fixes the chains at creation).
 */
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { type ManifestLike, openClient, signAndRun } from "./client.js"

const run = async (manifest: ManifestLike, build: (tx: Transaction) => void) => {
  const { client, close } = openClient(manifest.grpcUrl)
  try {
    const tx = new Transaction()
    build(tx)
    return await signAndRun(client, Ed25519Keypair.fromSecretKey(manifest.keys.admin), tx)
  } finally {
    close()
  }
}

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
