/**
 * AgentClient — the typed client agent authors use to talk to their coordinator: take a job,
 * report it completed / failed / terminated, and send log lines. Promise-based, because agents
 * are ordinary programs; built on nice-grpc and the generated service definition.
 *
 * ```ts
 * const client = AgentClient.fromEnv()
 * await client.log("info", "starting")
 * for (let job = await client.getJob(); job; job = await client.getJob()) {
 *   await client.completeJob(job.jobId)
 * }
 * client.close()
 * ```
 */
import { type Channel, createChannel, createClientFactory } from "nice-grpc"
import {
  type CoordinatorServiceClient,
  CoordinatorServiceDefinition,
  type AppInstanceData,
  type Block,
  type BlockSettlement,
  type Job,
  LogLevel,
  type Metadata,
  ProofEventType,
  type SequenceState
} from "../gen/silvana/coordinator/v1/coordinator.js"
import { type AgentEnv, readAgentEnv } from "./env.js"
import { CoordinatorRefused, CoordinatorUnavailable } from "./errors.js"
import { sessionSigner, signingMiddleware } from "./signing.js"

export type { AppInstanceData, Block, BlockSettlement, Job, Metadata, SequenceState } from "../gen/silvana/coordinator/v1/coordinator.js"

/** A block's settlement on one chain, as UpdateBlockSettlement takes it. */
export interface SettlementUpdate {
  readonly settlementTxHash?: string
  readonly includedInBlock: boolean
  /** When the settlement transaction was included (default: now). */
  readonly settledAt?: bigint
}

/** A step of the proving pipeline an agent reports with `proofEvent`. */
export interface ProofEventReport {
  readonly type: "submitted" | "fetched" | "verified" | "unavailable" | "rejected"
  readonly blockNumber: bigint
  readonly dataAvailability?: string
  readonly blockProof?: boolean
  readonly sequences?: ReadonlyArray<bigint>
  readonly mergedSequences1?: ReadonlyArray<bigint>
  readonly mergedSequences2?: ReadonlyArray<bigint>
}

const proofEventTypes: Record<ProofEventReport["type"], ProofEventType> = {
  submitted: ProofEventType.PROOF_SUBMITTED,
  fetched: ProofEventType.PROOF_FETCHED,
  verified: ProofEventType.PROOF_VERIFIED,
  unavailable: ProofEventType.PROOF_UNAVAILABLE,
  rejected: ProofEventType.PROOF_REJECTED
}

/** A proof to submit: the sequences it covers and, for a merge, the two halves it merged. */
export interface ProofSubmission {
  readonly blockNumber: bigint
  readonly sequences: ReadonlyArray<bigint>
  readonly mergedSequences1?: ReadonlyArray<bigint>
  readonly mergedSequences2?: ReadonlyArray<bigint>
  readonly proof: string
  readonly cpuTimeMs?: bigint
}

/** A job to create on the app instance (`create_app_job`). */
export interface NewAppJob {
  readonly methodName: string
  readonly description?: string
  readonly blockNumber?: bigint
  readonly sequences?: ReadonlyArray<bigint>
  readonly sequences1?: ReadonlyArray<bigint>
  readonly sequences2?: ReadonlyArray<bigint>
  readonly data?: Uint8Array
  readonly intervalMs?: bigint
  readonly nextScheduledAt?: bigint
  readonly settlementChain?: string
}

/** Log levels an agent may use with `log`. */
export type AgentLogLevel = "debug" | "info" | "warn" | "error" | "fatal"

const levels: Record<AgentLogLevel, LogLevel> = {
  debug: LogLevel.LOG_LEVEL_DEBUG,
  info: LogLevel.LOG_LEVEL_INFO,
  warn: LogLevel.LOG_LEVEL_WARN,
  error: LogLevel.LOG_LEVEL_ERROR,
  fatal: LogLevel.LOG_LEVEL_FATAL
}

