/**
 * Faults the pipeline agent can be asked to make, for the pipeline's failure tests: a file
 * `<ledger>.faults.json` next to the ledger, read at start —
 * - `corruptSequences`: for each listed sequence of every instance, the first prove job submits a
 *   proof that is not one, so the merge over it rejects it and the coordinator must prove it again;
 * - `settleFailures`: the first N settle jobs fail after settling at most one block, so settlement
 *   must resume from the chain's last settled block, in order;
 * - `corruptBlockMerges`: the first N merges that complete a whole block's proof submit a proof that
 *   is not one, so the settle agent rejects the block proof and the coordinator must merge again;
 * - `failProveSequences` (with `proveFailures`, default 3: the jobs module's max attempts): the
 *   first `proveFailures` prove jobs of each listed sequence of every instance fail, so the job
 *   fails for good and its block stalls until the job is restarted.
 * Each fault fires once across all agent processes: it is claimed by creating a marker file next
 * to the ledger (exclusive create), so a retried job or another agent does not repeat it.
 * Without the file the agent makes no faults.
 */
import * as fs from "node:fs"

export interface Faults {
  /** The prove of `sequence` of `instance` should submit a corrupt proof (claims the fault). */
  readonly corruptProof: (instance: string, sequence: bigint) => boolean
  /** Whether any merge is to be corrupted (so the agent reads the block only when it is). */
  readonly corruptsBlockMerges: boolean
  /** This merge, which completes its block's proof, should submit a corrupt proof (claims one of them). */
  readonly corruptBlockMerge: () => boolean
  /** This settle job should fail (claims one of the failures). */
  readonly failSettle: () => boolean
  /** This prove of `sequence` of `instance` should fail (claims one of its failures). */
  readonly failProve: (instance: string, sequence: bigint) => boolean
}

const claim = (marker: string): boolean => {
  try {
    fs.closeSync(fs.openSync(marker, "wx"))
    return true
  } catch {
    return false
  }
}

export const loadFaults = (ledgerFile: string): Faults => {
  const file = `${ledgerFile}.faults.json`
  if (!fs.existsSync(file)) return { corruptProof: () => false, corruptsBlockMerges: false, corruptBlockMerge: () => false, failSettle: () => false, failProve: () => false }
  const spec = JSON.parse(fs.readFileSync(file, "utf8")) as {
    corruptSequences?: ReadonlyArray<number>
    settleFailures?: number
    corruptBlockMerges?: number
    failProveSequences?: ReadonlyArray<number>
    proveFailures?: number
  }
  const corrupt = new Set((spec.corruptSequences ?? []).map(String))
  const failures = spec.settleFailures ?? 0
  const blockMerges = spec.corruptBlockMerges ?? 0
  const failing = new Set((spec.failProveSequences ?? []).map(String))
  const proveFailures = spec.proveFailures ?? 3
  const claimOne = (prefix: string, n: number) => {
    for (let i = 1; i <= n; i++) if (claim(`${prefix}-${i}`)) return true
    return false
  }
  return {
    failProve: (instance, sequence) => failing.has(String(sequence)) && claimOne(`${ledgerFile}.fault-prove-${instance}-${sequence}`, proveFailures),
    corruptProof: (instance, sequence) => corrupt.has(String(sequence)) && claim(`${ledgerFile}.fault-corrupt-${instance}-${sequence}`),
    corruptsBlockMerges: blockMerges > 0,
    corruptBlockMerge: () => claimOne(`${ledgerFile}.fault-merge`, blockMerges),
    failSettle: () => claimOne(`${ledgerFile}.fault-settle`, failures)
  }
}

/** A payload that no verifier takes for a proof. */
export const CORRUPT_PROOF = "corrupt: not a proof"
