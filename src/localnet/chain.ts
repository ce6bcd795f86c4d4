/**
 * `LocalChain` — the localnet's execution engine behind one class: object store, transaction
 * validation and execution, the coordination package, checkpoints and persistence.
 *
 * Everything it hands out is a `@mysten/sui/grpc` message type (`GrpcTypes.*`), so the gRPC layer
 * only applies read masks, filters and streams. Rejected transactions throw `LocalnetTxError`;
 * transactions that execute and fail (Move abort, insufficient gas) come back as an
 * `ExecutedTransaction` whose effects carry the failure, like on Sui.
 */
import { randomBytes } from "node:crypto"
import { GrpcTypes } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { fromBase64, normalizeStructTag, normalizeSuiAddress, toBase64 } from "@mysten/sui/utils"
import { CheckpointLog } from "./engine/checkpoints.js"
import { defineLazy } from "./engine/lazy.js"
import { describeDatatype, describeFramework, describeFrameworkFunction, describeFunction, describePackage, describeTestCoinPackage } from "./engine/describe.js"
import { endOfEpochData, epochMessage, firstEpoch, nextEpochAt, type EpochRecord, type EpochRules } from "./engine/epochs.js"
import { frameworkFunctions } from "./engine/framework.js"
import { ensureFrameworkPackage, populateGenesis } from "./engine/genesis.js"
import { objectsFromPlain, objectsToPlain } from "./engine/snapshot.js"
import { coordinationFunctions } from "./engine/coordination/package.js"
import { deriveObjectId, transactionDigest, verifyUserSignature, verifyUserSignatureAsync } from "./engine/crypto.js"
import { lockConflict, LocalnetTxError, signature as sigError, transactionExpired, userInput } from "./engine/errors.js"
import { runTransaction, type ExecEnv } from "./engine/executor.js"
import { simulateTransaction } from "./engine/simulate.js"
import { fromJsonable, toJsonable } from "./engine/jsonable.js"
import { CLOCK_ID, coinBalance, currencyOf, isCoin, objectToProto, SUI_TYPE, TEST_COIN_PACKAGE } from "./engine/objects.js"
import { SUI, type MoveFunction } from "./engine/runtime.js"
import { ObjectStore } from "./engine/store.js"
import { txFromBcs, txFromProto, txToBcs, txToProto, type TxData } from "./engine/txdata.js"

export { LocalnetTxError, type LocalnetTxErrorCode } from "./engine/errors.js"

/** Options for a fresh chain. */
export interface GenesisOptions {
  /** Clock start in ms since the epoch (default: `Date.now()`). */
  readonly startTimeMs?: number
  /** Use the wall clock (default) or a manual clock moved only by `advanceClock`. */
  readonly clock?: "wall" | "manual"
  /** Gas coins per key at genesis (default 20). */
  readonly coinsPerKey?: number
  /** MIST in each genesis coin (default 10_000 SUI). */
  readonly coinBalance?: bigint
  /** Epoch length in ms (default: the chain stays in epoch 0). */
  readonly epochMs?: number
  /** MIST added to the reference gas price at each new epoch (default 0). */
  readonly epochGasPriceStep?: bigint
}

/** Ids of the well-known objects created at genesis. */
export interface LocalChainIds {
  readonly packageId: string
  readonly registryId: string
  readonly appInstanceId: string
  readonly clockId: string
}

/** Keys created at genesis (`suiprivkey1…`), both own funded gas coins. */
export interface LocalChainKeys {
  readonly admin: string
  readonly coordinator: string
}

/** JSON-able state of the whole chain, restored by `LocalChain.restore`. */
export interface LocalChainSnapshot {
  readonly format: "silvana-localnet/1"
  readonly [key: string]: unknown
}

/**
 * A change to the chain, as the write-ahead log records it: replaying the records in order at their
 * chain times (`at`) onto the snapshot they follow rebuilds the same state.
 */
export type ChainRecord =
  | { readonly t: "x"; readonly at: number; readonly tx: Uint8Array; readonly sigs: ReadonlyArray<Uint8Array> }
  | { readonly t: "s"; readonly at: number }
  | { readonly t: "c"; readonly at: number; readonly ms: number }
  | { readonly t: "p"; readonly at: number; readonly below: bigint }

/** Where the chain writes its records, and when they are durable. */
export interface ChainJournal {
  record(r: ChainRecord): void
  /** Runs `done` once every record so far is durable. */
  whenDurable(done: () => void): void
}