export interface AgentClientOptions {
  /** Per-call deadline in milliseconds (default 30 s). */
  readonly callTimeoutMs?: number
  /**
   * Sign every call with `SESSION_PRIVATE_KEY` (default: whenever the key is set), as
   * `SESSION_CALL_PROOF` says. A coordinator with `SESSION_AUTH=strict` refuses unsigned calls; the
   * default mode checks signatures when present.
   */
  readonly sign?: boolean
}

export class AgentClient {
  private readonly channel: Channel
  private readonly client: CoordinatorServiceClient
  private readonly callTimeoutMs: number

  constructor(
    /** The identity and coordinator address this client uses. */
    readonly env: AgentEnv,
    options: AgentClientOptions = {}
  ) {
    this.channel = createChannel(env.address)
    const key = options.sign === false ? undefined : env.sessionPrivateKey
    const factory = key === undefined ? createClientFactory() : createClientFactory().use(signingMiddleware(sessionSigner(key, env.callProof)))
    this.client = factory.create(CoordinatorServiceDefinition, this.channel)
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000
  }

  /**
   * A client from the container environment (`SESSION_ID`, `DEVELOPER`, `AGENT`, `AGENT_METHOD`,
   * `COORDINATOR_SOCKET` or `COORDINATOR_URL`, …). Throws `AgentEnvError` naming a missing variable
   * (or a `SESSION_PRIVATE_KEY` that is not a session key).
   */
  static fromEnv(env: Readonly<Record<string, string | undefined>> = process.env, options: AgentClientOptions = {}): AgentClient {
    return new AgentClient(readAgentEnv(env), options)
  }

  private async call<R extends { success: boolean; message: string }>(rpc: string, f: (signal: AbortSignal) => Promise<R>): Promise<R> {
    let response: R
    try {
      response = await f(AbortSignal.timeout(this.callTimeoutMs))
    } catch (e) {
      throw new CoordinatorUnavailable(rpc, e)
    }
    if (!response.success) throw new CoordinatorRefused(rpc, response.message)
    return response
  }

  /** The next job for this session's triple, or `undefined` when there is none (the agent should then exit). */
  async getJob(): Promise<Job | undefined> {
    const { developer, agent, agentMethod, sessionId } = this.env
    const r = await this.call("GetJob", (signal) =>
      this.client.getJob({ developer, agent, agentMethod, sessionId }, { signal })
    )
    return r.job
  }

  /** Reports a job this session holds as completed. */
  async completeJob(jobId: string): Promise<void> {
    await this.call("CompleteJob", (signal) => this.client.completeJob({ jobId, sessionId: this.env.sessionId }, { signal }))
  }

  /** Reports a job as failed; the message goes on chain, where the job may be retried. */
  async failJob(jobId: string, message: string): Promise<void> {
    await this.call("FailJob", (signal) =>
      this.client.failJob({ jobId, errorMessage: message, sessionId: this.env.sessionId }, { signal })
    )
  }

  /** Terminates a job (no retry). */
  async terminateJob(jobId: string): Promise<void> {
    await this.call("TerminateJob", (signal) => this.client.terminateJob({ jobId, sessionId: this.env.sessionId }, { signal }))
  }

  /** Sends a log line to the coordinator, optionally about a job. Works before the first job. */
  async log(level: AgentLogLevel, message: string, jobId?: string): Promise<void> {
    await this.call("AgentMessage", (signal) =>
      this.client.agentMessage(
        { sessionId: this.env.sessionId, level: levels[level], message, ...(jobId === undefined ? {} : { jobId }) },
        { signal }
      )
    )
  }

  private async lookup<R extends { success: boolean; message: string }>(rpc: string, f: (signal: AbortSignal) => Promise<R>): Promise<R> {
    try {
      return await f(AbortSignal.timeout(this.callTimeoutMs))
    } catch (e) {
      throw new CoordinatorUnavailable(rpc, e)
    }
  }

  private ids(jobId: string) {
    return { jobId, sessionId: this.env.sessionId }
  }

  /** Sets a key of the app instance's key-value map on chain; resolves with the transaction digest. */
  async setKV(jobId: string, key: string, value: string): Promise<string> {
    return (await this.call("SetKV", (signal) => this.client.setKV({ ...this.ids(jobId), key, value }, { signal }))).txHash
  }

