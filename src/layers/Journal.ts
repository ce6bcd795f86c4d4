/**
 * Journal — the coordinator's durable local state in embedded SQLite: the event cursor, tracked
 * app instances, the settlement outbox (with the signed transaction each in-flight operation rides
 * in), the jobs this coordinator started and the session holding each, and live sessions.
 *
 * Every write is transactional and acknowledged only after its commit reached the disk (the WAL
 * synced: src/chain/sqlite.ts); concurrent writes are group-committed. The one exception is
 * `finish`, answered once committed: what it records, the chain keeps (see there).
 */
import type { DatabaseSync, SQLOutputValue, StatementSync } from "node:sqlite"
import { join } from "node:path"
import { Context, Data, Effect, Layer, Option, type Scope } from "effect"
import type { ChainCursor, ChainPosition } from "../chain/position.js"
import { GroupCommitDb, type WriteDurability } from "../chain/sqlite.js"
import { type AppInstanceId, normalizeAppInstance } from "../domain/ids.js"
import type { NewOp, OpKind, OpState, OutboxOp } from "../domain/outbox.js"
import { Config } from "./Config.js"

/** A Journal read or write failed. */
export class JournalError extends Data.TaggedError("JournalError")<{ readonly op: string; readonly message: string }> {}

export type { ChainCursor, ChainPosition } from "../chain/position.js"
export type { NewOp, OpKind, OpState, OutboxOp } from "../domain/outbox.js"

/** A signed transaction that may or may not have executed. */
export interface InflightTx {
  readonly digest: string
  readonly bytes: Uint8Array
  readonly signature: string
  readonly gasCoin: string
  /** In the order the transaction was built from (command order). */
  readonly opIds: ReadonlyArray<number>
}

export interface StartedJob {
  readonly appInstance: AppInstanceId
  readonly jobSequence: bigint
  readonly session: string | null
  readonly startedAt: number
}

export interface SessionRecord {
  readonly sessionId: string
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
  readonly containerId: string | null
  readonly startedAt: number
}

