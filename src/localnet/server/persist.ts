/**
 * The state file: the engine's JSON-able snapshot written atomically (temporary file + rename), so
 * a crash mid-write leaves the previous state intact.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { LocalChainSnapshot } from "../chain.js"

const serialize = (snapshot: LocalChainSnapshot): string =>
  JSON.stringify(snapshot, (_k, v: unknown) => (typeof v === "bigint" ? { $bigint: v.toString() } : v))

const revive = (_k: string, v: unknown): unknown =>
  typeof v === "object" && v !== null && typeof (v as { $bigint?: unknown }).$bigint === "string" && Object.keys(v).length === 1
    ? BigInt((v as { $bigint: string }).$bigint)
    : v

const tmpName = (file: string) => path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)

/** Writes the snapshot synchronously (used on close). */
export const saveStateSync = (file: string, snapshot: LocalChainSnapshot): void => {
  const tmp = tmpName(file)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(tmp, serialize(snapshot))
  fs.renameSync(tmp, file)
}

/** Writes the snapshot without blocking on disk I/O (serialisation itself is synchronous). */
export const saveState = async (file: string, snapshot: LocalChainSnapshot): Promise<void> => {
  const tmp = tmpName(file)
  const text = serialize(snapshot)
  await fs.promises.mkdir(path.dirname(file), { recursive: true })
  await fs.promises.writeFile(tmp, text)
  await fs.promises.rename(tmp, file)
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
