/**
 * The process runtime's pid records, `<STATE_DIR>/agents/<pid>.json` (pid, start time, owner): a
 * coordinator restarted after a crash finds what the crash left behind by them. The start time
 * (field 22 of /proc/<pid>/stat) tells an agent from a later process that reused its pid.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import type { AgentInfo, AgentOwner } from "../AgentRuntime.js"

export interface PidRecord {
  readonly pid: number
  /** Field 22 of /proc/<pid>/stat: tells the agent from a later process that reused the pid. */
  readonly startTime: string | null
  readonly name: string
  readonly image: string
  readonly owner: AgentOwner
}

export const procStartTime = (pid: number): string | null => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces and parentheses: split after its closing paren.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null
  } catch {
    return null
  }
}

/** Field 3 of /proc/<pid>/stat; `Z` is a zombie: dead, only waiting for its parent to reap it. */
const procState = (pid: number): string | null => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? null
  } catch {
    return null
  }
}

const alive = (r: Pick<PidRecord, "pid" | "startTime">): boolean => {
  try {
    process.kill(r.pid, 0)
  } catch {
    return false
  }
  if (procState(r.pid) === "Z") return false
  return r.startTime === null || procStartTime(r.pid) === r.startTime
}

const signalable = (target: number): boolean => {
  try {
    process.kill(target, 0)
    return true
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}
const pidExists = (pid: number) => signalable(pid)
const groupExists = (pgid: number) => signalable(-pgid)

/** SIGnals an agent's whole process group (it runs detached, as the group's leader). */
export const killGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}

/** The records directory of one state dir. */
export class PidRecords {
  constructor(readonly dir: string) {}

  static make = (stateDir: string) =>
    Effect.sync(() => {
      const dir = path.resolve(stateDir, "agents")
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      return new PidRecords(dir)
    })

  pathOf(pid: number): string {
    return path.join(this.dir, `${pid}.json`)
  }

  write(record: PidRecord): void {
    fs.writeFileSync(this.pathOf(record.pid), JSON.stringify(record), { mode: 0o600 })
  }

  remove(pid: number): void {
    fs.rmSync(this.pathOf(pid), { force: true })
  }

  readonly read: Effect.Effect<ReadonlyArray<PidRecord>> = Effect.sync(() =>
    fs.readdirSync(this.dir).flatMap((f): Array<PidRecord> => {
      if (!f.endsWith(".json")) return []
      try {
        return [JSON.parse(fs.readFileSync(path.join(this.dir, f), "utf8")) as PidRecord]
      } catch {
        return []
      }
    })
  )

  /** This coordinator's agents, by their records. */
  list(coordinatorId: string): Effect.Effect<ReadonlyArray<AgentInfo>> {
    return this.read.pipe(
      Effect.map((rs) =>
        rs
          .filter((r) => r.owner.coordinatorId === coordinatorId)
          .map((r): AgentInfo => ({ id: `pid:${r.pid}`, name: r.name, owner: r.owner, running: alive(r) }))
      ),
      Effect.withSpan("AgentRuntime.list")
    )
  }

  /** Kills and forgets this coordinator's agents whose session is not live. */
  sweep(coordinatorId: string, liveSessionIds: Iterable<string>): Effect.Effect<ReadonlyArray<AgentInfo>> {
    const self = this
    return Effect.gen(function* () {
      const keep = new Set(liveSessionIds)
      const records = (yield* self.read).filter((r) => r.owner.coordinatorId === coordinatorId && !keep.has(r.owner.sessionId))
      const swept: Array<AgentInfo> = []
      for (const r of records) {
        const running = alive(r)
        // Kill the group when its leader is ours (running, or a zombie nobody reaped yet), or
        // when the leader is gone but members remain (the kernel does not hand out a pid that
        // is still a live group's id, so the group is ours). A process with that pid and
        // another start time is not ours: leave it alone.
        const leaderIsOurs = r.startTime !== null && procStartTime(r.pid) === r.startTime
        if (running || leaderIsOurs || (!pidExists(r.pid) && groupExists(r.pid))) killGroup(r.pid, "SIGKILL")
        self.remove(r.pid)
        swept.push({ id: `pid:${r.pid}`, name: r.name, owner: r.owner, running })
      }
      if (swept.length > 0) yield* Effect.logWarning(`swept ${swept.length} orphan agent process(es)`)
      return swept
    }).pipe(Effect.withSpan("AgentRuntime.sweep"))
  }
}