export interface JournalService {
  readonly getCursor: Effect.Effect<Option.Option<ChainCursor>, JournalError>
  readonly setCursor: (cursor: ChainCursor) => Effect.Effect<void, JournalError>
  readonly trackAppInstance: (id: AppInstanceId) => Effect.Effect<void, JournalError>
  readonly appInstances: Effect.Effect<ReadonlyArray<AppInstanceId>, JournalError>
  /** Durably enqueues operations; an identical unfinished op is returned instead of a duplicate. */
  readonly enqueue: (ops: ReadonlyArray<NewOp>) => Effect.Effect<ReadonlyArray<OutboxOp>, JournalError>
  /** Ops still to settle (queued or inflight), oldest first. */
  readonly openOps: Effect.Effect<ReadonlyArray<OutboxOp>, JournalError>
  readonly getOps: (ids: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<OutboxOp>, JournalError>
  /** Records a signed transaction and moves its ops to `inflight` — before it is submitted. */
  readonly markInflight: (tx: InflightTx) => Effect.Effect<void, JournalError>
  /** The tx did not execute: its ops go back to `queued`. */
  readonly requeue: (digest: string) => Effect.Effect<void, JournalError>
  /**
   * The tx executed: final states of its ops; started jobs are recorded in the same commit.
   * Answered once committed, before the disk sync: a killed process keeps it, and a power loss that
   * undoes it leaves the tx in flight, which recovery looks up on chain and finishes again.
   */
  readonly finish: (
    digest: string,
    results: ReadonlyArray<{ readonly id: number; readonly state: Exclude<OpState, "queued" | "inflight">; readonly outcome?: string }>
  ) => Effect.Effect<void, JournalError>
  /** Fails ops without a transaction (e.g. refused before building). */
  readonly abandon: (ids: ReadonlyArray<number>, outcome: string) => Effect.Effect<void, JournalError>
  readonly inflightTxs: Effect.Effect<ReadonlyArray<InflightTx>, JournalError>
  readonly startedJobs: Effect.Effect<ReadonlyArray<StartedJob>, JournalError>
  readonly isStarted: (appInstance: AppInstanceId, jobSequence: bigint) => Effect.Effect<boolean, JournalError>
  readonly holdJob: (appInstance: AppInstanceId, jobSequence: bigint, session: string | null) => Effect.Effect<void, JournalError>
  readonly forgetStarted: (appInstance: AppInstanceId, jobSequence: bigint) => Effect.Effect<void, JournalError>
  /** Records a job as started by this coordinator again (a repair re-submits its settlement). */
  readonly restoreStarted: (appInstance: AppInstanceId, jobSequence: bigint) => Effect.Effect<void, JournalError>
  /** Job ops (not app calls) settled (`done` or `rejected`) at or after `sinceMs`, oldest first. */
  readonly settledSince: (sinceMs: number) => Effect.Effect<ReadonlyArray<OutboxOp>, JournalError>
  readonly putSession: (s: SessionRecord) => Effect.Effect<void, JournalError>
  readonly removeSession: (sessionId: string) => Effect.Effect<void, JournalError>
  readonly sessions: Effect.Effect<ReadonlyArray<SessionRecord>, JournalError>
  /** Deletes finished ops older than `ms`. */
  /** The descriptor of the settlement proof an agent submitted for (app instance, block, chain); the latest wins. */
  readonly putSettlementProof: (appInstance: AppInstanceId, block: bigint, chain: string, descriptor: string) => Effect.Effect<void, JournalError>
  readonly settlementProof: (appInstance: AppInstanceId, block: bigint, chain: string) => Effect.Effect<Option.Option<string>, JournalError>
  /** Every settlement proof descriptor stored for an instance (what the DA store must keep). */
  readonly settlementProofDescriptors: (appInstance: AppInstanceId) => Effect.Effect<ReadonlyArray<string>, JournalError>
  readonly pruneFinished: (olderThanMs: number) => Effect.Effect<number, JournalError>
  /** Commits so far (group commits count once). */
  readonly commits: Effect.Effect<number>
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cursor (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  checkpoint TEXT NOT NULL, tx INTEGER NOT NULL, event INTEGER NOT NULL, token BLOB
);
CREATE TABLE IF NOT EXISTS app_instances (id TEXT PRIMARY KEY, added_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS txs (
  digest TEXT PRIMARY KEY, bytes BLOB NOT NULL, signature TEXT NOT NULL, gas_coin TEXT NOT NULL,
  op_ids TEXT NOT NULL, created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL, app_instance TEXT NOT NULL, job_sequence TEXT NOT NULL,
  error TEXT, session TEXT, state TEXT NOT NULL, tx_digest TEXT, attempts INTEGER NOT NULL DEFAULT 0,
  outcome TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_open ON outbox (state) WHERE state IN ('queued', 'inflight');
-- No query reads ops by key regardless of state, so only open ops are indexed by key (an index of
-- every op cost each insert its upkeep); journals from before drop theirs.
DROP INDEX IF EXISTS outbox_key;
-- Open ops only: an enqueue looks for an identical open op among these, not among every op a
-- job ever made (a proving job makes thousands of calls; that scan grew with each one).
CREATE INDEX IF NOT EXISTS outbox_open_key ON outbox (app_instance, job_sequence, kind) WHERE state IN ('queued', 'inflight');
CREATE INDEX IF NOT EXISTS outbox_tx ON outbox (tx_digest);
CREATE INDEX IF NOT EXISTS outbox_updated ON outbox (updated_at);
CREATE TABLE IF NOT EXISTS started_jobs (
  app_instance TEXT NOT NULL, job_sequence TEXT NOT NULL, session TEXT, started_at INTEGER NOT NULL,
  PRIMARY KEY (app_instance, job_sequence)
);
CREATE TABLE IF NOT EXISTS settlement_proofs (
  app_instance TEXT NOT NULL, block_number TEXT NOT NULL, chain TEXT NOT NULL, descriptor TEXT NOT NULL, stored_at INTEGER NOT NULL,
  PRIMARY KEY (app_instance, block_number, chain)
);
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY, developer TEXT NOT NULL, agent TEXT NOT NULL, agent_method TEXT NOT NULL,
  container_id TEXT, started_at INTEGER NOT NULL
);
`

type Row = Record<string, SQLOutputValue>

/** An app instance column read back through the `AppInstanceIdFromString` schema (a row that is not hex fails the read). */
const appInstanceOf = (v: SQLOutputValue): AppInstanceId => normalizeAppInstance(String(v))

const toOp = (r: Row): OutboxOp => ({
  id: Number(r.id),
  kind: r.kind as OpKind,
  appInstance: appInstanceOf(r.app_instance),
  jobSequence: BigInt(String(r.job_sequence)),
  error: r.error === null ? null : String(r.error),
  session: r.session === null ? null : String(r.session),
  state: r.state as OpState,
  txDigest: r.tx_digest === null ? null : String(r.tx_digest),
  attempts: Number(r.attempts),
  outcome: r.outcome === null ? null : String(r.outcome),
  createdAt: Number(r.created_at),
  payload: r.payload === null || r.payload === undefined ? null : String(r.payload)
})

/** Reads and writes of the journal's database, each failure a `JournalError` naming the operation. */
interface Access {
  readonly db: DatabaseSync
  readonly read: <A>(op: string, f: (db: DatabaseSync) => A) => Effect.Effect<A, JournalError>
  readonly write: <A>(op: string, f: (db: DatabaseSync) => A, durability?: WriteDurability) => Effect.Effect<A, JournalError>
  /** The Effect Clock, read inside the synchronous SQL writes. */
  readonly nowMs: () => number
}

/** The event cursor and the tracked app instances. */
const cursorPart = ({ nowMs, read, write }: Access): Pick<JournalService, "getCursor" | "setCursor" | "trackAppInstance" | "appInstances"> => ({
    getCursor: read("getCursor", (d) => {
      const r = d.prepare("SELECT * FROM cursor WHERE id = 0").get()
      if (r === undefined) return Option.none()
      return Option.some({
        checkpoint: BigInt(String(r.checkpoint)),
        tx: Number(r.tx),
        event: Number(r.event),
        token: r.token === null ? null : new Uint8Array(r.token as Uint8Array)
      })
    }),
    // Answered once committed, not synced: a cursor lost to a power cut only means a longer replay,
    // and the WAL keeps commits in order, so no cursor outlives a write made before it. An idle
    // daemon moved its cursor with every checkpoint, and a disk flush for each was most of the CPU
    // it spent following a quiet chain.
    setCursor: (c) =>
      write(
        "setCursor",
        (d) =>
          d
            .prepare(
              "INSERT INTO cursor (id, checkpoint, tx, event, token) VALUES (0, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET checkpoint = excluded.checkpoint, tx = excluded.tx, event = excluded.event, token = excluded.token"
            )
            .run(c.checkpoint.toString(), c.tx, c.event, c.token),
        "committed"
      ).pipe(Effect.asVoid),
    trackAppInstance: (id) =>
      write("trackAppInstance", (d) =>
        d.prepare("INSERT OR IGNORE INTO app_instances (id, added_at) VALUES (?, ?)").run(id, nowMs())
      ).pipe(Effect.asVoid),
    appInstances: read("appInstances", (d) =>
      d.prepare("SELECT id FROM app_instances ORDER BY added_at, id").all().map((r) => appInstanceOf(r.id))
    ),
})

/** The statements that put a transaction's unsettled ops back in the queue and forget the transaction (requeue and finish share them). */
interface TxRelease {
  readonly requeueTx: StatementSync
  readonly deleteTx: StatementSync
}

/** A transaction's outcome recorded: each op's result, the started jobs it made or ended, the rest requeued. */
const finishTx = ({ db, nowMs, write }: Access, { requeueTx, deleteTx }: TxRelease): JournalService["finish"] => {
  // Prepared once: a statement's parse and plan cost more than its run. The update hands back
  // what the started-jobs bookkeeping needs, with no second read of the row.
  const upd = db.prepare(
    "UPDATE outbox SET state = ?, outcome = ?, updated_at = ? WHERE id = ? AND tx_digest = ? RETURNING kind, app_instance, job_sequence"
  )
  const addStarted = db.prepare(
    "INSERT OR IGNORE INTO started_jobs (app_instance, job_sequence, session, started_at) VALUES (?, ?, NULL, ?)"
  )
  const delStarted = db.prepare("DELETE FROM started_jobs WHERE app_instance = ? AND job_sequence = ?")
  return (digest, results) =>
    write("finish", () => {
      const now = nowMs()
      for (const r of results) {
        const op = upd.get(r.state, r.outcome ?? null, now, r.id, digest)
        if (op === undefined) continue
        if (op.kind === "start" && r.state === "done") addStarted.run(op.app_instance, op.job_sequence, now)
        // A settled complete/fail/terminate ends this coordinator's hold on the job.
        if (op.kind !== "start" && op.kind !== "call" && r.state !== "aborted") delStarted.run(op.app_instance, op.job_sequence)
      }
      // Ops of this tx not named in results go back to the queue rather than being lost.
      requeueTx.run(now, digest)
      deleteTx.run(digest)
      // Answered once committed, not synced: the transaction's row is durable since markInflight,
      // and after a power loss that undoes this commit recovery reads the outcome back from the
      // chain. The next synced write (the next markInflight on this gas coin among them) covers it.
    }, "committed").pipe(Effect.asVoid)
}

/** The settlement outbox: ops, their transactions, their outcomes. */
const outboxPart = (access: Access) => {
  const { db, nowMs, read, write } = access
  const selectOpenKey = db.prepare(
    "SELECT * FROM outbox WHERE app_instance = ? AND job_sequence = ? AND kind = ? AND state IN ('queued','inflight') LIMIT 1"
  )
  const insertOp = db.prepare(
    "INSERT INTO outbox (kind, app_instance, job_sequence, error, session, payload, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)"
  )
  const insertTx = db.prepare("INSERT INTO txs (digest, bytes, signature, gas_coin, op_ids, created_at) VALUES (?, ?, ?, ?, ?, ?)")
  const markOp = db.prepare(
    "UPDATE outbox SET state = 'inflight', tx_digest = ?, attempts = attempts + 1, updated_at = ? WHERE id = ? AND state = 'queued'"
  )
  const requeueTx = db.prepare("UPDATE outbox SET state = 'queued', tx_digest = NULL, updated_at = ? WHERE tx_digest = ? AND state = 'inflight'")
  const deleteTx = db.prepare("DELETE FROM txs WHERE digest = ?")
  // A job may make many calls: only an identical one still open is the same op.
  const selectOpenCall = db.prepare(
    "SELECT * FROM outbox WHERE app_instance = ? AND job_sequence = ? AND kind = 'call' AND payload = ? AND state IN ('queued','inflight') LIMIT 1"
  )

  return {
      enqueue: (ops) =>
        write("enqueue", () => {
          const now = nowMs()
          return ops.map((op) => {
            const existing =
              op.kind === "call"
                ? selectOpenCall.get(op.appInstance, op.jobSequence.toString(), op.payload ?? "")
                : selectOpenKey.get(op.appInstance, op.jobSequence.toString(), op.kind)
            if (existing !== undefined) return toOp(existing)
            const error = op.error ?? null
            const session = op.session ?? null
            const payload = op.payload ?? null
            const { lastInsertRowid } = insertOp.run(op.kind, op.appInstance, op.jobSequence.toString(), error, session, payload, now, now)
            // the row as inserted, from what was written (no read back, no second decode of the instance id)
            const added: OutboxOp = {
              id: Number(lastInsertRowid),
              kind: op.kind,
              appInstance: op.appInstance,
              jobSequence: op.jobSequence,
              error,
              session,
              state: "queued",
              txDigest: null,
              attempts: 0,
              outcome: null,
              createdAt: now,
              payload
            }
            return added
          })
        }),
      openOps: read("openOps", (d) =>
        d.prepare("SELECT * FROM outbox WHERE state IN ('queued','inflight') ORDER BY id").all().map(toOp)
      ),
      getOps: (ids) =>
        read("getOps", (d) => {
          const stmt = d.prepare("SELECT * FROM outbox WHERE id = ?")
          return ids.flatMap((id) => {
            const r = stmt.get(id)
            return r === undefined ? [] : [toOp(r)]
          })
        }),
      markInflight: (tx) =>
        write("markInflight", () => {
          insertTx.run(tx.digest, tx.bytes, tx.signature, tx.gasCoin, JSON.stringify(tx.opIds), nowMs())
          const now = nowMs()
          for (const id of tx.opIds) {
            const r = markOp.run(tx.digest, now, id)
            if (Number(r.changes) !== 1) throw new Error(`op ${id} is not queued`)
          }
        }),
      requeue: (digest) =>
        write("requeue", () => {
          requeueTx.run(nowMs(), digest)
          deleteTx.run(digest)
        }).pipe(Effect.asVoid),
      finish: finishTx(access, { requeueTx, deleteTx }),
      abandon: (ids, outcome) =>
        write("abandon", (d) => {
          const upd = d.prepare("UPDATE outbox SET state = 'aborted', outcome = ?, updated_at = ? WHERE id = ? AND state = 'queued'")
          for (const id of ids) upd.run(outcome, nowMs(), id)
        }).pipe(Effect.asVoid),
      inflightTxs: read("inflightTxs", (d) =>
        d
          .prepare("SELECT * FROM txs ORDER BY created_at")
          .all()
          .map((r) => ({
            digest: String(r.digest),
            bytes: new Uint8Array(r.bytes as Uint8Array),
            signature: String(r.signature),
            gasCoin: String(r.gas_coin),
            // In the order the transaction's commands were built from.
            opIds: JSON.parse(String(r.op_ids)) as number[]
          }))
      ),
      settledSince: (since) =>
        read("settledSince", (d) =>
          d
            .prepare("SELECT * FROM outbox WHERE state IN ('done','rejected') AND kind != 'call' AND updated_at >= ? ORDER BY id")
            .all(since)
            .map(toOp)
        ),
      pruneFinished: (ms) =>
        write("pruneFinished", (d) =>
          Number(
            d.prepare("DELETE FROM outbox WHERE state NOT IN ('queued','inflight') AND updated_at < ?").run(nowMs() - ms).changes
          )
        ),
  } satisfies Partial<JournalService>
}

/** The jobs this coordinator started and who holds them. */
const startedPart = ({
  nowMs,
  read,
  write
}: Access): Pick<JournalService, "startedJobs" | "isStarted" | "holdJob" | "forgetStarted" | "restoreStarted"> => ({
    startedJobs: read("startedJobs", (d) =>
      d
        .prepare("SELECT * FROM started_jobs ORDER BY started_at")
        .all()
        .map((r) => ({
          appInstance: appInstanceOf(r.app_instance),
          jobSequence: BigInt(String(r.job_sequence)),
          session: r.session === null ? null : String(r.session),
          startedAt: Number(r.started_at)
        }))
    ),
    isStarted: (app, seq) =>
      read("isStarted", (d) =>
        d.prepare("SELECT 1 FROM started_jobs WHERE app_instance = ? AND job_sequence = ?").get(app, seq.toString()) !== undefined
      ),
    holdJob: (app, seq, session) =>
      write("holdJob", (d) =>
        d.prepare("UPDATE started_jobs SET session = ? WHERE app_instance = ? AND job_sequence = ?").run(session, app, seq.toString())
      ).pipe(Effect.asVoid),
    forgetStarted: (app, seq) =>
      write("forgetStarted", (d) =>
        d.prepare("DELETE FROM started_jobs WHERE app_instance = ? AND job_sequence = ?").run(app, seq.toString())
      ).pipe(Effect.asVoid),
    restoreStarted: (app, seq) =>
      write("restoreStarted", (d) =>
        d
          .prepare("INSERT OR IGNORE INTO started_jobs (app_instance, job_sequence, session, started_at) VALUES (?, ?, NULL, ?)")
          .run(app, seq.toString(), nowMs())
      ).pipe(Effect.asVoid),
})

/** Agent sessions, to find what a crash left behind. */
const sessionsPart = ({ read, write }: Access): Pick<JournalService, "putSession" | "removeSession" | "sessions"> => ({
    putSession: (s) =>
      write("putSession", (d) =>
        d
          .prepare(
            "INSERT OR REPLACE INTO sessions (session_id, developer, agent, agent_method, container_id, started_at) VALUES (?, ?, ?, ?, ?, ?)"
          )
          .run(s.sessionId, s.developer, s.agent, s.agentMethod, s.containerId, s.startedAt)
      ).pipe(Effect.asVoid),
    removeSession: (id) =>
      write("removeSession", (d) => {
        d.prepare("DELETE FROM sessions WHERE session_id = ?").run(id)
        d.prepare("UPDATE started_jobs SET session = NULL WHERE session = ?").run(id)
      }).pipe(Effect.asVoid),
    sessions: read("sessions", (d) =>
      d
        .prepare("SELECT * FROM sessions ORDER BY started_at")
        .all()
        .map((r) => ({
          sessionId: String(r.session_id),
          developer: String(r.developer),
          agent: String(r.agent),
          agentMethod: String(r.agent_method),
          containerId: r.container_id === null ? null : String(r.container_id),
          startedAt: Number(r.started_at)
        }))
    ),
})

/** Where each settled block's proof is kept (a DA descriptor), per app instance and chain. */
const settlementProofPart = ({ nowMs, read, write }: Access): Pick<JournalService, "putSettlementProof" | "settlementProof" | "settlementProofDescriptors"> => ({
  putSettlementProof: (app, block, chain, descriptor) =>
    write("putSettlementProof", (d) =>
      d
        .prepare(
          "INSERT INTO settlement_proofs (app_instance, block_number, chain, descriptor, stored_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET descriptor = excluded.descriptor, stored_at = excluded.stored_at"
        )
        .run(app, block.toString(), chain, descriptor, nowMs())
    ).pipe(Effect.asVoid),
  settlementProof: (app, block, chain) =>
    read("settlementProof", (d) => {
      const r = d.prepare("SELECT descriptor FROM settlement_proofs WHERE app_instance = ? AND block_number = ? AND chain = ?").get(app, block.toString(), chain)
      return r === undefined ? Option.none() : Option.some(String(r.descriptor))
    }),
  settlementProofDescriptors: (app) =>
    read("settlementProofDescriptors", (d) =>
      d.prepare("SELECT descriptor FROM settlement_proofs WHERE app_instance = ?").all(app).map((r) => String(r.descriptor))
    )
})

/** Builds the Journal over a database file (`:memory:` for an in-memory one). */
export const makeJournal = (path: string): Effect.Effect<JournalService, JournalError, Scope.Scope> =>
  Effect.gen(function* () {
    const clock = yield* Effect.clock
    const store = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          const s = new GroupCommitDb(path)
          s.db.exec(SCHEMA)
          // Journals written before `call` ops existed lack the payload column.
          const cols = s.db.prepare("PRAGMA table_info(outbox)").all().map((r) => String(r.name))
          if (!cols.includes("payload")) s.db.exec("ALTER TABLE outbox ADD COLUMN payload TEXT")
          return s
        },
        catch: (e) => new JournalError({ op: "open", message: `cannot open journal ${path}: ${(e as Error).message}` })
      }),
      (s) => Effect.sync(() => s.close())
    )
    const db = store.db
    const access: Access = {
      db,
      read: (op, f) => Effect.try({ try: () => f(db), catch: (e) => new JournalError({ op, message: (e as Error).message }) }),
      write: (op, f, durability) => Effect.tryPromise({ try: () => store.write(f, durability), catch: (e) => new JournalError({ op, message: (e as Error).message }) }),
      nowMs: () => clock.unsafeCurrentTimeMillis()
    }
    const service: JournalService = {
      ...cursorPart(access),
      ...outboxPart(access),
      ...startedPart(access),
      ...sessionsPart(access),
      ...settlementProofPart(access),
      commits: Effect.sync(() => store.commits)
    }
    return service
  })

/** Durable local state. */
export class Journal extends Context.Tag("silvana/Journal")<Journal, JournalService>() {
  /** `journal.sqlite` under `STATE_DIR`. */
  static readonly layer = Layer.scoped(
    Journal,
    Effect.flatMap(Config, (c) => makeJournal(join(c.stateDir, "journal.sqlite")))
  )
  /** A journal in a given file. */
  static readonly layerFile = (path: string) => Layer.scoped(Journal, makeJournal(path))
  /** An in-memory journal (tests). */
  static readonly layerMemory = Layer.scoped(Journal, makeJournal(":memory:"))
}
