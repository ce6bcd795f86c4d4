/**
 * For test files with Docker suites (vitest-only: child processes import ./helpers.ts instead):
 * what the global set-up (test/setup/globalSetup.ts) found out about Docker for this run.
 */
import type Docker from "dockerode"
import { describe, inject } from "vitest"
import { AGENT_IMAGE } from "./helpers.js"

export const dockerContext = inject("docker")

/**
 * `describe` for suites that need a Docker engine: skipped only when the global set-up could not
 * provide one and said so in its one loud line (never under CI, where they run and fail).
 */
export const describeDocker = describe.skipIf(dockerContext.skip)

/**
 * Fails loudly when the global set-up found no engine (or could not build the example image), and
 * checks that the engine still answers.
 */
export const requireDockerAndImage = async (docker: Docker): Promise<void> => {
  if (!dockerContext.available) throw new Error(`these tests need a Docker engine: ${dockerContext.reason}`)
  try {
    await docker.ping()
  } catch (e) {
    throw new Error(
      `these tests need a Docker engine and none answered (${(e as Error).message}); start one with scripts/start-dockerd.sh`
    )
  }
  await docker.getImage(AGENT_IMAGE).inspect()
}
