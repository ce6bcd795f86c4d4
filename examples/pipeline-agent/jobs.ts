/**
 * What the pipeline agent does with each kind of job of the demo app:
 * - `prove` (sequences of one block): replays each action on the state before it, checks the
 *   chain's optimistic state, submits the proof and the state;
 * - `merge` (two adjacent proved ranges): reads both proofs, merges them when they link up, and
 *   otherwise rejects the merge and the bad half (the coordinator re-plans, the half is re-proved);
 *   a half it cannot read at all fails the job instead (unavailable is not invalid);
 * - `settle` (job.chain set): settles every proved block after the chain's last settled one, in
 *   order, to the file ledger, and reports each block's transaction hash and inclusion; it keeps
 *   watching for newly proved blocks until it has been idle for a while.
 */
import type { AgentClient, Job } from "../../src/sdk/index.js"
import { CORRUPT_PROOF, type Faults } from "./faults.js"
import { commit, covers, decodeProof, encodeProof, type HashProof, mergeProofs, proveStep, readU64le, u64le } from "./hashProof.js"
import type { FileLedger } from "./ledger.js"
import type { PipelineRpc, SequenceState } from "./rpc.js"

export type Outcome = { readonly _tag: "complete" } | { readonly _tag: "fail"; readonly reason: string }
const done: Outcome = { _tag: "complete" }
const fail = (reason: string): Outcome => ({ _tag: "fail", reason })

/** The state after a sequence as the chain has it: the proved `state` when set, else the optimistic one. */
const stateOf = (s: SequenceState): Uint8Array => s.state ?? s.optimisticState

/**
 * Step proofs of `sequences` from the states the chain returned (they run from the last sequence
 * with data availability up to the last requested one). The state before the app's first sequence
 * is 0.
 */
export const proveSequences = (
  sequences: ReadonlyArray<bigint>,
  states: ReadonlyArray<SequenceState>
): { readonly ok: true; readonly proof: HashProof; readonly after: ReadonlyArray<bigint> } | { readonly ok: false; readonly reason: string } => {
  const bySeq = new Map(states.map((s) => [s.sequence, s]))
  const lowest = states.reduce((m, s) => (s.sequence < m ? s.sequence : m), sequences[0]!)
  let proof: HashProof | undefined
  const after: Array<bigint> = []
  for (const seq of sequences) {
    const cur = bySeq.get(seq)
    if (cur === undefined) return { ok: false, reason: `no state for sequence ${seq}` }
    const prev = bySeq.get(seq - 1n)
    if (prev === undefined && seq > lowest) return { ok: false, reason: `no state for sequence ${seq - 1n}` }
    const before = prev === undefined ? u64le(0n) : stateOf(prev)
    const next = readU64le(before) + readU64le(cur.transitionData)
    if (next !== readU64le(cur.optimisticState)) {
      return { ok: false, reason: `sequence ${seq}: ${readU64le(before)} + ${readU64le(cur.transitionData)} is not the optimistic state ${readU64le(cur.optimisticState)}` }
    }
    const step = proveStep(seq, before, u64le(next))
    if (proof === undefined) proof = step
    else {
      const m = mergeProofs(proof, step)
      if (!m.ok) return { ok: false, reason: m.reason }
      proof = m.proof
    }
    after.push(next)
  }
  return proof === undefined ? { ok: false, reason: "a prove job without sequences" } : { ok: true, proof, after }
}

export const prove = async (client: AgentClient, rpc: PipelineRpc, job: Job, faults?: Faults): Promise<Outcome> => {
  if (job.blockNumber === undefined || job.sequences.length === 0) return fail("a prove job needs a block and sequences")
  const seqs = [...job.sequences].sort((a, b) => (a < b ? -1 : 1))
  const failing = faults === undefined ? undefined : seqs.find((s) => faults.failProve(job.appInstance, s))
  if (failing !== undefined) return fail(`injected fault: cannot prove sequence ${failing}`)
  let states = await rpc.sequenceStates(job.jobId, seqs[seqs.length - 1]!)
  // The states start at the last one with data availability, which is the first sequence itself
  // when it is proved again (its state was submitted): then read the state before it too.
  const first = seqs[0]!
  if (first > 0n && !states.some((s) => s.sequence === first - 1n)) {
    const before = await rpc.sequenceStates(job.jobId, first - 1n).catch(() => [])
    states = [...before.filter((s) => s.sequence < first), ...states]
  }
  const r = proveSequences(seqs, states)
  if (!r.ok) return fail(r.reason)
  const corrupt = faults !== undefined && seqs.some((s) => faults.corruptProof(job.appInstance, s))
  await client.submitProof(job.jobId, { blockNumber: job.blockNumber, sequences: seqs, proof: corrupt ? CORRUPT_PROOF : encodeProof(r.proof) })
  for (const [i, seq] of seqs.entries()) await rpc.submitState(job.jobId, seq, u64le(r.after[i]!), r.after[i]!.toString())
  return done
}