/** Options of `simulate`, mirroring `SimulateTransactionRequest`. */
export interface SimulateOptions {
  /** `false` skips ownership/version/gas-balance checks (`TransactionChecks.DISABLED`). */
  readonly checks?: boolean
  /** Pick gas coins of the sender and a budget when the transaction has none. */
  readonly doGasSelection?: boolean
}

/** Result of `simulate`, mirroring `SimulateTransactionResponse`. */
export interface SimulateResult {
  readonly transaction: GrpcTypes.ExecutedTransaction
  readonly commandOutputs: GrpcTypes.CommandResult[]
}

/** A page of results; `nextCursor` is opaque (pass it back as `after`). */
export interface Page<T> {
  readonly items: T[]
  readonly nextCursor: string | undefined
}

/** Paging options for list calls. */
export interface PageOptions {
  readonly after?: string
  readonly limit?: number
}

const DEFAULT_RGP = 1_000n

interface ChainState {
  chainId: string
  ids: LocalChainIds
  keys: LocalChainKeys
  genesisMs: bigint
  clock: "wall" | "manual"
  /** Manual clock base, or the offset added to the wall clock. */
  clockBase: number
  clockOffset: number
  /** Every epoch so far, the current one last (absent in a state saved before epochs: epoch 0). */
  epochs?: EpochRecord[]
  epochMs?: number | undefined
  epochGasPriceStep?: bigint
}

/** The in-process Sui chain. */
export class LocalChain {
  private readonly store = new ObjectStore()
  private readonly log = new CheckpointLog()
  private readonly functions: ReadonlyMap<string, MoveFunction>
  private readonly env: ExecEnv
  private journal: ChainJournal | undefined
  /** Chain time pinned for the duration of one change (so a replay sees the same time). */
  private pinned: number | undefined
  /** Highest checkpoint whose records are durable: readers never see past it. */
  private visible = -1n
  /** Observers of every change once applied (the rewind history). */
  private readonly taps: Array<(r: ChainRecord) => void> = []
  /** The `drop-executed` fault: executions still to be answered and then forgotten. */
  private dropRule: { count: number; fn: string | undefined } = { count: 0, fn: undefined }
  /**
   * The epoch's owned-object locks: `id:version` → the transaction holding it. As the validators'
   * per-epoch `owned_object_locked_transactions` table (crates/sui-core/src/authority/
   * authority_per_epoch_store.rs, `AuthorityEpochTables`), a version locked by a transaction that
   * never executes stays unusable until the epoch ends; the next epoch starts with an empty table.
   * Only the `lock-conflict` fault takes such locks here (executed transactions move their inputs
   * on at once). Kept in memory: a restarted localnet starts with none.
   */
  private readonly locks = new Map<string, string>()

  private constructor(private readonly st: ChainState) {
    this.log.onCheckpoint((cp) => this.afterDurable(() => (this.visible = cp.sequenceNumber!)))
    this.functions = coordinationFunctions(st.ids.packageId)
    st.epochs ??= [firstEpoch(st.genesisMs, DEFAULT_RGP)]
    const self = this
    this.env = {
      store: this.store,
      packageId: st.ids.packageId,
      functions: this.functions,
      get referenceGasPrice() {
        return self.currentEpoch.referenceGasPrice
      },
      get epoch() {
        return self.currentEpoch.epoch
      },
      now: () => BigInt(self.now())
    }
  }

  private get currentEpoch(): EpochRecord {
    return this.st.epochs![this.st.epochs!.length - 1]!
  }

  private get epochRules(): EpochRules {
    return { epochMs: this.st.epochMs, gasPriceStep: this.st.epochGasPriceStep ?? 0n }
  }

