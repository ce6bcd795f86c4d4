/**
 * Client-side helpers for the localnet (tests, the CLI and the coordinator's demo). They use only
 * `@mysten/sui` over native gRPC — the same path as production — never the localnet's memory:
 * `makeSuiClient`, `seedAgentMethod` (registry developer/agent/method plus an app instance
 * method), `createJobs` (signed `create_app_job` transactions) and `coordinationCall` (Move calls
 * of the coordinator's entry points added to a `Transaction`).
 */
import { createPrivateKey, sign as nodeSign } from "node:crypto"
import { ChannelCredentials } from "@grpc/grpc-js"
import { blake2b256 } from "../domain/blake2b.js"
import { ED25519_PKCS8_PREFIX } from "../domain/ed25519Keys.js"
import { bcs } from "@mysten/sui/bcs"
import { SuiGrpcClient } from "@mysten/sui/grpc"
import { decodeSuiPrivateKey, messageWithIntent, toSerializedSignature } from "@mysten/sui/cryptography"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction, type TransactionArgument, type TransactionResult } from "@mysten/sui/transactions"
import { deriveDynamicFieldID, normalizeSuiAddress } from "@mysten/sui/utils"
import { GrpcTransport } from "@protobuf-ts/grpc-transport"
import { executeForSettlement } from "../chain/execute.js"
import { JobCreatedEvent } from "../chain/moveTypes.js"

/** What a client needs from the localnet manifest. */
export interface ManifestLike {
  readonly grpcUrl: string
  readonly packageId: string
  readonly registryId: string
  readonly appInstanceId: string
  readonly keys: { readonly admin: string; readonly coordinator: string }
}

/** `SuiGrpcClient` over native gRPC (HTTP/2 via @grpc/grpc-js) for `http://host:port` or `host:port`. */
export const makeSuiClient = (grpcUrl: string): SuiGrpcClient => openClient(grpcUrl).client

