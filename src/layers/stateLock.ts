/**
 * The STATE_DIR lock: one coordinator per state directory. A second `start` on the same directory
 * refuses at once — before it opens the journal or boots the embedded localnet — naming the
 * running instance.
 *
 * The lock is a file created with O_EXCL (`coordinator.lock`: pid, start time, host). A lock whose
 * pid is no longer alive (a crash, a kill -9) is stale and taken over. Released when the scope
 * closes, only if it is still ours.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Clock, Data, Effect } from "effect"

export class AlreadyRunning extends Data.TaggedError("AlreadyRunning")<{ readonly message: string }> {}
export class StateDirError extends Data.TaggedError("StateDirError")<{ readonly message: string }> {}

export const LOCK_FILE = "coordinator.lock"

interface LockInfo {
  readonly pid: number
  readonly started_at: string
  readonly host: string
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readLock = (file: string): LockInfo | undefined => {
  try {
    const info = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockInfo>
    return typeof info.pid === "number" ? { pid: info.pid, started_at: String(info.started_at), host: String(info.host) } : undefined
  } catch {
    return undefined
  }
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message

/** Takes the lock of `dir` for the life of the scope. */
export const acquireStateLock = (dir: string) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const abs = path.resolve(dir)
      yield* Effect.try({
        try: () => {
          fs.mkdirSync(abs, { recursive: true })
          fs.accessSync(abs, fs.constants.W_OK)
        },
        catch: (e) => new StateDirError({ message: `STATE_DIR: ${abs} is not a writable directory (${errno(e)}); fix its permissions or choose another` })
      })
      const file = path.join(abs, LOCK_FILE)
      const mine: LockInfo = { pid: process.pid, started_at: new Date(yield* Clock.currentTimeMillis).toISOString(), host: os.hostname() }
      for (let attempt = 0; attempt < 5; attempt++) {
        const created = yield* Effect.try({
          try: () => {
            fs.writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: "wx" })
            return true
          },
          catch: (e) => e as NodeJS.ErrnoException
        }).pipe(Effect.catchAll((e) => (e.code === "EEXIST" ? Effect.succeed(false) : Effect.fail(e))))
        if (created) return file
        const held = readLock(file)
        if (held !== undefined && held.pid !== process.pid && held.host === os.hostname() && alive(held.pid)) {
          return yield* new AlreadyRunning({
            message: `another coordinator is running on STATE_DIR ${abs} (pid ${held.pid}, started at ${held.started_at}); stop it, or set STATE_DIR to another directory`
          })
        }
        if (held === undefined && attempt === 0) {
          // Being written this very moment by another starting coordinator: look again shortly.
          yield* Effect.sleep("100 millis")
          continue
        }
        yield* Effect.logWarning("taking over a stale STATE_DIR lock", { lock: file, ...(held ?? {}) })
        yield* Effect.sync(() => fs.rmSync(file, { force: true }))
      }
      return yield* new StateDirError({ message: `STATE_DIR: cannot take the lock ${file}; remove it if no coordinator runs` })
    }).pipe(
      Effect.catchIf(
        (e): e is NodeJS.ErrnoException => !(e instanceof AlreadyRunning) && !(e instanceof StateDirError),
        (e) => Effect.fail(new StateDirError({ message: `STATE_DIR: cannot create the lock in ${dir} (${errno(e)})` }))
      )
    ),
    (file) =>
      Effect.sync(() => {
        if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true })
      })
  )