  /** Creates a fresh chain: package, registry, Clock, one AppInstance, keys and gas coins. */
  static genesis(options: GenesisOptions = {}): LocalChain {
    const start = options.startTimeMs ?? Date.now()
    const seed = randomBytes(32)
    let counter = 0n
    const newId = () => deriveObjectId(seed, counter++)
    const admin = Ed25519Keypair.generate()
    const coordinator = Ed25519Keypair.generate()
    const packageId = newId()
    const registryId = newId()
    const clockMode = options.clock ?? "wall"
    const chain = new LocalChain({
      chainId: "",
      ids: { packageId, registryId, appInstanceId: "", clockId: CLOCK_ID },
      keys: { admin: admin.getSecretKey(), coordinator: coordinator.getSecretKey() },
      genesisMs: BigInt(start),
      clock: clockMode,
      clockBase: clockMode === "manual" ? start : 0,
      clockOffset: clockMode === "manual" ? 0 : start - Date.now() > 0 ? start - Date.now() : 0,
      epochMs: options.epochMs,
      epochGasPriceStep: options.epochGasPriceStep ?? 0n
    })
    const { appInstanceId } = populateGenesis(chain.store, {
      seed,
      newId,
      packageId,
      registryId,
      startMs: BigInt(start),
      admin: admin.toSuiAddress(),
      coordinator: coordinator.toSuiAddress(),
      coinsPerKey: options.coinsPerKey ?? 20,
      coinBalance: options.coinBalance ?? 10_000n * 1_000_000_000n,
      now: () => BigInt(chain.now())
    })
    ;(chain.st.ids as { appInstanceId: string }).appInstanceId = appInstanceId
    const cp0 = chain.log.seal(BigInt(start), 0n)
    chain.st.chainId = cp0.digest!
    return chain
  }

  get chainId(): string {
    return this.st.chainId
  }
  get ids(): LocalChainIds {
    return this.st.ids
  }
  get keys(): LocalChainKeys {
    return this.st.keys
  }

  /** Current chain time in ms (wall clock plus any `advanceClock` offset). */
  now(): number {
    if (this.pinned !== undefined) return this.pinned
    return (this.st.clock === "manual" ? this.st.clockBase : Date.now()) + this.st.clockOffset
  }

  /** Moves chain time forward (the Clock object and job timers follow); for tests and retries. */
  advanceClock(ms: number): void {
    if (ms < 0) throw new Error("the clock only moves forward")
    this.st.clockOffset += ms
    this.emit({ t: "c", at: this.now(), ms })
  }

  /**
   * Journals every later change (write-ahead log): checkpoints reach readers and listeners only
   * once their records are durable.
   */
  attachJournal(journal: ChainJournal): void {
    this.journal = journal
  }

  /** Calls `f` with every change once it is applied (after the journal has it). */
  tapRecords(f: (r: ChainRecord) => void): void {
    this.taps.push(f)
  }

  private emit(r: ChainRecord, journaled = false): void {
    if (!journaled) this.journal?.record(r)
    for (const f of this.taps) f(r)
  }

  /**
   * Fault: the next `count` transactions that execute (those calling function `fn`, when given)
   * are answered with their effects and then lost — the node keeps neither the transaction nor
   * its changes, as a node that crashed before they were durable.
   */
  dropNextExecuted(count: number, fn?: string): void {
    this.dropRule = { count: Math.max(0, Math.floor(count)), fn }
  }

  /** Executions the `drop-executed` fault will still lose. */
  get dropsPending(): number {
    return this.dropRule.count
  }

  /**
   * Puts the chain back to `snapshot` plus `records` replayed up to and including the checkpoint
   * `until` (later records are lost), in place: listeners stay attached and hear nothing of the
   * replay. The clock never moves backwards. The journal, if any, is not told (the caller rebases it).
   */
  resetTo(snapshot: LocalChainSnapshot, records: ReadonlyArray<ChainRecord>, until: bigint, apply: (c: LocalChain, r: ChainRecord) => void): void {
    const now = this.now()
    const journal = this.journal
    const taps = this.taps.splice(0)
    this.journal = undefined
    this.log.muted = true
    try {
      this.store.objects.clear()
      this.store.byOwner.clear()
      objectsFromPlain(this.store, fromJsonable(snapshot.objects), () => BigInt(this.now()))
      this.st.epochs = [...((fromJsonable(snapshot.state) as ChainState).epochs ?? [firstEpoch(this.st.genesisMs, DEFAULT_RGP)])]
      this.log.adopt(logFromSnapshot(snapshot))
      for (const r of records) {
        if ((this.log.latest()?.sequenceNumber ?? -1n) >= until) break
        apply(this, r)
      }
      this.visible = this.log.latest()?.sequenceNumber ?? -1n
    } finally {
      this.log.muted = false
      this.journal = journal
      this.taps.push(...taps)
    }
    this.catchUpClock(now)
  }

  /** Runs `f` at chain time `at` (a replayed record's time). */
  at<A>(at: number, f: () => A): A {
    const before = this.pinned
    this.pinned = at
    try {
      return f()
    } finally {
      this.pinned = before
    }
  }