/** A client with its transport's close. */
export const openClient = (grpcUrl: string): { client: SuiGrpcClient; close: () => void } => {
  const transport = new GrpcTransport({
    host: grpcUrl.replace(/^https?:\/\//, "").replace(/\/$/, ""),
    channelCredentials: ChannelCredentials.createInsecure()
  })
  return { client: new SuiGrpcClient({ network: "localnet", transport }), close: () => transport.close() }
}

/** A shared object given by id (resolved by the node while building) or by its initial version. */
export type SharedObject = string | { readonly objectId: string; readonly initialSharedVersion: string | number | bigint }

const STRING_KEY = "0x2::dynamic_object_field::Wrapper<0x1::string::String>"

const sharedArg = (tx: Transaction, o: SharedObject, mutable: boolean): TransactionArgument =>
  typeof o === "string"
    ? tx.object(o)
    : tx.sharedObjectRef({ objectId: o.objectId, initialSharedVersion: String(o.initialSharedVersion), mutable })

/** Move calls of the coordination package's entry points (all add to `tx` and return the result). */
export const coordinationCall = {
  startAppJob: (tx: Transaction, packageId: string, appInstance: SharedObject, seq: bigint | number): TransactionResult =>
    tx.moveCall({
      target: `${packageId}::app_instance::start_app_job`,
      arguments: [sharedArg(tx, appInstance, true), tx.pure.u64(seq), tx.object.clock()]
    }),
  completeAppJob: (tx: Transaction, packageId: string, appInstance: SharedObject, seq: bigint | number): TransactionResult =>
    tx.moveCall({
      target: `${packageId}::app_instance::complete_app_job`,
      arguments: [sharedArg(tx, appInstance, true), tx.pure.u64(seq), tx.object.clock()]
    }),
  failAppJob: (tx: Transaction, packageId: string, appInstance: SharedObject, seq: bigint | number, error: string): TransactionResult =>
    tx.moveCall({
      target: `${packageId}::app_instance::fail_app_job`,
      arguments: [sharedArg(tx, appInstance, true), tx.pure.u64(seq), tx.pure.string(error), tx.object.clock()]
    }),
  terminateAppJob: (tx: Transaction, packageId: string, appInstance: SharedObject, seq: bigint | number): TransactionResult =>
    tx.moveCall({
      target: `${packageId}::app_instance::terminate_app_job`,
      arguments: [sharedArg(tx, appInstance, true), tx.pure.u64(seq), tx.object.clock()]
    }),
  multicall: (
    tx: Transaction,
    packageId: string,
    appInstance: SharedObject,
    ops: {
      complete: bigint[]
      fail: Array<{ seq: bigint; error: string }>
      terminate: bigint[]
      start: bigint[]
      startMemoryBytes?: bigint[]
      availableMemoryBytes?: bigint
    }
  ): TransactionResult =>
    tx.moveCall({
      target: `${packageId}::app_instance::multicall_app_job_operations`,
      arguments: [
        sharedArg(tx, appInstance, true),
        tx.pure.vector("u64", ops.complete),
        tx.pure.vector("u64", ops.fail.map((f) => f.seq)),
        tx.pure.vector("string", ops.fail.map((f) => f.error)),
        tx.pure.vector("u64", ops.terminate),
        tx.pure.vector("u64", ops.start),
        tx.pure.vector("u64", ops.startMemoryBytes ?? ops.start.map(() => 0n)),
        tx.pure.u64(ops.availableMemoryBytes ?? 0xffff_ffff_ffff_ffffn),
        tx.object.clock()
      ]
    }),
  /** `create_app_job` with the chain spec's argument order. */
  createAppJob: (
    tx: Transaction,
    packageId: string,
    appInstance: SharedObject,
    job: {
      method: string
      description?: string
      blockNumber?: bigint
      sequences?: bigint[]
      sequences1?: bigint[]
      sequences2?: bigint[]
      data?: Uint8Array
      intervalMs?: bigint
      nextScheduledAt?: bigint
      settlementChain?: string
    }
  ): TransactionResult =>
    tx.moveCall({
      target: `${packageId}::app_instance::create_app_job`,
      arguments: [
        sharedArg(tx, appInstance, true),
        tx.pure.string(job.method),
        tx.pure.option("string", job.description ?? null),
        tx.pure.option("u64", job.blockNumber ?? null),
        tx.pure.option("vector<u64>", job.sequences ?? null),
        tx.pure.option("vector<u64>", job.sequences1 ?? null),
        tx.pure.option("vector<u64>", job.sequences2 ?? null),
        tx.pure.vector("u8", job.data ?? new Uint8Array()),
        tx.pure.option("u64", job.intervalMs ?? null),
        tx.pure.option("u64", job.nextScheduledAt ?? null),
        tx.pure.option("string", job.settlementChain ?? null),
        tx.object.clock()
      ]
    })
}

const fieldExists = async (client: SuiGrpcClient, tableId: string, key: string): Promise<string | undefined> => {
  const fieldId = deriveDynamicFieldID(tableId, STRING_KEY, bcs.string().serialize(key).toBytes())
  const { objects } = await client.core.getObjects({ objectIds: [fieldId], include: { json: true } })
  const field = objects[0]
  if (!field || field instanceof Error) return undefined
  return (field.json as { value?: string } | null)?.value
}

const objectJson = async (client: SuiGrpcClient, id: string): Promise<any> => {
  const { object } = await client.core.getObject({ objectId: id, include: { json: true } })
  return object.json
}

/** Signs with `keypair`, executes, and throws when the transaction failed. */
/** Builds, signs (with the manifest's admin key) and executes one transaction on a fresh client. */
export const runAsAdmin = async (manifest: ManifestLike, build: (tx: Transaction) => void) => {
  const { client, close } = openClient(manifest.grpcUrl)
  try {
    const tx = new Transaction()
    build(tx)
    return await signAndRun(client, Ed25519Keypair.fromSecretKey(manifest.keys.admin), tx)
  } finally {
    close()
  }
}

export const signAndRun = async (client: SuiGrpcClient, keypair: Ed25519Keypair, tx: Transaction) => {
  tx.setSenderIfNotSet(keypair.toSuiAddress())
  const result = await client.signAndExecuteTransaction({ transaction: tx, signer: keypair, include: { effects: true, events: true } })
  if (result.$kind !== "Transaction") throw new Error(`transaction failed: ${result.FailedTransaction.status.error?.message ?? "unknown error"}`)
  return result.Transaction
}

/**
 * Registers developer → agent → method in the registry (each only if missing) and maps the app
 * instance method `appMethod` (default: `method`) to that triple, in one signed transaction of
 * the admin key.
 */
export async function seedAgentMethod(
  manifest: ManifestLike,
  opts: {
    developer: string
    agent: string
    method: string
    image: string
    sha256?: string
    memoryGb?: number
    cpus?: number
    requiresTee?: boolean
    appMethod?: string
  }
): Promise<void> {
  const { client, close } = openClient(manifest.grpcUrl)
  try {
    const admin = Ed25519Keypair.fromSecretKey(manifest.keys.admin)
    const pkg = manifest.packageId
    const registry = await objectJson(client, manifest.registryId)
    const developerId = await fieldExists(client, registry.developers.id, opts.developer)
    let agentId: string | undefined
    let hasMethod = false
    if (developerId) {
      const developer = await objectJson(client, developerId)
      agentId = await fieldExists(client, developer.agents.id, opts.agent)
      if (agentId) {
        const agent = await objectJson(client, agentId)
        hasMethod = (agent.methods.contents as Array<{ key: string }>).some((e) => e.key === opts.method)
      }
    }
    const appMethod = opts.appMethod ?? opts.method
    const instance = await objectJson(client, manifest.appInstanceId)
    const mapped = (instance.methods.contents as Array<{ key: string }>).some((e) => e.key === appMethod)
    if (developerId && agentId && hasMethod && mapped) return

    const tx = new Transaction()
    const reg = tx.object(manifest.registryId)
    const none = () => tx.pure.option("string", null)
    if (!developerId) {
      tx.moveCall({
        target: `${pkg}::registry::add_developer`,
        arguments: [reg, tx.pure.address(admin.toSuiAddress()), tx.pure.string(opts.developer), tx.pure.string(opts.developer), none(), none(), none(), tx.object.clock()]
      })
    }
    if (!agentId) {
      tx.moveCall({
        target: `${pkg}::registry::add_agent`,
        arguments: [reg, tx.pure.string(opts.developer), tx.pure.string(opts.agent), none(), none(), none(), tx.pure.vector("string", []), tx.object.clock()]
      })
    }
    if (!hasMethod) {
      tx.moveCall({
        target: `${pkg}::registry::add_method`,
        arguments: [
          reg,
          tx.pure.string(opts.developer),
          tx.pure.string(opts.agent),
          tx.pure.string(opts.method),
          tx.pure.string(opts.image),
          tx.pure.option("string", opts.sha256 ?? null),
          tx.pure.u16(opts.memoryGb ?? 1),
          tx.pure.u16(opts.cpus ?? 1),
          tx.pure.bool(opts.requiresTee ?? false),
          tx.object.clock()
        ]
      })
    }
    if (!mapped) {
      const m = tx.moveCall({
        target: `${pkg}::app_method::new`,
        arguments: [none(), tx.pure.string(opts.developer), tx.pure.string(opts.agent), tx.pure.string(opts.method)]
      })
      tx.moveCall({
        target: `${pkg}::app_instance::add_method_to_instance`,
        arguments: [tx.object(manifest.appInstanceId), tx.pure.string(appMethod), m]
      })
    }
    await signAndRun(client, admin, tx)
  } finally {
    close()
  }
}

interface GasRef {
  objectId: string
  version: string
  digest: string
}

/**
 * Signs transaction bytes like `Ed25519Keypair.signTransaction` (Ed25519 is deterministic, so
 * the bytes are identical) with Node's native Ed25519, which is many times faster than the JS
 * implementation and keeps job creation from being the bottleneck of benchmarks.
 */
export const fastSigner = (secret: string): ((txBytes: Uint8Array) => string) => {
  const keypair = Ed25519Keypair.fromSecretKey(secret)
  const { secretKey } = decodeSuiPrivateKey(secret)
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, secretKey]), format: "der", type: "pkcs8" })
  const publicKey = keypair.getPublicKey()
  return (txBytes) => {
    const digest = blake2b256(messageWithIntent("TransactionData", txBytes))
    return toSerializedSignature({ signature: nodeSign(null, digest, key), signatureScheme: "ED25519", publicKey })
  }
}