/** Whether a merge of `sequences` completes its block's proof (the block is closed and they are its whole range). */
const completesBlock = async (rpc: PipelineRpc, job: Job, block: bigint) => {
  const b = await rpc.block(job.jobId, block)
  return b !== undefined && job.sequences[0] === b.startSequence && job.sequences[job.sequences.length - 1] === b.endSequence
}

export const merge = async (client: AgentClient, rpc: PipelineRpc, job: Job, faults?: Faults): Promise<Outcome> => {
  const block = job.blockNumber
  if (block === undefined || job.sequences1.length === 0 || job.sequences2.length === 0) return fail("a merge job needs a block and two halves")
  const [raw1, raw2] = [await client.getProof(job.jobId, block, job.sequences1), await client.getProof(job.jobId, block, job.sequences2)]
  // A proof this coordinator cannot read is not a bad proof (its store may lack it): fail, do not reject.
  if (raw1 === undefined || raw2 === undefined) return fail(`the proof of [${(raw1 === undefined ? job.sequences1 : job.sequences2).join(",")}] cannot be read`)
  const check = (raw: string, half: ReadonlyArray<bigint>) => {
    const p = decodeProof(raw)
    return p !== undefined && covers(p, half) ? p : undefined
  }
  const [p1, p2] = [check(raw1, job.sequences1), check(raw2, job.sequences2)]
  const bad = p1 === undefined ? job.sequences1 : p2 === undefined ? job.sequences2 : undefined
  const merged = p1 !== undefined && p2 !== undefined ? mergeProofs(p1, p2) : undefined
  if (merged?.ok === true) {
    const corrupt = faults?.corruptsBlockMerges === true && (await completesBlock(rpc, job, block)) && faults.corruptBlockMerge()
    await client.submitProof(job.jobId, {
      blockNumber: block, sequences: job.sequences, mergedSequences1: job.sequences1, mergedSequences2: job.sequences2, proof: corrupt ? CORRUPT_PROOF : encodeProof(merged.proof)
    })
    return done
  }
  const reason = merged?.ok === false ? merged.reason : `the proof of [${(bad ?? []).join(",")}] is invalid`
  await client.log("warn", `rejecting the merge of block ${block}: ${reason}`, job.jobId)
  // First our own (started) merge: its halves go back; then the bad half, or both when they do not link up.
  await client.rejectProof(job.jobId, block, job.sequences)
  for (const half of bad === undefined ? [job.sequences1, job.sequences2] : [bad]) await client.rejectProof(job.jobId, block, half)
  return done
}

export interface SettleOptions {
  readonly ledger: FileLedger
  readonly idleMs: number
  /** Longest a settle job is held (under the coordinator's agent run limit). */
  readonly maxRunMs: number
  readonly pollMs: number
  readonly now: () => bigint
  readonly faults?: Faults
}

/** What became of one block: settled, not settleable yet (its proof is coming), or a failure. */
type BlockStep = { readonly _tag: "settled" } | { readonly _tag: "wait"; readonly reason: string } | { readonly _tag: "fail"; readonly reason: string }

/** A block proof that is not one, or does not take the ledger from its last state to the chain's: what is wrong, if anything. */
const badProof = async (rpc: PipelineRpc, job: Job, n: bigint, block: { startSequence: bigint; endSequence: bigint }, proof: HashProof | undefined, o: SettleOptions) => {
  if (proof === undefined) return { problem: `the proof of block ${n} is not a proof` }
  if (proof.first !== block.startSequence || proof.last !== block.endSequence) return { problem: `the proof of block ${n} does not cover [${block.startSequence}, ${block.endSequence}]` }
  const endState = (await rpc.sequenceStates(job.jobId, block.endSequence)).find((s) => s.sequence === block.endSequence)
  if (endState === undefined) return { problem: undefined, wait: `no state for sequence ${block.endSequence}` }
  if (commit(stateOf(endState)) !== proof.to) return { problem: `the proof of block ${n} does not end at the chain's state` }
  const mine = o.ledger.entries().filter((e) => e.appInstance === job.appInstance)
  const previous = mine.length === 0 ? undefined : decodeProof(mine[mine.length - 1]!.proof)
  const rewrite = previous !== undefined && mine[mine.length - 1]!.block === n.toString()
  // already written by an earlier attempt: it is reported again
  if (!rewrite && proof.from !== (previous?.to ?? commit(u64le(0n)))) return { problem: `the proof of block ${n} does not start where the ledger's last block ended` }
  return { problem: undefined, endState }
}

