/**
 * The merge planner: from the prover state of one block (its `ProofCalculation`), which pairs of
 * adjacent proved ranges to merge next, so that the block proof eventually covers the whole range.
 *
 * The plan follows one fixed binary tree over the block's sequences, the same for every coordinator:
 * a range of n sequences splits in the middle when n is a power of two, otherwise after the largest
 * power of two below n. So two coordinators reading the same state plan the same merges, and the
 * chain's reservation (`create_merge_job` → `start_proving`) lets only one of them create each.
 * While the block is still open (its end unknown), only the aligned power-of-two chunks already
 * proved are merged: each is a node of the final tree whatever the end turns out to be.
 *
 * A node whose proof is calculated, used, reserved or being computed needs nothing; a node whose
 * proof was rejected, or whose computation timed out, is planned again from its halves (the chain
 * hands the halves back on a rejection). Proofs whose sequences are not a node of the tree (an app
 * proving an arbitrary range) are left alone.
 */

/** `prover` proof statuses, numbered as on chain. */
export const ProofStatus = { Started: 1, Calculated: 2, Rejected: 3, Reserved: 4, Used: 5 } as const
export type ProofStatus = (typeof ProofStatus)[keyof typeof ProofStatus]

/** Any proof may be restarted, reserved or merged this long after its last change (the chain's rule). */
export const PROOF_TIMEOUT_MS = 300_000n

export interface PlannedProof {
  /** Sorted sequences the proof covers. */
  readonly sequences: ReadonlyArray<bigint>
  readonly status: ProofStatus
  /** Epoch ms of the proof's last change. */
  readonly timestamp: bigint
  /** Made by a merge (the chain records its two halves); a leaf proof (an app's prove job) when not. */
  readonly merged?: boolean
}

export interface BlockProofState {
  readonly blockNumber: bigint
  readonly startSequence: bigint
  /** Unknown while the block is still open. */
  readonly endSequence: bigint | undefined
  readonly isFinished: boolean
  readonly proofs: ReadonlyArray<PlannedProof>
}

export interface MergeRequest {
  readonly blockNumber: bigint
  /** The union, sorted: the proof the merge job computes. */
  readonly sequences: ReadonlyArray<bigint>
  readonly sequences1: ReadonlyArray<bigint>
  readonly sequences2: ReadonlyArray<bigint>
  /** The merge produces the block's whole proof. */
  readonly blockProof: boolean
}

const range = (a: bigint, b: bigint): Array<bigint> => {
  const out: Array<bigint> = []
  for (let s = a; s <= b; s++) out.push(s)
  return out
}

const isPowerOfTwo = (n: bigint) => n > 0n && (n & (n - 1n)) === 0n

/** The largest power of two ≤ n (n ≥ 1). */
const floorPowerOfTwo = (n: bigint): bigint => {
  let p = 1n
  while (p * 2n <= n) p *= 2n
  return p
}

/** Where the tree splits [a, b] (a < b): the first sequence of the right half. */
export const splitPoint = (a: bigint, b: bigint): bigint => {
  const n = b - a + 1n
  return a + (isPowerOfTwo(n) ? n / 2n : floorPowerOfTwo(n))
}

/** The proof of the contiguous range [a, b], if any (proofs over gapped sets are not tree nodes). */
const rangeIndex = (proofs: ReadonlyArray<PlannedProof>): Map<string, PlannedProof> => {
  const index = new Map<string, PlannedProof>()
  for (const p of proofs) {
    const first = p.sequences[0]
    const last = p.sequences[p.sequences.length - 1]
    if (first === undefined || last === undefined) continue
    if (last - first + 1n !== BigInt(p.sequences.length)) continue
    index.set(`${first}-${last}`, p)
  }
  return index
}

const timedOut = (p: PlannedProof, now: bigint, timeout: bigint) => now > p.timestamp + timeout

/** Done or under way: nothing to plan for this node. */
const isActive = (p: PlannedProof | undefined, now: bigint, timeout: bigint): boolean =>
  p !== undefined &&
  (p.status === ProofStatus.Calculated ||
    p.status === ProofStatus.Used ||
    p.status === ProofStatus.Reserved ||
    (p.status === ProofStatus.Started && !timedOut(p, now, timeout)))

/**
 * The block is proved and its block proof stands. A finished block (`is_finished`) is re-opened
 * by the deployed Move only in this way: `reject_proof` of its whole range marks that proof
 * rejected (returning a merge's halves) while `is_finished` and `block_proof` stay, and a new
 * proof of the range — `start_proving` on the rejected one, then `submit_proof` — finishes the
 * block again with the new proof. So a finished block whose range proof is rejected, or whose
 * restart timed out without a proof, is planned like an unproved one.
 */