/**
 * BCS `TransactionData` of `create_app_job` calls written directly with `@mysten/sui/bcs` (the
 * same bytes the `Transaction` builder produces for fully resolved inputs, without its per-call
 * overhead): inputs are the instance (shared, mutable), the Clock (shared, read-only) and the
 * pure arguments of each call.
 */
const createJobsTransaction = (o: {
  sender: string
  packageId: string
  appInstance: { objectId: string; initialSharedVersion: string }
  gas: GasRef
  price: bigint
  budget: bigint
  jobs: Array<{ method: string; data: Uint8Array; intervalMs: bigint | null; nextScheduledAt: bigint | null }>
}): Uint8Array => {
  const inputs: unknown[] = [
    { Object: { SharedObject: { objectId: o.appInstance.objectId, initialSharedVersion: o.appInstance.initialSharedVersion, mutable: true } } },
    { Object: { SharedObject: { objectId: "0x6", initialSharedVersion: "1", mutable: false } } }
  ]
  const pure = (bytes: Uint8Array) => {
    inputs.push({ Pure: { bytes } })
    return { Input: inputs.length - 1 }
  }
  const noneString = bcs.option(bcs.string()).serialize(null).toBytes()
  const optU64 = bcs.option(bcs.u64())
  const noneVec = bcs.option(bcs.vector(bcs.u64())).serialize(null).toBytes()
  const commands = o.jobs.map((j) => ({
    MoveCall: {
      package: o.packageId,
      module: "app_instance",
      function: "create_app_job",
      typeArguments: [],
      arguments: [
        { Input: 0 },
        pure(bcs.string().serialize(j.method).toBytes()),
        pure(noneString),
        pure(optU64.serialize(null).toBytes()),
        pure(noneVec),
        pure(noneVec),
        pure(noneVec),
        pure(bcs.byteVector().serialize(j.data).toBytes()),
        pure(optU64.serialize(j.intervalMs).toBytes()),
        pure(optU64.serialize(j.nextScheduledAt).toBytes()),
        pure(noneString),
        { Input: 1 }
      ]
    }
  }))
  return bcs.TransactionData.serialize({
    V1: {
      kind: { ProgrammableTransaction: { inputs, commands } },
      sender: o.sender,
      gasData: { payment: [o.gas], owner: o.sender, price: o.price, budget: o.budget },
      expiration: { None: true }
    }
  } as never).toBytes()
}