/**
 * Settles one proved block on `chain`. A block proof that is not valid is rejected on chain
 * (`reject_proof` of the block's range, which the coordinator proves again): the block then waits
 * for its new proof instead of failing the job.
 */
const settleBlock = async (client: AgentClient, rpc: PipelineRpc, job: Job, chain: string, n: bigint, o: SettleOptions): Promise<BlockStep> => {
  const block = await rpc.block(job.jobId, n)
  const raw = await client.getBlockProof(job.jobId, n)
  if (block === undefined || raw === undefined) return { _tag: "wait", reason: `block ${n} has no block proof yet` }
  const proof = decodeProof(raw)
  const checked = await badProof(rpc, job, n, block, proof, o)
  if (checked.problem !== undefined) {
    const range: Array<bigint> = []
    for (let s = block.startSequence; s <= block.endSequence; s++) range.push(s)
    await client.log("warn", `rejecting the proof of block ${n}: ${checked.problem}`, job.jobId)
    await client.rejectProof(job.jobId, n, range)
    return { _tag: "wait", reason: checked.problem }
  }
  if (checked.endState === undefined) return { _tag: "wait", reason: checked.wait ?? `block ${n} is not settleable yet` }
  // The chain settles only a block whose state and proof are available: record both (state first:
  // setting the state clears the proof's descriptor).
  if (block.stateDataAvailability === undefined || block.proofDataAvailability === undefined) {
    await client.updateBlockStateDataAvailability(job.jobId, n, checked.endState.dataAvailability ?? `state:${proof!.to}`)
    await client.updateBlockProofDataAvailability(job.jobId, n, `proof:${proof!.digest}`)
  }
  const txHash = o.ledger.settle(job.appInstance, n, raw)
  await rpc.settlementTxHash(job.jobId, n, chain, txHash)
  await rpc.settlementIncluded(job.jobId, n, chain, o.now())
  await client.log("info", `settled block ${n} on ${chain}: ${txHash}`, job.jobId)
  return { _tag: "settled" }
}

export const settle = async (client: AgentClient, rpc: PipelineRpc, job: Job, o: SettleOptions): Promise<Outcome> => {
  const chain = job.chain
  if (chain === undefined || chain === "") return fail("a settle job without a settlement chain")
  const started = Date.now()
  let idleSince = started
  // an injected failure: this job fails after settling at most one block
  const failing = o.faults?.failSettle() === true
  const injected = fail("injected settle failure")
  for (;;) {
    const inst = await rpc.appInstance(job.jobId)
    if (inst === undefined) return fail("no app instance")
    const last = inst.settlements[chain]?.lastSettledBlockNumber
    if (last === undefined) return fail(`the instance has no settlement chain ${chain}`)
    let progressed = false
    let waiting = false
    for (let n = last + 1n; n <= inst.lastProvedBlockNumber && !waiting; n++) {
      const step = await settleBlock(client, rpc, job, chain, n, o)
      if (step._tag === "fail") return fail(step.reason)
      if (step._tag === "wait") waiting = true
      else progressed = true
      if (failing) return injected
    }
    if (failing) return injected
    // Actions not yet in a proved block will be soon, as will a block proved again: the job is
    // not idle while they wait (the next run of this periodic job would only start an interval
    // after it completes).
    const coming = waiting || inst.blockNumber - 1n > inst.lastProvedBlockNumber || inst.sequence > inst.previousBlockLastSequence + 1n
    if (progressed || coming) idleSince = Date.now()
    if (Date.now() - idleSince >= o.idleMs || Date.now() - started >= o.maxRunMs) return done
    await new Promise((r) => setTimeout(r, o.pollMs))
  }
}
