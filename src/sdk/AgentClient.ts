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
import { type Channel, createChannel, createClient } from "nice-grpc"
import {
  type CoordinatorServiceClient,
  CoordinatorServiceDefinition,
  type Job,
  LogLevel
} from "../gen/silvana/coordinator/v1/coordinator.js"
import { type AgentEnv, readAgentEnv } from "./env.js"
import { CoordinatorRefused, CoordinatorUnavailable } from "./errors.js"

export type { Job } from "../gen/silvana/coordinator/v1/coordinator.js"

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
    this.client = createClient(CoordinatorServiceDefinition, this.channel)
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000
  }

  /**
   * A client from the container environment (`SESSION_ID`, `DEVELOPER`, `AGENT`, `AGENT_METHOD`,
   * `COORDINATOR_SOCKET` or `COORDINATOR_URL`, …). Throws `AgentEnvError` naming a missing variable.
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

  /** Closes the connection. */
  close(): void {
    this.channel.close()
  }
}
