/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core.
 * Installed here when missing and the machine allows it (root and apt-get), like the Docker engine
 * of the runtime tests; otherwise the suite is skipped loudly — never under CI=true, where a
 * missing browser fails the run.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type BrowserContext, chromium } from "playwright-core"

export const CHROMIUM = "/usr/bin/chromium"

const canApt = () => process.getuid?.() === 0 && existsSync("/usr/bin/apt-get")

/** The browser's path, installing it when possible; `undefined` (with a warning) when not possible here. */
export const ensureChromium = (): string | undefined => {
  if (existsSync(CHROMIUM)) return CHROMIUM
  if (canApt()) {
    const apt = (args: Array<string>) =>
      execFileSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, timeout: 600_000 })
    try {
      apt(["install", "-y", "--no-install-recommends", "chromium"])
    } catch {
      apt(["update"])
      apt(["install", "-y", "--no-install-recommends", "chromium"])
    }
    if (existsSync(CHROMIUM)) return CHROMIUM
  }
  const why = `no ${CHROMIUM} and it cannot be installed here (needs root and apt-get: apt-get install -y chromium)`
  if (process.env["CI"] === "true") throw new Error(`browser tests cannot run: ${why}`)
  console.warn(`\n*** SKIPPING the browser tests: ${why} ***\n`)
  return undefined
}

/** A fresh headless browser with its own profile directory, removed on close. */
export const launch = async (executablePath: string, viewport = { width: 1280, height: 900 }) => {
  const profile = mkdtempSync(path.join(os.tmpdir(), "silvana-chromium-"))
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined)
      rmSync(profile, { recursive: true, force: true })
    }
  }
}