  /** A key of the app instance's key-value map, or `undefined` when it is not set. */
  async getKV(jobId: string, key: string): Promise<string | undefined> {
    return (await this.lookup("GetKV", (signal) => this.client.getKV({ ...this.ids(jobId), key }, { signal }))).value
  }

  /** Deletes a key (a missing key is not an error); resolves with the transaction digest. */
  async deleteKV(jobId: string, key: string): Promise<string> {
    return (await this.call("DeleteKV", (signal) => this.client.deleteKV({ ...this.ids(jobId), key }, { signal }))).txHash
  }

  /** Adds a metadata entry (write-once: an existing key is refused). */
  async addMetadata(jobId: string, key: string, value: string): Promise<string> {
    return (await this.call("AddMetadata", (signal) => this.client.addMetadata({ ...this.ids(jobId), key, value }, { signal }))).txHash
  }

  /** The instance's metadata: with a key, that entry's value in `value` (`undefined` when missing). */
  async getMetadata(jobId: string, key?: string): Promise<Metadata | undefined> {
    const r = await this.lookup("GetMetadata", (signal) =>
      this.client.getMetadata({ ...this.ids(jobId), ...(key === undefined ? {} : { key }) }, { signal })
    )
    return r.success ? r.metadata : undefined
  }

  /** Stores a proof and queues its `submit_proof`; resolves with the proof's data-availability descriptor. */
  async submitProof(jobId: string, p: ProofSubmission): Promise<{ daHash: string; txHash: string }> {
    const r = await this.call("SubmitProof", (signal) =>
      this.client.submitProof(
        {
          ...this.ids(jobId), blockNumber: p.blockNumber, sequences: [...p.sequences],
          mergedSequences1: [...(p.mergedSequences1 ?? [])], mergedSequences2: [...(p.mergedSequences2 ?? [])],
          proof: p.proof, cpuTime: p.cpuTimeMs ?? 0n
        },
        { signal }
      )
    )
    return { daHash: r.daHash, txHash: r.txHash }
  }

  /** The proof of `sequences` of a block, or `undefined` when there is none. */
  async getProof(jobId: string, blockNumber: bigint, sequences: ReadonlyArray<bigint>): Promise<string | undefined> {
    const r = await this.lookup("GetProof", (signal) => this.client.getProof({ ...this.ids(jobId), blockNumber, sequences: [...sequences] }, { signal }))
    return r.success ? r.proof : undefined
  }

  /** The proof of a whole block, or `undefined` while the block is not proved. */
  async getBlockProof(jobId: string, blockNumber: bigint): Promise<string | undefined> {
    const r = await this.lookup("GetBlockProof", (signal) => this.client.getBlockProof({ ...this.ids(jobId), blockNumber }, { signal }))
    return r.success ? r.blockProof : undefined
  }

  /** Rejects a proof (its merged halves become available again); resolves with the transaction digest. */
  async rejectProof(jobId: string, blockNumber: bigint, sequences: ReadonlyArray<bigint>): Promise<string> {
    return (await this.call("RejectProof", (signal) => this.client.rejectProof({ ...this.ids(jobId), blockNumber, sequences: [...sequences] }, { signal }))).txHash
  }

  /** The data stored under a descriptor, or `undefined`. */
  async readDataAvailability(daHash: string): Promise<string | undefined> {
    const r = await this.lookup("ReadDataAvailability", (signal) => this.client.readDataAvailability({ daHash, sessionId: this.env.sessionId }, { signal }))
    return r.success ? r.data : undefined
  }

  /** The job's app instance as the chain has it now (kv, metadata, methods, counters, settlements). */
  async getAppInstance(jobId: string): Promise<AppInstanceData> {
    const r = await this.call("GetAppInstance", (signal) => this.client.getAppInstance(this.ids(jobId), { signal }))
    if (r.appInstance === undefined) throw new CoordinatorRefused("GetAppInstance", "no app instance in the answer")
    return r.appInstance
  }