  /** After a replay: the clock never runs behind the last replayed time. */
  catchUpClock(at: number): void {
    if (this.st.clock === "manual") this.st.clockBase = Math.max(this.st.clockBase, at - this.st.clockOffset)
    else this.st.clockOffset = Math.max(this.st.clockOffset, at - Date.now())
  }

  private afterDurable(f: () => void): void {
    if (this.journal === undefined) f()
    else this.journal.whenDurable(f)
  }

  /** `GetServiceInfo` data. */
  serviceInfo(): GrpcTypes.GetServiceInfoResponse {
    const latest = this.latestCheckpoint()
    return {
      chainId: this.st.chainId,
      chain: "localnet",
      epoch: this.currentEpoch.epoch,
      checkpointHeight: latest.sequenceNumber!,
      ...(latest.summary?.timestamp ? { timestamp: latest.summary.timestamp } : {}),
      lowestAvailableCheckpoint: this.log.lowest,
      lowestAvailableCheckpointObjects: this.log.lowest,
      server: "silvana-localnet"
    }
  }

  referenceGasPrice(): bigint {
    return this.currentEpoch.referenceGasPrice
  }

  /** The current epoch, or epoch `n` (undefined when it has not begun). */
  epoch(n?: bigint): GrpcTypes.Epoch | undefined {
    const epochs = this.st.epochs!
    const i = n === undefined ? epochs.length - 1 : Number(n)
    const e = epochs[i]
    return e === undefined || e.epoch !== (n ?? e.epoch) ? undefined : epochMessage(e, this.epochRules, epochs[i + 1])
  }

  /**
   * Verifies and executes a signed transaction (BCS `TransactionData` or a gRPC `Transaction`)
   * signed with Ed25519; `executeAsync` also takes Secp256k1 and Secp256r1 signatures.
   */
  execute(
    transaction: Uint8Array | GrpcTypes.Transaction,
    signatures: ReadonlyArray<Uint8Array | GrpcTypes.UserSignature>
  ): GrpcTypes.ExecutedTransaction {
    const p = this.prepare(transaction, signatures)
    if ("known" in p) return p.known
    const signers = p.sigBytes.map((sig) => verifyUserSignature(p.bytes, sig))
    return this.pinnedRun(() => this.runSigned(p, signers))
  }

  /** The last transaction of `executeAsync` in arrival order: the next one executes after it. */
  private executionTail: Promise<unknown> = Promise.resolve()

  /**
   * `execute` for every signature scheme the localnet verifies (Ed25519, Secp256k1, Secp256r1).
   * Signatures are checked off the node's thread, several transactions at once, but transactions
   * execute in the order they arrived, whatever order their checks finish in: concurrent callers
   * see the same order every run.
   */
  executeAsync(
    transaction: Uint8Array | GrpcTypes.Transaction,
    signatures: ReadonlyArray<Uint8Array | GrpcTypes.UserSignature>
  ): Promise<GrpcTypes.ExecutedTransaction> {
    let p: ReturnType<typeof this.prepare>
    try {
      p = this.prepare(transaction, signatures)
    } catch (e) {
      return Promise.reject(e)
    }
    if ("known" in p) return Promise.resolve(p.known)
    const prepared = p
    const verified = Promise.all(prepared.sigBytes.map((sig) => verifyUserSignatureAsync(prepared.bytes, sig)))
    const turn = this.executionTail
      .then(() => verified)
      // an earlier call may have executed the same transaction meanwhile
      .then((signers) => this.log.txs.get(prepared.digest) ?? this.pinnedRun(() => this.runSigned(prepared, signers)))
    this.executionTail = turn.catch(() => undefined)
    return turn
  }

  /** Runs a change at one pinned chain time (the time its journal record carries). */
  private pinnedRun<A>(f: () => A): A {
    return this.pinned !== undefined ? f() : this.at(this.now(), f)
  }