export const isProved = (block: BlockProofState, now: bigint, timeout = PROOF_TIMEOUT_MS): boolean => {
  if (!block.isFinished) return false
  if (block.endSequence === undefined) return true
  const p = rangeIndex(block.proofs).get(`${block.startSequence}-${block.endSequence}`)
  return p === undefined || !(p.status === ProofStatus.Rejected || (p.status === ProofStatus.Started && timedOut(p, now, timeout)))
}

/**
 * The block's proof may be settled: the block is finished and its range proof is calculated or
 * used — not rejected, nor restarted and being proved again (the chain still names the old proof
 * as the block's then).
 */
export const blockProofStands = (block: BlockProofState): boolean => {
  if (!block.isFinished) return false
  if (block.endSequence === undefined) return true
  const p = rangeIndex(block.proofs).get(`${block.startSequence}-${block.endSequence}`)
  return p === undefined || p.status === ProofStatus.Calculated || p.status === ProofStatus.Used
}

/** May be reserved for a merge: calculated, or held by a reservation/use that timed out. */
export const isAvailable = (p: PlannedProof | undefined, now: bigint, timeout = PROOF_TIMEOUT_MS): boolean =>
  p !== undefined &&
  (p.status === ProofStatus.Calculated ||
    ((p.status === ProofStatus.Reserved || p.status === ProofStatus.Used) && timedOut(p, now, timeout)))

/**
 * The merges to create now for one block, disjoint from each other (no proof in two of them).
 * Empty when the block is proved (`isProved`) or nothing is ready; calling again after the merges land
 * plans the next level.
 */
export const planMerges = (block: BlockProofState, now: bigint, timeout = PROOF_TIMEOUT_MS): ReadonlyArray<MergeRequest> => {
  if (isProved(block, now, timeout) || block.proofs.length === 0) return []
  const index = rangeIndex(block.proofs)
  const at = (a: bigint, b: bigint) => index.get(`${a}-${b}`)
  const out: Array<MergeRequest> = []
  const isBlock = (a: bigint, b: bigint) => a === block.startSequence && b === block.endSequence

  // Depth ≤ log2(range): each step halves the range at least.
  const visit = (a: bigint, b: bigint): void => {
    if (a >= b || isActive(at(a, b), now, timeout)) return
    const s = splitPoint(a, b)
    if (isAvailable(at(a, s - 1n), now, timeout) && isAvailable(at(s, b), now, timeout)) {
      out.push({ blockNumber: block.blockNumber, sequences: range(a, b), sequences1: range(a, s - 1n), sequences2: range(s, b), blockProof: isBlock(a, b) })
      return
    }
    visit(a, s - 1n)
    visit(s, b)
  }

  const start = block.startSequence
  if (block.endSequence !== undefined) {
    if (block.endSequence >= start) visit(start, block.endSequence)
    return out
  }
  // Open block: the aligned chunks of [start, highest proved], largest first.
  let hi = start - 1n
  for (const p of block.proofs) {
    const last = p.sequences[p.sequences.length - 1]
    if (last !== undefined && last > hi) hi = last
  }
  let offset = start
  let left = hi - start + 1n
  while (left > 1n) {
    const size = floorPowerOfTwo(left)
    visit(offset, offset + size - 1n)
    offset += size
    left -= size
  }
  return out
}

/** A leaf proof to compute again: a prove job for `sequences` of `blockNumber`. */
export interface ReproveRequest {
  readonly blockNumber: bigint
  readonly sequences: ReadonlyArray<bigint>
  /** The proof as planned from, so the caller can tell whether its own `start_proving` took it. */
  readonly status: ProofStatus
  readonly timestamp: bigint
}

/**
 * The leaf proofs of one block to prove again: a leaf (not made by a merge) that a verifier
 * rejected, or whose restart (`start_proving`) timed out without a proof. Nothing else re-creates
 * them: a rejected merge is re-planned from its halves by `planMerges`, but a rejected leaf has no
 * halves, and without a new proof the block can never be proved.
 */
export const planReproves = (block: BlockProofState, now: bigint, timeout = PROOF_TIMEOUT_MS): ReadonlyArray<ReproveRequest> =>
  isProved(block, now, timeout)
    ? []
    : block.proofs
        .filter((p) => p.merged !== true && p.sequences.length > 0)
        .filter((p) => p.status === ProofStatus.Rejected || (p.status === ProofStatus.Started && timedOut(p, now, timeout)))
        .map((p) => ({ blockNumber: block.blockNumber, sequences: p.sequences, status: p.status, timestamp: p.timestamp }))