  /**
   * A secret of the job's scope, or `undefined` when none is stored. Looked up for the job's
   * app instance, then its app, then the developer/agent level; names beginning `sk_` at the
   * developer/agent level only.
   */
  async retrieveSecret(jobId: string, name: string): Promise<string | undefined> {
    const r = await this.lookup("RetrieveSecret", (signal) => this.client.retrieveSecret({ ...this.ids(jobId), name }, { signal }))
    return r.success ? r.secretValue : undefined
  }

  /** Reports a step of the proving pipeline (telemetry: logged and counted by the coordinator). */
  async proofEvent(jobId: string, e: ProofEventReport): Promise<void> {
    await this.call("ProofEvent", (signal) =>
      this.client.proofEvent(
        {
          ...this.ids(jobId), proofEventType: proofEventTypes[e.type], blockNumber: e.blockNumber, dataAvailability: e.dataAvailability ?? "",
          sequences: [...(e.sequences ?? [])], mergedSequences1: [...(e.mergedSequences1 ?? [])], mergedSequences2: [...(e.mergedSequences2 ?? [])],
          ...(e.blockProof === undefined ? {} : { blockProof: e.blockProof })
        },
        { signal }
      )
    )
  }

  /** Creates a job of the app instance's method `methodName`; resolves with its job sequence. */
  async createAppJob(jobId: string, j: NewAppJob): Promise<{ jobSequence: bigint; txHash: string }> {
    const r = await this.call("CreateAppJob", (signal) =>
      this.client.createAppJob(
        {
          ...this.ids(jobId), methodName: j.methodName, sequences: [...(j.sequences ?? [])], sequences1: [...(j.sequences1 ?? [])],
          sequences2: [...(j.sequences2 ?? [])], data: Buffer.from(j.data ?? new Uint8Array()),
          ...(j.description === undefined ? {} : { jobDescription: j.description }),
          ...(j.blockNumber === undefined ? {} : { blockNumber: j.blockNumber }),
          ...(j.intervalMs === undefined ? {} : { intervalMs: j.intervalMs }),
          ...(j.nextScheduledAt === undefined ? {} : { nextScheduledAt: j.nextScheduledAt }),
          ...(j.settlementChain === undefined ? {} : { settlementChain: j.settlementChain })
        },
        { signal }
      )
    )
    return { jobSequence: r.jobSequence, txHash: r.txHash }
  }

  /**
   * The states a prover of `sequence` needs: that sequence's alone when it has data availability,
   * else every state from the last earlier one with data availability (or the lowest kept) up to it.
   */
  async getSequenceStates(jobId: string, sequence: bigint): Promise<SequenceState[]> {
    return (await this.call("GetSequenceStates", (signal) => this.client.getSequenceStates({ ...this.ids(jobId), sequence }, { signal }))).states
  }

  /**
   * Records the state after `sequence`: `newStateData` on chain (at most 8 KiB), `serializedState`
   * in the data-availability store (its descriptor goes on chain); `update_state_for_sequence` is queued.
   */
  async submitState(jobId: string, sequence: bigint, st: { readonly newStateData?: Uint8Array; readonly serializedState?: string }): Promise<{ daHash: string | undefined }> {
    const r = await this.call("SubmitState", (signal) =>
      this.client.submitState(
        {
          ...this.ids(jobId), sequence,
          ...(st.newStateData === undefined ? {} : { newStateData: Buffer.from(st.newStateData) }),
          ...(st.serializedState === undefined ? {} : { serializedState: st.serializedState })
        },
        { signal }
      )
    )
    return { daHash: r.daHash }
  }

  /** Closes the current block when it may be; `blockNumber` is the block created, `undefined` when none was (the message says why). */
  async tryCreateBlock(jobId: string): Promise<{ blockNumber: bigint | undefined; txHash: string; message: string }> {
    const r = await this.call("TryCreateBlock", (signal) => this.client.tryCreateBlock(this.ids(jobId), { signal }))
    return { blockNumber: r.blockNumber, txHash: r.txHash, message: r.message }
  }