  private prepare(
    transaction: Uint8Array | GrpcTypes.Transaction,
    signatures: ReadonlyArray<Uint8Array | GrpcTypes.UserSignature>
  ): { known: GrpcTypes.ExecutedTransaction } | { bytes: Uint8Array; tx: TxData; digest: string; sigBytes: Uint8Array[] } {
    let bytes: Uint8Array
    let tx: TxData
    try {
      if (transaction instanceof Uint8Array) bytes = transaction
      else if (transaction.bcs?.value && transaction.bcs.value.length > 0) bytes = transaction.bcs.value
      else bytes = txToBcs(txFromProto(transaction))
      tx = txFromBcs(bytes)
    } catch (e) {
      if (e instanceof LocalnetTxError) throw e
      throw new LocalnetTxError("BadRequest", `invalid transaction: ${(e as Error).message}`)
    }
    const digest = transactionDigest(bytes)
    const known = this.log.txs.get(digest)
    if (known) return { known }
    if (signatures.length === 0) throw new LocalnetTxError("BadRequest", "missing signatures")
    return { bytes, tx, digest, sigBytes: signatures.map(signatureBytes) }
  }

  private runSigned(
    p: { bytes: Uint8Array; tx: TxData; digest: string; sigBytes: Uint8Array[] },
    verified: ReadonlyArray<{ address: string } | { error: string }>
  ): GrpcTypes.ExecutedTransaction {
    const { bytes, tx, digest, sigBytes } = p
    const signers: string[] = []
    for (const r of verified) {
      if ("error" in r) throw sigError.invalid(r.error)
      signers.push(r.address)
    }
    // sponsors are not supported: the sender's signature is the only one expected
    if (signers.length !== 1 || signers[0] !== tx.sender) throw sigError.absent(tx.sender, signers)
    this.checkExpiration(tx)
    this.checkLocks(tx, digest)
    const drop = this.dropRule.count > 0 && (this.dropRule.fn === undefined || tx.commands.some((c) => c.kind === "moveCall" && c.function === this.dropRule.fn))
    // A dropped transaction runs as a simulation: the same effects, nothing kept.
    const out = runTransaction(this.env, tx, { digest, simulate: drop, checks: true })
    const executed: GrpcTypes.ExecutedTransaction = {
      digest,
      signatures: sigBytes.map((b) => {
        // flag ‖ signature (64) ‖ public key (32 for Ed25519, 33 compressed for the secp curves)
        const scheme = b[0]!
        return {
          bcs: { name: "UserSignatureBytes", value: b },
          scheme,
          signature: { oneofKind: "simple" as const, simple: { scheme, signature: b.subarray(1, 65), publicKey: b.subarray(65) } }
        }
      }),
      effects: out.effects,
      ...(out.events ? { events: out.events } : {}),
      balanceChanges: out.balanceChanges
    }
    // the structured transaction is rebuilt from its BCS on read: history keeps only the bytes
    defineLazy(executed, "transaction", () => txToProto(txFromBcs(bytes), { bcs: bytes, digest }))
    if (drop) {
      this.dropRule.count -= 1
      return executed
    }
    this.log.addExecuted(executed)
    this.emit({ t: "x", at: this.now(), tx: bytes, sigs: sigBytes })
    return executed
  }

  /**
   * Expiration as Sui checks it: past its epoch a transaction is `TransactionExpired`
   * (crates/sui-types/src/error.rs, categorized InvalidTransaction); a `ValidDuring` window
   * that has not begun or names another chain is an invalid expiration / chain id.
   */
  private checkExpiration(tx: TxData): void {
    const e = tx.expiration
    const epoch = this.currentEpoch.epoch
    if (e.kind === "epoch" && e.epoch < epoch) throw transactionExpired()
    if (e.kind === "validDuring") {
      if (e.maxEpoch !== null && e.maxEpoch < epoch) throw transactionExpired()
      if (e.minEpoch !== null && e.minEpoch > epoch) throw userInput.invalidExpiration(`min_epoch ${e.minEpoch} is after the current epoch ${epoch}`)
      if (e.chain !== "" && e.chain !== this.st.chainId) throw userInput.chainIdMismatch(e.chain, this.st.chainId)
    }
  }

  /** `ObjectLockConflict` for an input version another transaction locked this epoch. */
  private checkLocks(tx: TxData, digest: string): void {
    if (this.locks.size === 0) return
    const refs = [...tx.gas.payment, ...tx.inputs.flatMap((i) => (i.kind === "owned" ? [i.ref] : []))]
    for (const r of refs) {
      const holder = this.locks.get(`${r.id}:${r.version}`)
      if (holder !== undefined && holder !== digest) throw lockConflict(r.id, r.version, r.digest, holder)
    }
  }

