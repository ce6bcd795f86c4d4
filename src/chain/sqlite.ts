/**
 * A group-committing writer over Node's built-in SQLite (`node:sqlite`): writes queued in the same
 * turn of the event loop share one transaction and one fsync, and each caller hears back only
 * after that commit, so an acknowledged write survives a crash at any later point.
 */
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { DatabaseSync } from "node:sqlite"

interface PendingWrite {
  readonly run: (db: DatabaseSync) => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

/** One database connection with a commit queue. */
export class GroupCommitDb {
  readonly db: DatabaseSync
  private pending: PendingWrite[] = []
  private scheduled = false
  private closed = false
  /** Number of commits so far (for tests and metrics). */
  commits = 0

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true })
    this.db = new DatabaseSync(path)
    if (path !== ":memory:") {
      this.db.exec("PRAGMA journal_mode = WAL")
      // FULL: a commit is on disk (WAL fsynced) before the caller is told it happened.
      this.db.exec("PRAGMA synchronous = FULL")
    }
    this.db.exec("PRAGMA busy_timeout = 5000")
    this.db.exec("PRAGMA foreign_keys = ON")
  }

  /** Queues `run` into the next group commit; resolves with its result once committed. */
  write<T>(run: (db: DatabaseSync) => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error("journal is closed"))
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (v: unknown) => void, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Runs `run` in its own transaction right now (start-up, tests). */
  writeNow<T>(run: (db: DatabaseSync) => T): T {
    this.db.exec("BEGIN IMMEDIATE")
    try {
      const out = run(this.db)
      this.db.exec("COMMIT")
      this.commits++
      return out
    } catch (e) {
      this.db.exec("ROLLBACK")
      throw e
    }
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
    batch.forEach((w, i) => {
      const r = results[i]!
      if (r.ok) w.resolve(r.value)
      else w.reject(r.error)
    })
  }

  /** Commits what is queued, then closes the connection. */
  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    this.db.close()
  }
}
