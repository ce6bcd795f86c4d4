/**
 * A small, real gRPC server for the runtime tests: GetJob / CompleteJob / FailJob / TerminateJob /
 * AgentMessage over a real Unix socket and real TCP, with a job list per session. It keeps the
 * runtime tests independent of the coordinator's job store while still exercising the wire.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Option } from "effect"
import { createServer, type Server } from "nice-grpc"
import {
  CoordinatorServiceDefinition,
  type CoordinatorServiceImplementation,
  type Job
} from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { bridgeGateway } from "../../src/layers/runtime/docker.js"

export interface FakeSession {
  readonly sessionId: string
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
}

export interface FakeCoordinator {
  readonly socketPath: string
  readonly tcpHost: string
  readonly tcpPort: number
  readonly dir: string
  /** Adds a session and the jobs (by data) it will be handed; returns the job ids. */
  addSession(session: FakeSession, jobData: ReadonlyArray<string>): Array<string>
  readonly completed: Map<string, string>
  readonly failed: Map<string, { sessionId: string; message: string }>
  readonly messages: Array<{ sessionId: string; jobId: string | undefined; message: string }>
  /** Resolves when the session made its first GetJob call; returns the time (ms, performance.now). */
  firstGetJob(sessionId: string): Promise<number>
  close(): Promise<void>
}

export const newSessionId = () => `0x${randomBytes(32).toString("hex")}`

/** The Docker bridge gateway (asked of the engine), which containers reach as host.docker.internal. */
export const dockerBridgeGateway = async (): Promise<string | undefined> =>
  Option.getOrUndefined(await Effect.runPromise(bridgeGateway()))

export const startFakeCoordinator = async (opts: { tcpHost?: string } = {}): Promise<FakeCoordinator> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "silvana-rt-"))
  const socketPath = path.join(dir, "coordinator.sock")
  const sessions = new Map<string, FakeSession>()
  const queues = new Map<string, Array<Job>>()
  const held = new Map<string, string>()
  const completed = new Map<string, string>()
  const failed = new Map<string, { sessionId: string; message: string }>()
  const messages: Array<{ sessionId: string; jobId: string | undefined; message: string }> = []
  const firstCalls = new Map<string, { at?: number; waiters: Array<(t: number) => void> }>()
  let seq = 0n

  const noteGetJob = (sessionId: string) => {
    const e = firstCalls.get(sessionId) ?? { waiters: [] }
    if (e.at === undefined) {
      e.at = performance.now()
      for (const w of e.waiters) w(e.at)
      e.waiters = []
    }
    firstCalls.set(sessionId, e)
  }

  const impl: Partial<CoordinatorServiceImplementation> = {
    async getJob(req) {
      noteGetJob(req.sessionId)
      const s = sessions.get(req.sessionId)
      if (s === undefined) return { success: false, message: "unknown session" }
      if (s.developer !== req.developer || s.agent !== req.agent || s.agentMethod !== req.agentMethod) {
        return { success: false, message: "not this session's triple" }
      }
      const job = queues.get(req.sessionId)?.shift()
      if (job === undefined) return { success: true, message: "no job" }
      held.set(job.jobId, req.sessionId)
      return { success: true, message: "", job }
    },
    async completeJob(req) {
      if (held.get(req.jobId) !== req.sessionId) return { success: false, message: "job not held by this session" }
      completed.set(req.jobId, req.sessionId)
      held.delete(req.jobId)
      return { success: true, message: "" }
    },
    async failJob(req) {
      if (held.get(req.jobId) !== req.sessionId) return { success: false, message: "job not held by this session" }
      failed.set(req.jobId, { sessionId: req.sessionId, message: req.errorMessage })
      held.delete(req.jobId)
      return { success: true, message: "" }
    },
    async terminateJob(req) {
      if (held.get(req.jobId) !== req.sessionId) return { success: false, message: "job not held by this session" }
      held.delete(req.jobId)
      return { success: true, message: "" }
    },
    async agentMessage(req) {
      messages.push({ sessionId: req.sessionId, jobId: req.jobId, message: req.message })
      return { success: sessions.has(req.sessionId), message: "" }
    }
  }
  const full = Object.fromEntries(
    Object.keys(CoordinatorServiceDefinition.methods).map((k) => [
      k,
      impl[k as keyof CoordinatorServiceImplementation] ??
        (async () => {
          throw new Error(`${k} not served by the test coordinator`)
        })
    ])
  ) as unknown as CoordinatorServiceImplementation

  const servers: Array<Server> = [createServer(), createServer()]
  for (const s of servers) s.add(CoordinatorServiceDefinition, full)
  await servers[0]!.listen(`unix://${socketPath}`)
  const tcpHost = opts.tcpHost ?? (await dockerBridgeGateway()) ?? "127.0.0.1"
  const tcpPort = await servers[1]!.listen(`${tcpHost}:0`)

  return {
    socketPath,
    tcpHost,
    tcpPort,
    dir,
    completed,
    failed,
    messages,
    addSession(session, jobData) {
      sessions.set(session.sessionId, session)
      const jobs = jobData.map((d): Job => {
        seq += 1n
        return {
          jobSequence: seq,
          developer: session.developer,
          agent: session.agent,
          agentMethod: session.agentMethod,
          app: "test-app",
          appInstance: "0x01",
          appInstanceMethod: "add",
          sequences: [],
          sequences1: [],
          sequences2: [],
          data: Buffer.from(d, "utf8"),
          jobId: `snTest${seq}x${randomBytes(4).toString("hex")}`,
          attempts: 0,
          createdAt: 0n,
          updatedAt: 0n
        }
      })
      queues.set(session.sessionId, jobs)
      return jobs.map((j) => j.jobId)
    },
    firstGetJob(sessionId) {
      const e = firstCalls.get(sessionId) ?? { waiters: [] }
      firstCalls.set(sessionId, e)
      if (e.at !== undefined) return Promise.resolve(e.at)
      return new Promise((resolve) => e.waiters.push(resolve))
    },
    async close() {
      await Promise.all(servers.map((s) => s.shutdown()))
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