  /**
   * The rejection an injected fault answers for `transaction`, about its first gas coin (or first
   * owned input), with the texts a full node would use. A lock conflict also locks that version
   * for the rest of the epoch, as a competing transaction's lock would.
   */
  faultRejection(transaction: Uint8Array | GrpcTypes.Transaction, kind: "version-conflict" | "lock-conflict" | "object-not-found"): LocalnetTxError {
    let ref = { id: normalizeSuiAddress("0x0"), version: 0n, digest: "11111111111111111111111111111111" }
    try {
      const tx = transaction instanceof Uint8Array ? txFromBcs(transaction) : txFromProto(transaction)
      ref = tx.gas.payment[0] ?? tx.inputs.flatMap((i) => (i.kind === "owned" ? [i.ref] : []))[0] ?? ref
    } catch {
      // undecodable: the fault still answers, about the zero object
    }
    if (kind === "object-not-found") return userInput.objectNotFound(ref.id, ref.version)
    if (kind === "lock-conflict") {
      // another transaction (never executed) holds the version: locked for the rest of the epoch
      const key = `${ref.id}:${ref.version}`
      const holder = this.locks.get(key) ?? transactionDigest(randomBytes(32))
      this.locks.set(key, holder)
      return lockConflict(ref.id, ref.version, ref.digest, holder)
    }
    const live = this.store.get(ref.id)?.version ?? ref.version
    return userInput.versionUnavailable(ref.id, ref.version, ref.digest, live > ref.version ? live : ref.version + 1n)
  }

  /** Dry-runs a transaction, resolving unresolved inputs and gas as `SimulateTransaction` does. */
  simulate(transaction: Uint8Array | GrpcTypes.Transaction, options: SimulateOptions = {}): SimulateResult {
    const checks = options.checks ?? true
    let tx: TxData
    try {
      tx = transaction instanceof Uint8Array ? txFromBcs(transaction) : txFromProto(transaction)
    } catch (e) {
      throw new LocalnetTxError("BadRequest", `invalid transaction: ${(e as Error).message}`)
    }
    const { tx: resolved, bytes, digest, out } = simulateTransaction(this.env, tx, { checks, doGasSelection: options.doGasSelection ?? false })
    tx = resolved
    return {
      transaction: {
        digest,
        transaction: txToProto(tx, { bcs: bytes, digest }),
        signatures: [],
        effects: out.effects,
        ...(out.events ? { events: out.events } : {}),
        balanceChanges: out.balanceChanges
      },
      commandOutputs: out.commandOutputs
    }
  }

  /** The object at its live version, or at `version` if that is the live one. */
  getObject(objectId: string, version?: bigint): GrpcTypes.Object | undefined {
    const rec = this.store.get(normalizeSuiAddress(objectId))
    if (!rec || (version !== undefined && version !== rec.version)) return undefined
    return objectToProto(rec, () => this.getPackage(rec.id)!)
  }

  listOwnedObjects(owner: string, options: PageOptions & { readonly objectType?: string } = {}): Page<GrpcTypes.Object> {
    const filter = options.objectType ? normalizeTypeFilter(options.objectType) : undefined
    const ids = [...this.store.owned(normalizeSuiAddress(owner))].filter((id) => {
      const rec = this.store.get(id)!
      if (rec.owner.kind !== "address") return false
      if (!filter) return true
      const t = normalizeTypeFilter(rec.type)
      return t === filter || (!filter.includes("<") && t.startsWith(filter + "<"))
    })
    return this.page(ids, options, (id) => objectToProto(this.store.get(id)!))
  }

  listDynamicFields(parent: string, options: PageOptions = {}): Page<GrpcTypes.DynamicField> {
    const p = normalizeSuiAddress(parent)
    const ids = [...this.store.owned(p)].filter((id) => this.store.get(id)?.dynamicField !== undefined)
    return this.page(ids, options, (id) => {
      const rec = this.store.get(id)!
      const df = rec.dynamicField!
      const child = this.store.get(df.childId)
      const keyType = df.nameType.replace(/^.*::dynamic_object_field::Wrapper<(.*)>$/, "$1")
      return {
        kind: 2,
        parent: p,
        fieldId: rec.id,
        fieldObject: objectToProto(rec),
        name: { name: keyType, value: df.nameBcs },
        ...(child ? { valueType: child.type, childObject: objectToProto(child) } : {}),
        childId: df.childId
      }
    })
  }

