/**
 * StateDir — the daemon's private directory (journal, WAL files, agent records, API token,
 * embedded localnet): 0700, and every file in it 0600, whatever a previous version or a careless
 * umask left. The daemon also sets its umask to 077 at start, so files created later (SQLite's
 * `-wal`/`-shm`, records, snapshots) are born private.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Data, Effect } from "effect"

export class StateDirError extends Data.TaggedError("StateDirError")<{ readonly message: string }> {}

/** Tightens `dir` (created if missing) to 0700 and each file below it to 0600; directories to 0700. */
export const secureStateDir = (dir: string): Effect.Effect<void, StateDirError> =>
  Effect.try({
    try: () => {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      const walk = (d: string): void => {
        fs.chmodSync(d, 0o700)
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, entry.name)
          if (entry.isDirectory()) walk(p)
          else if (entry.isFile()) fs.chmodSync(p, 0o600)
          // sockets and symlinks are left alone: the agent socket has its own mode and group
        }
      }
      walk(dir)
    },
    catch: (e) => new StateDirError({ message: `STATE_DIR: cannot secure ${dir}: ${(e as Error).message}` })
  })

/** New files of this process are private to its user (0600 files, 0700 directories). */
export const privateUmask = Effect.sync(() => {
  process.umask(0o077)
})