  /** A block of the app instance, or `undefined` when the chain has none (not created yet, or removed once settled everywhere). */
  async getBlock(jobId: string, blockNumber: bigint): Promise<Block | undefined> {
    const r = await this.lookup("GetBlock", (signal) => this.client.getBlock({ ...this.ids(jobId), blockNumber }, { signal }))
    return r.success ? r.block : undefined
  }

  /** Stores the block's state and writes its descriptor on chain; resolves with the transaction digest. */
  async updateBlockStateDataAvailability(jobId: string, blockNumber: bigint, state: string): Promise<string> {
    return (await this.call("UpdateBlockStateDataAvailability", (signal) =>
      this.client.updateBlockStateDataAvailability({ ...this.ids(jobId), blockNumber, stateDataAvailability: state }, { signal }))).txHash
  }

  /** Stores the block's proof and writes its descriptor on chain; resolves with the transaction digest. */
  async updateBlockProofDataAvailability(jobId: string, blockNumber: bigint, proof: string): Promise<string> {
    return (await this.call("UpdateBlockProofDataAvailability", (signal) =>
      this.client.updateBlockProofDataAvailability({ ...this.ids(jobId), blockNumber, proofDataAvailability: proof }, { signal }))).txHash
  }

  /** Records the settlement transaction of a block on `chain` (the block must have state and proof DA). */
  async updateBlockSettlementTxHash(jobId: string, blockNumber: bigint, chain: string, settlementTxHash: string): Promise<string> {
    return (await this.call("UpdateBlockSettlementTxHash", (signal) =>
      this.client.updateBlockSettlementTxHash({ ...this.ids(jobId), blockNumber, chain, settlementTxHash }, { signal }))).txHash
  }

  /** Records that the block's settlement on `chain` was included; blocks settle in order. */
  async updateBlockSettlementTxIncludedInBlock(jobId: string, blockNumber: bigint, chain: string, settledAt: bigint): Promise<string> {
    return (await this.call("UpdateBlockSettlementTxIncludedInBlock", (signal) =>
      this.client.updateBlockSettlementTxIncludedInBlock({ ...this.ids(jobId), blockNumber, chain, settledAt }, { signal }))).txHash
  }

  /** The settlement record of a block on `chain`, or `undefined` when there is none. */
  async getBlockSettlement(jobId: string, blockNumber: bigint, chain: string): Promise<BlockSettlement | undefined> {
    const r = await this.lookup("GetBlockSettlement", (signal) => this.client.getBlockSettlement({ ...this.ids(jobId), blockNumber, chain }, { signal }))
    return r.success ? r.blockSettlement : undefined
  }

  /** Tx hash and / or inclusion in one call; resolves with the last transaction's digest. */
  async updateBlockSettlement(jobId: string, blockNumber: bigint, chain: string, u: SettlementUpdate): Promise<string> {
    return (await this.call("UpdateBlockSettlement", (signal) =>
      this.client.updateBlockSettlement(
        {
          ...this.ids(jobId), blockNumber, chain, settlementTxIncludedInBlock: u.includedInBlock,
          ...(u.settlementTxHash === undefined ? {} : { settlementTxHash: u.settlementTxHash }),
          ...(u.settledAt === undefined ? {} : { settledAt: u.settledAt })
        },
        { signal }
      ))).txHash
  }

  /** Stores the proof a settlement on `chain` needs for a block. */
  async submitSettlementProof(jobId: string, blockNumber: bigint, chain: string, proof: string, cpuTimeMs = 0n): Promise<void> {
    await this.call("SubmitSettlementProof", (signal) =>
      this.client.submitSettlementProof({ ...this.ids(jobId), blockNumber, chain, proof, cpuTime: cpuTimeMs }, { signal }))
  }

  /** The settlement proof of a block for `chain`, or `undefined`. */
  async getSettlementProof(jobId: string, blockNumber: bigint, chain: string): Promise<string | undefined> {
    const r = await this.lookup("GetSettlementProof", (signal) => this.client.getSettlementProof({ ...this.ids(jobId), blockNumber, settlementChain: chain }, { signal }))
    return r.success ? r.proof : undefined
  }

  /** Closes the connection. */
  close(): void {
    this.channel.close()
  }
}
