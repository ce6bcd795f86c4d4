/**
 * Transaction links a user can open in a public Sui explorer, per `SUI_CHAIN`. A localnet (or an
 * unknown chain) has none: no public explorer knows its transactions.
 */
import type { Explorer } from "../../domain/statusView.js"

export type ExplorerLink = Explorer

export const explorerLinks = (chain: string): ReadonlyArray<ExplorerLink> => {
  switch (chain) {
    case "mainnet":
      return [
        { name: "Suiscan", tx: "https://suiscan.xyz/mainnet/tx/{digest}" },
        { name: "SuiVision", tx: "https://suivision.xyz/txblock/{digest}" }
      ]
    case "testnet":
      return [
        { name: "Suiscan", tx: "https://suiscan.xyz/testnet/tx/{digest}" },
        { name: "SuiVision", tx: "https://testnet.suivision.xyz/txblock/{digest}" }
      ]
    case "devnet":
      return [{ name: "Suiscan", tx: "https://suiscan.xyz/devnet/tx/{digest}" }]
    default:
      return []
  }
}
