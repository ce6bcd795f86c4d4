/**
 * GroupCommitDb: the WAL is synced off the event loop's thread, and a write is answered only
 * after a sync that covers it — concurrent writes share commits, a close with writes in flight
 * answers them all, and what was answered is in the file when it is opened again.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { afterEach, describe, expect, it } from "vitest"
import { GroupCommitDb } from "../../src/chain/sqlite.js"

let dir: string | undefined
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

const open = () => {
  dir = mkdtempSync(join(tmpdir(), "group-commit-"))
  const file = join(dir, "db.sqlite")
  const db = new GroupCommitDb(file)
  db.db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
  return { db, file }
}

const rows = (file: string) => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return Number((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n)
  } finally {
    db.close()
  }
}

describe("GroupCommitDb", () => {
  it("answers every concurrent write after a shared commit and keeps each one's result", async () => {
    const { db, file } = open()
    const before = db.commits
    const ids = await Promise.all(
      Array.from({ length: 300 }, (_, i) => db.write((d) => Number(d.prepare("INSERT INTO t (v) VALUES (?)").run(`v${i}`).lastInsertRowid)))
    )
    expect(new Set(ids).size).toBe(300)
    expect(db.commits - before).toBeLessThan(300)
    // a failing write is refused alone; the others of its commit are kept
    const mixed = await Promise.allSettled([
      db.write((d) => d.prepare("INSERT INTO t (v) VALUES (?)").run("ok")),
      db.write((d) => d.prepare("INSERT INTO t (v) VALUES (NULL)").run()),
      db.write((d) => d.prepare("INSERT INTO t (v) VALUES (?)").run("ok2"))
    ])
    expect(mixed.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"])
    db.close()
    expect(rows(file)).toBe(302)
  })

  it("a close with writes in flight answers them, and they are in the file", async () => {
    const { db, file } = open()
    const writes = Array.from({ length: 50 }, (_, i) => db.write((d) => d.prepare("INSERT INTO t (v) VALUES (?)").run(`w${i}`)))
    await writes[0]
    const more = Array.from({ length: 50 }, (_, i) => db.write((d) => d.prepare("INSERT INTO t (v) VALUES (?)").run(`m${i}`)))
    db.close()
    const settled = await Promise.allSettled([...writes, ...more])
    expect(settled.filter((s) => s.status === "rejected")).toHaveLength(0)
    expect(rows(file)).toBe(100)
    await expect(db.write(() => 1)).rejects.toThrow(/closed/)
  })

  it("a committed write is answered without waiting for the sync a synced write of its commit waits for", async () => {
    const { db, file } = open()
    const order: Array<string> = []
    const synced = db.write((d) => d.prepare("INSERT INTO t (v) VALUES (?)").run("synced")).then(() => order.push("synced"))
    const committed = db
      .write((d) => Number(d.prepare("INSERT INTO t (v) VALUES (?)").run("committed").lastInsertRowid), "committed")
      .then((id) => order.push(`committed ${id}`))
    await Promise.all([synced, committed])
    // same commit: the committed write is answered first, the synced one only after the WAL sync
    expect(order).toEqual(["committed 2", "synced"])
    // a commit of committed writes alone starts no sync; the next synced write's sync covers them
    const lone = await db.write((d) => d.prepare("INSERT INTO t (v) VALUES (?)").run("lone").changes, "committed")
    expect(lone).toBe(1)
    await db.write((d) => d.prepare("INSERT INTO t (v) VALUES (?)").run("after"))
    // a committed write still refuses alone when its statement fails
    await expect(db.write((d) => d.prepare("INSERT INTO t (v) VALUES (NULL)").run(), "committed")).rejects.toThrow()
    db.close()
    expect(rows(file)).toBe(4)
  })

  it("writeNow is durable on return and counts as a commit", () => {
    const { db, file } = open()
    const before = db.commits
    db.writeNow((d) => d.prepare("INSERT INTO t (v) VALUES (?)").run("now"))
    expect(db.commits).toBe(before + 1)
    expect(rows(file)).toBe(1)
    db.close()
  })
})