  private page<T>(ids: string[], options: PageOptions, render: (id: string) => T): Page<T> {
    let start = 0
    if (options.after !== undefined) {
      const i = ids.indexOf(options.after)
      start = i < 0 ? ids.length : i + 1
    }
    const limit = Math.max(1, Math.min(options.limit ?? 50, 1000))
    const slice = ids.slice(start, start + limit)
    return { items: slice.map(render), nextCursor: start + limit < ids.length ? slice[slice.length - 1] : undefined }
  }

  /** Coin balances of `owner` by currency (SUI first, then in first-seen order). */
  private balancesOf(owner: string): Map<string, bigint> {
    const totals = new Map<string, bigint>([[normalizeTypeFilter(SUI_TYPE), 0n]])
    for (const id of this.store.owned(normalizeSuiAddress(owner))) {
      const rec = this.store.get(id)!
      if (rec.owner.kind !== "address" || !isCoin(rec)) continue
      const currency = normalizeTypeFilter(currencyOf(rec))
      totals.set(currency, (totals.get(currency) ?? 0n) + coinBalance(rec))
    }
    return totals
  }

  getBalance(owner: string, coinType: string): GrpcTypes.Balance {
    const want = normalizeTypeFilter(coinType)
    const total = this.balancesOf(owner).get(want) ?? 0n
    return { coinType: want, balance: total, coinBalance: total, addressBalance: 0n }
  }

  listBalances(owner: string): GrpcTypes.Balance[] {
    return [...this.balancesOf(owner)]
      .filter(([, total]) => total > 0n)
      .map(([coinType, total]) => ({ coinType, balance: total, coinBalance: total, addressBalance: 0n }))
  }

  getTransaction(digest: string): GrpcTypes.ExecutedTransaction | undefined {
    return this.log.txs.get(digest)
  }

  getPackage(packageId: string): GrpcTypes.Package | undefined {
    const id = normalizeSuiAddress(packageId)
    if (id === SUI) return describeFramework()
    if (id === TEST_COIN_PACKAGE) return describeTestCoinPackage()
    return id === this.st.ids.packageId ? describePackage(this.st.ids.packageId, this.functions) : undefined
  }

  getFunction(packageId: string, module: string, name: string): GrpcTypes.FunctionDescriptor | undefined {
    const id = normalizeSuiAddress(packageId)
    if (id === SUI) {
      const f = frameworkFunctions.get(`${module}::${name}`)
      return f ? describeFrameworkFunction(f) : undefined
    }
    if (id !== this.st.ids.packageId) return undefined
    const f = this.functions.get(`${module}::${name}`)
    return f ? describeFunction(f) : undefined
  }

  getDatatype(packageId: string, module: string, name: string): GrpcTypes.DatatypeDescriptor | undefined {
    return normalizeSuiAddress(packageId) === this.st.ids.packageId ? describeDatatype(this.st.ids.packageId, module, name) : undefined
  }

  /** Seals the executed-but-unsealed transactions (possibly none) into the next checkpoint. */
  sealCheckpoint(): GrpcTypes.Checkpoint {
    const at = this.now()
    // recorded first: the checkpoint's listeners wait for this record to be durable
    this.journal?.record({ t: "s", at })
    // the epoch is over: this checkpoint is its last, the next one opens the next epoch
    const next = nextEpochAt(this.currentEpoch, this.epochRules, BigInt(at), this.latestSealed() + 2n)
    const cp = this.log.seal(BigInt(at), this.currentEpoch.epoch, next === undefined ? undefined : endOfEpochData())
    if (next !== undefined) {
      this.st.epochs!.push(next)
      this.locks.clear()
    }
    this.emit({ t: "s", at }, true)
    return cp
  }

  /** The latest sealed checkpoint's number (durable or not). */
  latestSealed(): bigint {
    return this.log.latest()?.sequenceNumber ?? -1n
  }

  /** Number of executed transactions waiting for the next checkpoint. */
  pendingTransactions(): number {
    return this.log.pending.length
  }

  getCheckpoint(sequenceNumber: bigint): GrpcTypes.Checkpoint | undefined {
    return sequenceNumber > this.visible ? undefined : this.log.get(sequenceNumber)
  }

  getCheckpointByDigest(digest: string): GrpcTypes.Checkpoint | undefined {
    const cp = this.log.getByDigest(digest)
    return cp === undefined || cp.sequenceNumber! > this.visible ? undefined : cp
  }

  /** The latest checkpoint readers may see (sealed, and durable when journaled). */
  latestCheckpoint(): GrpcTypes.Checkpoint {
    return this.log.get(this.visible) ?? this.log.latest()!
  }

