/**
 * The agent sessions the status page shows: live ones (bounded, so that sessions seen only
 * through the API cannot pile up) and the last ended ones, each with its recent AgentMessage lines
 * and the tail of its output. Text leaves here scrubbed of private keys and the session's own id.
 */
import { Effect } from "effect"
import type { SessionId, Triple } from "../../domain/ids.js"
import type { AgentView, LogLine } from "../../domain/statusView.js"
import type { AgentHandle, AgentRuntimeKind } from "../AgentRuntime.js"
import { scrub, shortId } from "./redact.js"
import { Recent } from "./series.js"

const MESSAGES_KEPT = 20
const OUTPUT_LINES = 20
const MAX_AGENTS = 1000
const ENDED_KEPT = 20

interface AgentRecord {
  readonly sessionId: string
  developer: string
  agent: string
  agentMethod: string
  runtime: AgentRuntimeKind | null
  name: string | null
  startedAt: number
  endedAt: number | null
  exit: AgentView["exit"]
  jobsTaken: number
  messages: Array<LogLine>
  handle: AgentHandle | null
  finalOutput: ReadonlyArray<string> | null
}

/** How an agent ended, as the runtime reported it. */
export interface AgentEnded {
  readonly sessionId: string
  readonly triple: Triple
  readonly exit: { readonly reason: string; readonly exitCode: number | null; readonly message: string }
}

const tailLines = (text: string, n: number) => text.split("\n").filter((l) => l.trim() !== "").slice(-n)

const setTriple = (r: AgentRecord, triple: Triple) => {
  r.developer = triple.developer
  r.agent = triple.agent
  r.agentMethod = triple.agentMethod
}

/** The agents' records; every method is synchronous bookkeeping but for reading live output. */
export class AgentBook {
  private readonly live = new Map<string, AgentRecord>()
  private readonly ended = new Recent<AgentRecord>(ENDED_KEPT)
  constructor(private readonly now: () => number) {}

  /** The record of a session, created on first sight (a session may be seen first through the API). */
  private recordOf(sessionId: string): AgentRecord {
    let r = this.live.get(sessionId)
    if (r === undefined) {
      r = {
        sessionId, developer: "", agent: "", agentMethod: "", runtime: null, name: null,
        startedAt: this.now(), endedAt: null, exit: null, jobsTaken: 0, messages: [], handle: null, finalOutput: null
      }
      this.live.set(sessionId, r)
      if (this.live.size > MAX_AGENTS) this.live.delete(this.live.keys().next().value!)
    }
    return r
  }

  private outputOf(r: AgentRecord): Effect.Effect<ReadonlyArray<string>> {
    return r.finalOutput !== null || r.handle === null
      ? Effect.succeed(r.finalOutput ?? [])
      : Effect.map(r.handle.logs, (t) => tailLines(scrub(`${t.stdout}\n${t.stderr}`, [r.sessionId]), OUTPUT_LINES))
  }

  private viewOf(r: AgentRecord): Effect.Effect<AgentView> {
    return Effect.map(this.outputOf(r), (output) => ({
      session: shortId(r.sessionId),
      developer: r.developer,
      agent: r.agent,
      agentMethod: r.agentMethod,
      runtime: r.runtime,
      name: r.name,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      exit: r.exit,
      jobsTaken: r.jobsTaken,
      messages: [...r.messages],
      output
    }))
  }

  /** An agent the dispatcher started; its view as of now. */
  started(session: { readonly id: SessionId; readonly triple: Triple }, handle: AgentHandle, runtime: AgentRuntimeKind): Effect.Effect<AgentView> {
    return Effect.suspend(() => {
      const r = this.recordOf(session.id)
      setTriple(r, session.triple)
      r.runtime = runtime
      r.name = handle.name
      r.handle = handle
      return this.viewOf(r)
    })
  }

  /** An agent that ended: its last output is kept, it moves to the ended list; its final view. */
  endedWith(e: AgentEnded): Effect.Effect<AgentView> {
    return Effect.suspend(() => {
      const r = this.recordOf(e.sessionId)
      setTriple(r, e.triple)
      r.endedAt = this.now()
      r.exit = { reason: e.exit.reason, exitCode: e.exit.exitCode, message: scrub(e.exit.message, [r.sessionId]) }
      return Effect.flatMap(this.outputOf(r), (output) => {
        r.finalOutput = output
        r.handle = null
        this.live.delete(e.sessionId)
        this.ended.push(r)
        return this.viewOf(r)
      })
    })
  }

  /** An AgentMessage line; only the last few are kept. */
  message(sessionId: string, level: string, message: string): void {
    const r = this.recordOf(sessionId)
    r.messages.push({ at: this.now(), level, message: scrub(message, [sessionId]) })
    if (r.messages.length > MESSAGES_KEPT) r.messages.splice(0, r.messages.length - MESSAGES_KEPT)
  }

  /** A job was handed to the session. */
  tookJob(sessionId: string): void {
    this.recordOf(sessionId).jobsTaken += 1
  }

  readonly views: Effect.Effect<{ readonly live: ReadonlyArray<AgentView>; readonly ended: ReadonlyArray<AgentView> }> = Effect.suspend(() =>
    Effect.all({
      live: Effect.forEach([...this.live.values()], (r) => this.viewOf(r)),
      ended: Effect.forEach(this.ended.list(), (r) => this.viewOf(r))
    })
  )
}
