/**
 * Cheap but real "proofs" for the pipeline demo: a proof of the sequences [a, z] of an app instance
 * commits to the state before a (`from`), the state after z (`to`), and a digest of every
 * transition it covers. Proofs of adjacent ranges merge only when the first one's `to` is the
 * second one's `from`; the digest is a sum (mod 2^256) of one hash per sequence, so it does not
 * depend on the merge order but changes when a sequence is missing or counted twice. A verifier
 * that knows the states (the settle agent, a test) recomputes everything.
 *
 * The demo app's state is a u64 sum; each action adds a value (`transition_data`, u64 LE) and the
 * chain keeps the resulting sum as the sequence's `optimistic_state` (u64 LE).
 */
import { createHash } from "node:crypto"

export interface HashProof {
  readonly first: bigint
  readonly last: bigint
  /** Commitment of the state before `first`. */
  readonly from: string
  /** Commitment of the state after `last`. */
  readonly to: string
  /** Σ per-sequence hashes mod 2^256, hex. */
  readonly digest: string
}

const MOD = 1n << 256n
const PREFIX = "hc1:"

const sha = (s: string | Uint8Array) => createHash("sha256").update(s).digest("hex")

/** The commitment of a state (its bytes). */
export const commit = (state: Uint8Array): string => sha(state)

export const u64le = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, v, true)
  return b
}

export const readU64le = (b: Uint8Array): bigint => {
  if (b.length !== 8) throw new Error(`expected 8 bytes, got ${b.length}`)
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)
}

const stepHash = (sequence: bigint, from: string, to: string): bigint => BigInt(`0x${sha(`${sequence}|${from}|${to}`)}`)

const hex = (n: bigint) => n.toString(16).padStart(64, "0")

/** The proof of one sequence's transition `before → after`. */
export const proveStep = (sequence: bigint, before: Uint8Array, after: Uint8Array): HashProof => {
  const from = commit(before)
  const to = commit(after)
  return { first: sequence, last: sequence, from, to, digest: hex(stepHash(sequence, from, to)) }
}

export type MergeResult = { readonly ok: true; readonly proof: HashProof } | { readonly ok: false; readonly reason: string; readonly bad?: 1 | 2 }

/** Merges two proofs of adjacent ranges whose states link up; otherwise says why not. */
export const mergeProofs = (p1: HashProof, p2: HashProof): MergeResult => {
  if (p1.last + 1n !== p2.first) return { ok: false, reason: `ranges [${p1.first}, ${p1.last}] and [${p2.first}, ${p2.last}] are not adjacent` }
  if (p1.to !== p2.from) return { ok: false, reason: `the state after ${p1.last} is not the state before ${p2.first}` }
  const digest = hex((BigInt(`0x${p1.digest}`) + BigInt(`0x${p2.digest}`)) % MOD)
  return { ok: true, proof: { first: p1.first, last: p2.last, from: p1.from, to: p2.to, digest } }
}

/**
 * Checks a proof against the states it claims to cover: `states[i]` is the state after
 * `first + i - 1` (so `states[0]` is the state before `first`), as many as the range needs plus one.
 */
export const verifyAgainstStates = (p: HashProof, states: ReadonlyArray<Uint8Array>): string | undefined => {
  const n = Number(p.last - p.first + 1n)
  if (states.length !== n + 1) return `expected ${n + 1} states, got ${states.length}`
  if (commit(states[0]!) !== p.from) return "the proof does not start from the state before its first sequence"
  if (commit(states[n]!) !== p.to) return "the proof does not end at the state after its last sequence"
  let sum = 0n
  for (let i = 0; i < n; i++) sum = (sum + stepHash(p.first + BigInt(i), commit(states[i]!), commit(states[i + 1]!))) % MOD
  return hex(sum) === p.digest ? undefined : "the digest does not match the transitions (a sequence missing or counted twice)"
}

export const encodeProof = (p: HashProof): string => `${PREFIX}${p.first}:${p.last}:${p.from}:${p.to}:${p.digest}`

/** Parses a proof; `undefined` when it is not one (a corrupted or foreign payload). */
export const decodeProof = (s: string): HashProof | undefined => {
  if (!s.startsWith(PREFIX)) return undefined
  const parts = s.slice(PREFIX.length).split(":")
  if (parts.length !== 5) return undefined
  const [first, last, from, to, digest] = parts as [string, string, string, string, string]
  if (!/^\d+$/.test(first) || !/^\d+$/.test(last) || ![from, to, digest].every((h) => /^[0-9a-f]{64}$/.test(h))) return undefined
  const p = { first: BigInt(first), last: BigInt(last), from, to, digest }
  return p.first <= p.last ? p : undefined
}

/** The proof covers exactly these sorted sequences. */
export const covers = (p: HashProof, sequences: ReadonlyArray<bigint>): boolean =>
  sequences.length > 0 && sequences[0] === p.first && sequences[sequences.length - 1] === p.last && BigInt(sequences.length) === p.last - p.first + 1n