  /** Called after each sealed checkpoint (once durable when journaled); returns an unsubscribe function. */
  onCheckpoint(listener: (checkpoint: GrpcTypes.Checkpoint) => void): () => void {
    return this.log.onCheckpoint((cp) => this.afterDurable(() => listener(cp)))
  }

  /** Drops checkpoints (and their transactions) below `below`. */
  prune(below: bigint): void {
    this.log.prune(below)
    this.emit({ t: "p", at: this.now(), below })
  }

  lowestAvailableCheckpoint(): bigint {
    return this.log.lowest
  }

  /** Plain-data (JSON-able) image of the whole state. */
  snapshot(): LocalChainSnapshot {
    const objects = objectsToPlain(this.store)
    const encodeCp = (cp: GrpcTypes.Checkpoint) => toBase64(GrpcTypes.Checkpoint.toBinary(cp))
    const encodeTx = (tx: GrpcTypes.ExecutedTransaction) => toBase64(GrpcTypes.ExecutedTransaction.toBinary(tx))
    return {
      format: "silvana-localnet/1",
      state: toJsonable({ ...this.st, clockOffset: this.st.clockOffset, wallAtSnapshot: this.now() }),
      objects: toJsonable(objects),
      checkpoints: this.log.checkpoints.map(encodeCp),
      lowest: this.log.lowest.toString(),
      totalTransactions: this.log.totalTransactions.toString(),
      pending: this.log.pending.map(encodeTx)
    }
  }

  /** Rebuilds a chain from `snapshot()` output (objects, checkpoints, keys, chain id, clock). */
  static restore(snapshot: LocalChainSnapshot, options: Pick<GenesisOptions, "clock" | "epochMs" | "epochGasPriceStep"> = {}): LocalChain {
    if (snapshot.format !== "silvana-localnet/1") throw new Error(`unknown snapshot format ${String(snapshot.format)}`)
    const saved = fromJsonable(snapshot.state) as ChainState & { wallAtSnapshot: number }
    const clock = options.clock ?? saved.clock
    const st: ChainState = {
      chainId: saved.chainId,
      ids: saved.ids,
      keys: saved.keys,
      genesisMs: saved.genesisMs,
      clock,
      // chain time never goes backwards across a restart
      clockBase: clock === "manual" ? saved.wallAtSnapshot : 0,
      clockOffset: clock === "manual" ? 0 : Math.max(0, saved.wallAtSnapshot - Date.now()),
      ...(saved.epochs !== undefined ? { epochs: saved.epochs } : {}),
      epochMs: options.epochMs ?? saved.epochMs,
      epochGasPriceStep: options.epochGasPriceStep ?? saved.epochGasPriceStep ?? 0n
    }
    const chain = new LocalChain(st)
    objectsFromPlain(chain.store, fromJsonable(snapshot.objects), () => BigInt(chain.now()))
    ensureFrameworkPackage(chain.store)
    chain.log.adopt(logFromSnapshot(snapshot))
    chain.visible = chain.log.latest()?.sequenceNumber ?? -1n
    return chain
  }
}


/** The checkpoint history a snapshot holds. */
const logFromSnapshot = (snapshot: LocalChainSnapshot): CheckpointLog => {
  const log = new CheckpointLog()
  log.lowest = BigInt(snapshot.lowest as string)
  for (const b of snapshot.checkpoints as string[]) log.restoreCheckpoint(GrpcTypes.Checkpoint.fromBinary(fromBase64(b)))
  log.totalTransactions = BigInt(snapshot.totalTransactions as string)
  for (const b of snapshot.pending as string[]) log.addExecuted(GrpcTypes.ExecutedTransaction.fromBinary(fromBase64(b)))
  return log
}

const normalizeTypeFilter = (t: string): string => {
  try {
    return normalizeStructTag(t)
  } catch {
    return t
  }
}

const signatureBytes = (s: Uint8Array | GrpcTypes.UserSignature): Uint8Array => {
  if (s instanceof Uint8Array) return s
  if (s.bcs?.value && s.bcs.value.length > 0) return s.bcs.value
  if (s.signature.oneofKind === "simple") {
    const { scheme, signature, publicKey } = s.signature.simple
    if (signature && publicKey) return Uint8Array.from([scheme ?? 0, ...signature, ...publicKey])
  }
  throw new LocalnetTxError("BadRequest", "invalid signature: unsupported signature encoding")
}
