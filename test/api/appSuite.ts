/**
 * The AppApi fixture (appFixture.ts) opened and closed around a describe block. Kept apart from
 * appFixture.ts, which must stay free of vitest: child processes (proofCrashChild.ts) import it.
 */
import type { Types } from "effect"
import { afterAll, beforeAll } from "vitest"
import { type AppApiFixture, startAppApi } from "./appFixture.js"

/**
 * The fixture of one describe block's tests, opened before them and closed after: the object
 * returned is filled in once the fixture is up (read it inside tests and hooks only). `setUp`
 * runs once it is open (chain state the tests share); `openMs` bounds both.
 */
export const appApiForSuite = (
  options: Parameters<typeof startAppApi>[0] = {},
  setUp?: (f: AppApiFixture) => Promise<unknown>,
  openMs = 60_000
): AppApiFixture => {
  const f = {} as Types.Mutable<AppApiFixture>
  beforeAll(async () => {
    Object.assign(f, await startAppApi(options))
    await setUp?.(f)
  }, openMs)
  afterAll(async () => {
    await f.close?.()
  })
  return f
}
