/**
 * The state file: the engine's JSON-able snapshot written atomically (temporary file + rename), so
 * a crash mid-write leaves the previous state intact.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { LocalChainSnapshot } from "../chain.js"
import { syncDir } from "./wal.js"

const serialize = (snapshot: LocalChainSnapshot): string =>
  JSON.stringify(snapshot, (_k, v: unknown) => (typeof v === "bigint" ? { $bigint: v.toString() } : v))

const revive = (_k: string, v: unknown): unknown =>
  typeof v === "object" && v !== null && typeof (v as { $bigint?: unknown }).$bigint === "string" && Object.keys(v).length === 1
    ? BigInt((v as { $bigint: string }).$bigint)
    : v

const tmpName = (file: string) => path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)

/** Writes the snapshot synchronously (used at start and on close); durable when it returns. */
export const saveStateSync = (file: string, snapshot: LocalChainSnapshot): void => {
  const tmp = tmpName(file)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const fd = fs.openSync(tmp, "w")
  try {
    fs.writeFileSync(fd, serialize(snapshot))
    fs.fdatasyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, file)
  syncDir(path.dirname(file))
}

/** Writes the snapshot without blocking on disk I/O (serialisation itself is synchronous); durable when it resolves. */
export const saveState = async (file: string, snapshot: LocalChainSnapshot): Promise<void> => {
  const tmp = tmpName(file)
  const text = serialize(snapshot)
  await fs.promises.mkdir(path.dirname(file), { recursive: true })
  const handle = await fs.promises.open(tmp, "w")
  try {
    await handle.writeFile(text)
    await handle.datasync()
  } finally {
    await handle.close()
  }
  await fs.promises.rename(tmp, file)
  syncDir(path.dirname(file))
}

/** Reads a saved snapshot, or `undefined` when the file does not exist. */
export const loadState = (file: string): LocalChainSnapshot | undefined => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw e
  }
  const snapshot = JSON.parse(text, revive) as LocalChainSnapshot
  if (snapshot.format !== "silvana-localnet/1") throw new Error(`${file}: not a localnet state file (format ${String(snapshot.format)})`)
  return snapshot
}
