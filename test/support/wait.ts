/**
 * Waiting in integration tests: wait for a state or an event, never for a fixed time. The only
 * clock is a liveness backstop, and where the work moves measurably (records written, jobs
 * settled) that backstop restarts each time it moves, so a slow machine only makes a test slower.
 */
import type { ChildProcess } from "node:child_process"
import { Effect, Schedule } from "effect"

/** How long nothing may move before a wait gives up (a hang, not a slow machine). */
export const STALL_MS = 180_000

export interface WaitOptions {
  /** A measure of the work toward the condition; the backstop restarts whenever it changes. */
  readonly progress?: () => unknown
  /** How long the condition (or `progress`) may stand still; default `STALL_MS`. */
  readonly stallMs?: number
  readonly pollMs?: number
  /** What the run looks like, added to the failure when it stalls (the state a hang left behind). */
  readonly explain?: () => string | Promise<string>
}

/** Resolves once `check` holds; fails when neither it nor `progress` moved for `stallMs`. */
export const waitUntil = async (what: string, check: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> => {
  const stallMs = options.stallMs ?? STALL_MS
  let last: unknown = await options.progress?.()
  let deadline = Date.now() + stallMs
  for (;;) {
    if (await check()) return
    const now = await options.progress?.()
    if (options.progress !== undefined && !Object.is(now, last)) {
      last = now
      deadline = Date.now() + stallMs
    }
    if (Date.now() > deadline) {
      const state = await Promise.resolve(options.explain?.()).catch((e) => `(cannot describe the state: ${String(e)})`)
      throw new Error(`no progress toward ${what} for ${stallMs / 1000} s (last: ${String(last)})${state === undefined ? "" : `\n${state}`}`)
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100))
  }
}

/**
 * The Effect form of `waitUntil` for live tests: runs `check` every `pollMs` (default 50) until it
 * answers true; dies when it has not within `stallMs` (default `STALL_MS`: a hang, not a slow machine).
 */
export const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, options: Omit<WaitOptions, "progress"> = {}) =>
  check.pipe(
    Effect.repeat({ schedule: Schedule.spaced(options.pollMs ?? 50), until: (ok) => ok }),
    Effect.timeoutFail({ duration: options.stallMs ?? STALL_MS, onTimeout: () => new Error(`${what}: not reached in ${(options.stallMs ?? STALL_MS) / 1000} s`) }),
    Effect.orDie,
    Effect.asVoid
  )

/**
 * Resolves with the child's output (of `streams`) once `match` finds what it waits for; fails if
 * the child exits first.
 */
export const waitForOutput = (
  child: ChildProcess,
  what: string,
  match: (output: string) => boolean,
  streams: ReadonlyArray<"stdout" | "stderr"> = ["stdout", "stderr"]
): Promise<string> =>
  new Promise((resolve, reject) => {
    let out = ""
    const onData = (d: Buffer) => {
      out += d.toString()
      if (match(out)) {
        cleanup()
        resolve(out)
      }
    }
    const onExit = (code: number | null, signal: string | null) => {
      cleanup()
      reject(new Error(`process exited (${code ?? signal}) before ${what}: ${out.slice(-2000)}`))
    }
    const cleanup = () => {
      for (const s of streams) child[s]?.off("data", onData)
      child.off("exit", onExit)
    }
    for (const s of streams) child[s]?.on("data", onData)
    child.once("exit", onExit)
  })
