/**
 * The settle agent's "settlement chain": an append-only file of settled blocks, one JSON line each,
 * every line chained to the previous one by hash. The line's hash is the settlement's transaction
 * hash. Settling a block that is already in the file returns its recorded hash (a settle agent
 * that died after writing but before reporting repeats itself harmlessly).
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"

export interface LedgerEntry {
  readonly appInstance: string
  readonly block: string
  readonly proof: string
  readonly previous: string
  readonly txHash: string
}

const GENESIS = "0".repeat(64)

export class FileLedger {
  constructor(readonly file: string) {}

  entries(): ReadonlyArray<LedgerEntry> {
    if (!fs.existsSync(this.file)) return []
    return fs
      .readFileSync(this.file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as LedgerEntry)
  }

  /** Records `block` of `appInstance` with its proof; the transaction hash. */
  settle(appInstance: string, block: bigint, proof: string): string {
    const all = this.entries()
    const known = all.find((e) => e.appInstance === appInstance && e.block === block.toString())
    if (known !== undefined) return known.txHash
    const previous = all.length === 0 ? GENESIS : all[all.length - 1]!.txHash
    const body = { appInstance, block: block.toString(), proof, previous }
    const txHash = createHash("sha256").update(JSON.stringify(body)).digest("hex")
    fs.appendFileSync(this.file, `${JSON.stringify({ ...body, txHash })}\n`)
    return txHash
  }

  /** Every line's `previous` is the line before's hash: nothing was rewritten or dropped. */
  intact(): boolean {
    let previous = GENESIS
    for (const e of this.entries()) {
      const { txHash, ...body } = e
      if (e.previous !== previous) return false
      if (createHash("sha256").update(JSON.stringify(body)).digest("hex") !== txHash) return false
      previous = txHash
    }
    return true
  }
}
