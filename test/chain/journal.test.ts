/** The Journal on a real SQLite file: durability across reopen, idempotent enqueue, group commits. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { AppInstanceId } from "../../src/domain/ids.js"
import { Journal, makeJournal } from "../../src/layers/Journal.js"

/** A temp dir for the test's scope, removed when it closes. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "journal-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** `f` against a journal opened on `file` and closed afterwards (as a restart would). */
const onFile = <A, E>(file: string, f: Effect.Effect<A, E, Journal>) =>
  Effect.scoped(Effect.flatMap(makeJournal(file), (j) => Effect.provideService(f, Journal, j)))

const APP = AppInstanceId.make("a".repeat(64))

describe("Journal", () => {
  it.scoped("keeps cursor, app instances, outbox, started jobs and sessions across a reopen", () =>
    Effect.gen(function* () {
      const file = join(yield* tempDir, "j.sqlite")
      yield* onFile(
        file,
        Effect.gen(function* () {
          const j = yield* Journal
          yield* j.setCursor({ checkpoint: 41n, tx: 2, event: 3, token: new Uint8Array([1, 2, 3]) })
          yield* j.trackAppInstance(APP)
          const [start] = yield* j.enqueue([{ kind: "start", appInstance: APP, jobSequence: 7n }])
          yield* j.markInflight({ digest: "D1", bytes: new Uint8Array([9]), signature: "sig", gasCoin: "0xc", opIds: [start!.id] })
          yield* j.finish("D1", [{ id: start!.id, state: "done" }])
          yield* j.enqueue([{ kind: "fail", appInstance: APP, jobSequence: 7n, error: "boom", session: "s1" }])
          yield* j.holdJob(APP, 7n, "s1")
          yield* j.putSession({ sessionId: "s1", developer: "d", agent: "a", agentMethod: "m", containerId: "c1", startedAt: 5 })
        })
      )
      const r = yield* onFile(
        file,
        Effect.gen(function* () {
          const j = yield* Journal
          return {
            cursor: yield* j.getCursor,
            apps: yield* j.appInstances,
            open: yield* j.openOps,
            started: yield* j.startedJobs,
            sessions: yield* j.sessions,
            inflight: yield* j.inflightTxs
          }
        })
      )
      expect(Option.getOrThrow(r.cursor)).toEqual({ checkpoint: 41n, tx: 2, event: 3, token: new Uint8Array([1, 2, 3]) })
      expect(r.apps).toEqual([APP])
      expect(r.open).toHaveLength(1)
      expect(r.open[0]).toMatchObject({ kind: "fail", jobSequence: 7n, error: "boom", session: "s1", state: "queued" })
      expect(r.started).toEqual([expect.objectContaining({ appInstance: APP, jobSequence: 7n, session: "s1" })])
      expect(r.sessions).toEqual([{ sessionId: "s1", developer: "d", agent: "a", agentMethod: "m", containerId: "c1", startedAt: 5 }])
      expect(r.inflight).toHaveLength(0)
    })
  )

  it.scoped("enqueues an unfinished op once, group-commits concurrent writes, and requeues a tx that did not execute", () =>
    Effect.gen(function* () {
      const r = yield* onFile(
        join(yield* tempDir, "j.sqlite"),
        Effect.gen(function* () {
          const j = yield* Journal
          const c0 = yield* j.commits
          const ops = yield* Effect.forEach(
            Array.from({ length: 200 }, (_, i) => BigInt(i)),
            (s) => j.enqueue([{ kind: "complete", appInstance: APP, jobSequence: s }]),
            { concurrency: "unbounded" }
          )
          const commits = (yield* j.commits) - c0
          const again = yield* j.enqueue([{ kind: "complete", appInstance: APP, jobSequence: 5n }])
          const ids = ops.map((o) => o[0]!.id)
          yield* j.markInflight({ digest: "T", bytes: new Uint8Array([1]), signature: "s", gasCoin: "0xc", opIds: ids.slice(0, 10) })
          const inflight = yield* j.inflightTxs
          yield* j.requeue("T")
          const open = yield* j.openOps
          return { ops, commits, again, ids, inflight, open }
        })
      )
      expect(new Set(r.ids).size).toBe(200)
      expect(r.commits).toBeLessThan(20)
      expect(r.again[0]!.id).toBe(r.ops[5]![0]!.id)
      expect(r.inflight[0]!.opIds).toEqual(r.ids.slice(0, 10))
      expect(r.open).toHaveLength(200)
      expect(r.open.every((o) => o.state === "queued" && o.txDigest === null)).toBe(true)
    })
  )

  it.scoped("reads app instance ids back through the AppInstanceId schema: any written form comes out as 64 hex, a non-hex row fails the read", () =>
    Effect.gen(function* () {
      const file = join(yield* tempDir, "j.sqlite")
      yield* onFile(file, Effect.flatMap(Journal, (j) => j.trackAppInstance(APP)))
      const raw = new DatabaseSync(file)
      raw.prepare("INSERT INTO app_instances (id, added_at) VALUES (?, 1)").run(`0x${"B".repeat(63)}`)
      raw.prepare("INSERT INTO started_jobs (app_instance, job_sequence, session, started_at) VALUES (?, '3', NULL, 1)").run(`0X${"c".repeat(64)}`)
      raw.close()
      const read = yield* onFile(file, Effect.flatMap(Journal, (j) => Effect.all([j.appInstances, j.startedJobs])))
      expect(read[0]).toEqual([APP, `0${"b".repeat(63)}`])
      expect(read[1].map((s) => s.appInstance)).toEqual(["c".repeat(64)])
      const bad = new DatabaseSync(file)
      bad.prepare("INSERT INTO app_instances (id, added_at) VALUES ('not-an-id', 2)").run()
      bad.close()
      const failed = yield* onFile(file, Effect.flip(Effect.flatMap(Journal, (j) => j.appInstances)))
      expect(failed).toMatchObject({ _tag: "JournalError", op: "appInstances" })
    })
  )
})
