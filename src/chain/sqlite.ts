/**
 * A group-committing writer over Node's built-in SQLite (`node:sqlite`): writes queued in the same
 * turn of the event loop share one transaction and one fsync, and each caller hears back only
 * after that commit is on disk, so an acknowledged write survives a crash at any later point.
 *
 * node:sqlite is synchronous: with `synchronous = FULL` every COMMIT fsyncs the WAL on the event
 * loop's own thread, which stalled every other RPC for the length of a disk flush (a third of the
 * daemon's time under SubmitProof load). So a file database runs with `synchronous = NORMAL` — in
 * WAL mode that is the same commit minus its WAL fsync (SQLite still syncs the WAL before each
 * checkpoint) — and the WAL is fdatasynced here, on libuv's thread pool, before any caller of the
 * commit is answered. Commits made while a sync runs share the next one. A read on this
 * connection may see a commit whose sync is still running; anything done on the strength of a
 * write waits for that write's answer, which comes after a sync covering every earlier commit.
 *
 * A write may ask to be answered once committed rather than once synced (`"committed"`): for
 * records that can be rebuilt after a power loss (a settlement transaction's outcome, which the
 * chain keeps and recovery reads back), so their caller does not wait a disk flush. Such a commit
 * is in the operating system's hands at once (a killed process loses nothing) and on disk with the
 * next sync, which the next synced write, a close, or SQLite's own checkpoint makes.
 *
 * `prepare` on this connection hands back one cached statement per SQL text: compiling a statement
 * cost about three times running it, and the journal prepares the same few dozen texts per job.
 * Statements are only ever run to completion (`run`/`get`/`all`), so sharing one is safe.
 */
import { closeSync, fdatasync, fdatasyncSync, mkdirSync, openSync } from "node:fs"
import { dirname } from "node:path"
import { DatabaseSync, type StatementSync } from "node:sqlite"

/** When a write is answered: after a sync of the WAL that covers it, or as soon as it is committed. */
export type WriteDurability = "synced" | "committed"

interface PendingWrite {
  readonly run: (db: DatabaseSync) => unknown
  readonly durability: WriteDurability
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

/** Makes `db.prepare` return the statement it compiled before for the same SQL text. */
const cacheStatements = (db: DatabaseSync): void => {
  const prepare = db.prepare.bind(db)
  const cache = new Map<string, StatementSync>()
  db.prepare = (sql: string) => {
    let stmt = cache.get(sql)
    if (stmt === undefined) {
      stmt = prepare(sql)
      cache.set(sql, stmt)
    }
    return stmt
  }
}

/** One database connection with a commit queue. */
export class GroupCommitDb {
  readonly db: DatabaseSync
  private pending: PendingWrite[] = []
  private scheduled = false
  private closed = false
  /** Number of commits so far (for tests and metrics). */
  commits = 0
  /** The WAL file (`undefined` for an in-memory database); opened at the first sync. */
  private readonly walPath: string | undefined
  private walFd: number | undefined
  /** The sync under way, and the callers waiting for the one after it. */
  private syncing = false
  private afterSync: Array<() => void> = []
  private syncFailure: unknown = undefined

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true })
    this.db = new DatabaseSync(path)
    cacheStatements(this.db)
    this.walPath = path === ":memory:" ? undefined : `${path}-wal`
    if (path !== ":memory:") {
      this.db.exec("PRAGMA journal_mode = WAL")
      // NORMAL: the commit's WAL fsync is ours (`durable`), off the event loop's thread.
      this.db.exec("PRAGMA synchronous = NORMAL")
    }
    this.db.exec("PRAGMA busy_timeout = 5000")
    this.db.exec("PRAGMA foreign_keys = ON")
  }

  /**
   * Queues `run` into the next group commit; resolves with its result once that commit is synced to
   * disk, or — with `"committed"` — as soon as it is committed.
   */
  write<T>(run: (db: DatabaseSync) => T, durability: WriteDurability = "synced"): Promise<T> {
    if (this.closed) return Promise.reject(new Error("journal is closed"))
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, durability, resolve: resolve as (v: unknown) => void, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Runs `run` in its own transaction right now, durable on return (start-up, tests). */
  writeNow<T>(run: (db: DatabaseSync) => T): T {
    this.db.exec("BEGIN IMMEDIATE")
    let out: T
    try {
      out = run(this.db)
      this.db.exec("COMMIT")
      this.commits++
    } catch (e) {
      this.db.exec("ROLLBACK")
      throw e
    }
    const fd = this.wal()
    if (fd !== undefined) fdatasyncSync(fd)
    return out
  }

  private flush(): void {
    this.scheduled = false
    const batch = this.pending
    this.pending = []
    if (batch.length === 0) return
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = []
    try {
      this.db.exec("BEGIN IMMEDIATE")
      for (const w of batch) {
        // A savepoint per write: one failing write is rolled back alone, the others commit.
        this.db.exec("SAVEPOINT w")
        try {
          results.push({ ok: true, value: w.run(this.db) })
          this.db.exec("RELEASE w")
        } catch (error) {
          this.db.exec("ROLLBACK TO w")
          this.db.exec("RELEASE w")
          results.push({ ok: false, error })
        }
      }
      this.db.exec("COMMIT")
      this.commits++
    } catch (error) {
      try {
        this.db.exec("ROLLBACK")
      } catch {
        // no transaction open
      }
      for (const w of batch) w.reject(error)
      return
    }
    const answer = (w: PendingWrite, i: number) => {
      const r = results[i]!
      if (this.syncFailure !== undefined) w.reject(this.syncFailure)
      else if (r.ok) w.resolve(r.value)
      else w.reject(r.error)
    }
    batch.forEach((w, i) => {
      if (w.durability === "committed") answer(w, i)
    })
    if (batch.every((w) => w.durability === "committed")) return
    this.durable(() =>
      batch.forEach((w, i) => {
        if (w.durability === "synced") answer(w, i)
      })
    )
  }

  private wal(): number | undefined {
    if (this.walPath === undefined) return undefined
    // SQLite made the WAL when the database entered WAL mode and keeps it while connected.
    if (this.walFd === undefined) this.walFd = openSync(this.walPath, "r")
    return this.walFd
  }

  /**
   * Calls `then` once everything committed so far is on disk: after a WAL sync that starts now,
   * or — when one is already running — after the next one, which covers this commit too.
   */
  private durable(then: () => void): void {
    let fd: number | undefined
    try {
      fd = this.wal()
    } catch (e) {
      this.syncFailure = e
    }
    if (fd === undefined) return then()
    this.afterSync.push(then)
    if (this.syncing) return
    const run = (): void => {
      const waiting = this.afterSync
      this.afterSync = []
      this.syncing = true
      fdatasync(fd, (e) => {
        // A WAL that cannot be synced: nothing more is acknowledged (the write is not known to be on disk).
        // After `close` the fd is gone, but close synced everything itself.
        if (e !== null && e !== undefined && !this.closed) this.syncFailure = e
        for (const w of waiting) w()
        if (this.afterSync.length > 0) run()
        else this.syncing = false
      })
    }
    run()
  }

  /** Commits what is queued, makes it durable, then closes the connection. */
  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    if (this.walFd !== undefined) {
      try {
        fdatasyncSync(this.walFd)
      } finally {
        closeSync(this.walFd)
        this.walFd = undefined
      }
    }
    // Everything is on disk now: answer who waits for the sync that was still to run.
    const waiting = this.afterSync
    this.afterSync = []
    for (const w of waiting) w()
    this.db.close()
  }
}