/**
 * Creates `count` jobs for app instance method `method` through signed `create_app_job`
 * transactions of the admin key (`perTransaction` calls per transaction, default 1). Transactions
 * run concurrently, one in flight per gas coin, so a coin is never used by two of them.
 * `intervalMs` makes the jobs periodic (`interval_ms`, first run due now).
 */
export async function createJobs(
  manifest: ManifestLike,
  opts: {
    count: number
    method: string
    data?: Uint8Array | ((i: number) => Uint8Array)
    intervalMs?: number
    perTransaction?: number
    onProgress?: (done: number) => void
  }
): Promise<{ jobSequences: bigint[] }> {
  const { client, close } = openClient(manifest.grpcUrl)
  try {
    const admin = Ed25519Keypair.fromSecretKey(manifest.keys.admin)
    const sender = admin.toSuiAddress()
    const [{ object: inst }, { referenceGasPrice }, coins] = await Promise.all([
      client.core.getObject({ objectId: manifest.appInstanceId }),
      client.core.getReferenceGasPrice(),
      client.core.listCoins({ owner: sender, limit: 50 })
    ])
    const owner = inst.owner as { $kind: string; Shared?: { initialSharedVersion: string } }
    if (owner.$kind !== "Shared" || !owner.Shared) throw new Error(`app instance ${manifest.appInstanceId} is not a shared object`)
    const appRef = { objectId: normalizeSuiAddress(manifest.appInstanceId), initialSharedVersion: owner.Shared.initialSharedVersion }
    const perTx = Math.max(1, opts.perTransaction ?? 1)
    const batches: number[][] = []
    for (let i = 0; i < opts.count; i += perTx) batches.push(Array.from({ length: Math.min(perTx, opts.count - i) }, (_, k) => i + k))
    const gasCoins: GasRef[] = coins.objects
      .filter((c) => BigInt(c.balance) >= 1_000_000_000n)
      .slice(0, 8)
      .map((c) => ({ objectId: c.objectId, version: c.version, digest: c.digest }))
    if (gasCoins.length === 0) throw new Error(`admin ${sender} has no gas coin with at least 1 SUI`)
    const dataOf = (i: number): Uint8Array =>
      opts.data === undefined ? new Uint8Array() : typeof opts.data === "function" ? opts.data(i) : opts.data
    const results: bigint[][] = new Array(batches.length)
    let next = 0
    let done = 0
    const budget = 50_000_000n + 20_000_000n * BigInt(perTx)
    const signer = fastSigner(manifest.keys.admin)
    const interval = opts.intervalMs === undefined ? null : BigInt(opts.intervalMs)
    const worker = async (gas: GasRef): Promise<void> => {
      while (next < batches.length) {
        const b = next++
        const bytes = createJobsTransaction({
          sender,
          packageId: manifest.packageId,
          appInstance: appRef,
          gas,
          price: BigInt(referenceGasPrice),
          budget,
          jobs: batches[b]!.map((i) => ({ method: opts.method, data: dataOf(i), intervalMs: interval, nextScheduledAt: interval === null ? null : BigInt(Date.now()) }))
        })
        const signature = signer(bytes)
        // only the status, the gas coin and the events' BCS: what is read below
        const r = await executeForSettlement(client, { bytes, signature })
        const t = r.$kind === "Transaction" ? r.Transaction : r.FailedTransaction
        const g = t.effects?.gasObject
        if (g?.outputVersion && g.outputDigest) {
          gas.version = g.outputVersion
          gas.digest = g.outputDigest
        }
        if (r.$kind !== "Transaction") throw new Error(`create_app_job failed: ${r.FailedTransaction.status.error?.message ?? "unknown error"}`)
        const seqs = (t.events ?? [])
          .filter((e) => e.eventType.endsWith("::jobs::JobCreatedEvent"))
          .map((e) => BigInt(JobCreatedEvent.parse(e.bcs).job_sequence))
        if (seqs.length !== batches[b]!.length) {
          throw new Error(`expected ${batches[b]!.length} JobCreatedEvent, got ${seqs.length} (is method "${opts.method}" mapped in the app instance?)`)
        }
        results[b] = seqs
        done += seqs.length
        opts.onProgress?.(done)
      }
    }
    await Promise.all(gasCoins.map(worker))
    return { jobSequences: results.flat() }
  } finally {
    close()
  }
}
