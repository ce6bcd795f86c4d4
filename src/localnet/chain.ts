/**
 * `LocalChain` — the localnet's execution engine behind one class: object store, transaction
 * validation and execution, the coordination package, checkpoints and persistence.
 *
 * Everything it hands out is a `@mysten/sui/grpc` message type (`GrpcTypes.*`), so the gRPC layer
 * only applies read masks, filters and streams. Rejected transactions throw `LocalnetTxError`;
 * transactions that execute and fail (Move abort, insufficient gas) come back as an
 * `ExecutedTransaction` whose effects carry the failure, like on Sui.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"

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

/** The in-process Sui chain. */
export declare class LocalChain {
  /** Creates a fresh chain: package, registry, Clock, one AppInstance, keys and gas coins. */
  static genesis(options?: GenesisOptions): LocalChain
  /** Rebuilds a chain from `snapshot()` output (objects, checkpoints, keys, chain id, clock). */
  static restore(snapshot: LocalChainSnapshot, options?: Pick<GenesisOptions, "clock">): LocalChain
  /** Plain-data (JSON-able) image of the whole state. */
  snapshot(): LocalChainSnapshot

  readonly chainId: string
  readonly ids: LocalChainIds
  readonly keys: LocalChainKeys

  /** Current chain time in ms (wall clock plus any `advanceClock` offset). */
  now(): number
  /** Moves chain time forward (the Clock object and job timers follow); for tests and retries. */
  advanceClock(ms: number): void

  /** `GetServiceInfo` data. */
  serviceInfo(): GrpcTypes.GetServiceInfoResponse
  referenceGasPrice(): bigint
  /** The current epoch (only epoch 0 exists). */
  epoch(): GrpcTypes.Epoch

  /** Verifies and executes a signed transaction (BCS `TransactionData` or a gRPC `Transaction`). */
  execute(
    transaction: Uint8Array | GrpcTypes.Transaction,
    signatures: ReadonlyArray<Uint8Array | GrpcTypes.UserSignature>
  ): GrpcTypes.ExecutedTransaction
  /** Dry-runs a transaction, resolving unresolved inputs and gas as `SimulateTransaction` does. */
  simulate(transaction: Uint8Array | GrpcTypes.Transaction, options?: SimulateOptions): SimulateResult

  /** The object at its live version, or at `version` if that is the live one. */
  getObject(objectId: string, version?: bigint): GrpcTypes.Object | undefined
  listOwnedObjects(owner: string, options?: PageOptions & { readonly objectType?: string }): Page<GrpcTypes.Object>
  listDynamicFields(parent: string, options?: PageOptions): Page<GrpcTypes.DynamicField>
  getBalance(owner: string, coinType: string): GrpcTypes.Balance
  listBalances(owner: string): GrpcTypes.Balance[]
  getTransaction(digest: string): GrpcTypes.ExecutedTransaction | undefined
  getPackage(packageId: string): GrpcTypes.Package | undefined
  getFunction(packageId: string, module: string, name: string): GrpcTypes.FunctionDescriptor | undefined
  getDatatype(packageId: string, module: string, name: string): GrpcTypes.DatatypeDescriptor | undefined

  /** Seals the executed-but-unsealed transactions (possibly none) into the next checkpoint. */
  sealCheckpoint(): GrpcTypes.Checkpoint
  /** Number of executed transactions waiting for the next checkpoint. */
  pendingTransactions(): number
  getCheckpoint(sequenceNumber: bigint): GrpcTypes.Checkpoint | undefined
  getCheckpointByDigest(digest: string): GrpcTypes.Checkpoint | undefined
  latestCheckpoint(): GrpcTypes.Checkpoint
  /** Called synchronously after each sealed checkpoint; returns an unsubscribe function. */
  onCheckpoint(listener: (checkpoint: GrpcTypes.Checkpoint) => void): () => void
  /** Drops checkpoints (and their transactions) below `below`. */
  prune(below: bigint): void
  lowestAvailableCheckpoint(): bigint
}
