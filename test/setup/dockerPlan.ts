/**
 * What `npm test` does about the Docker engine, decided from probes of the machine (pure, so the
 * rule itself is unit-tested with made-up machines in test/setup/dockerPlan.test.ts):
 *
 *   - an engine answers            → use it, start nothing;
 *   - none answers, we may start one (root, and dockerd installed or apt-get to install it)
 *                                  → run scripts/start-dockerd.sh once, stop it at teardown;
 *   - otherwise                    → skip the Docker suites with one loud line saying why and how
 *                                    to fix it — except under CI (`CI=true`), where they run and fail.
 * `SILVANA_TEST_DOCKER=skip` skips them on purpose (same loud line; ignored under CI).
 */

export interface DockerProbes {
  /** The engine at DOCKER_HOST (default /var/run/docker.sock) answers /_ping. */
  readonly engineAnswers: boolean
  /** DOCKER_HOST names a Unix socket (or is unset): the start script only starts such an engine. */
  readonly unixSocket: boolean
  readonly isRoot: boolean
  readonly dockerdInstalled: boolean
  readonly aptGet: boolean
  /** `CI` is set to a true value: Docker suites must run. */
  readonly ci: boolean
  /** `SILVANA_TEST_DOCKER=skip`: the user asked to skip the Docker suites (ignored under CI). */
  readonly optOut: boolean
}

export type DockerPlan =
  | { readonly _tag: "Use" }
  | { readonly _tag: "Start" }
  | { readonly _tag: "Skip"; readonly reason: string; readonly fix: string }
  | { readonly _tag: "Fail"; readonly reason: string; readonly fix: string }

/** Why no engine can be started here and what to do, or undefined when one can be. */
const cannotStart = (p: DockerProbes): { reason: string; fix: string } | undefined => {
  if (!p.unixSocket) {
    return { reason: "no Docker engine answers at DOCKER_HOST, which is not a Unix socket", fix: "start that engine, or unset DOCKER_HOST" }
  }
  if (!p.isRoot) {
    return {
      reason: "no Docker engine answers and starting one needs root",
      fix: "run `sudo scripts/start-dockerd.sh` (or start Docker), then `npm test` again"
    }
  }
  if (!p.dockerdInstalled && !p.aptGet) {
    return {
      reason: "no Docker engine answers, dockerd is not installed and there is no apt-get to install it",
      fix: "install Docker (https://docs.docker.com/engine/install/) and start it, then `npm test` again"
    }
  }
  return undefined
}

export const planDocker = (p: DockerProbes): DockerPlan => {
  if (p.optOut && !p.ci) return { _tag: "Skip", reason: "SILVANA_TEST_DOCKER=skip is set", fix: "unset SILVANA_TEST_DOCKER" }
  if (p.engineAnswers) return { _tag: "Use" }
  const why = cannotStart(p)
  if (why === undefined) return { _tag: "Start" }
  return p.ci ? { _tag: "Fail", ...why } : { _tag: "Skip", ...why }
}

/** After a start attempt failed: skip (or fail under CI) with what the start script said. */
export const planAfterFailedStart = (ci: boolean, detail: string): Extract<DockerPlan, { reason: string }> => {
  const reason = `scripts/start-dockerd.sh could not start a Docker engine: ${detail}`
  const fix = "see .silvana/dockerd.log, fix it and run `scripts/start-dockerd.sh`, then `npm test` again"
  return ci ? { _tag: "Fail", reason, fix } : { _tag: "Skip", reason, fix }
}

/** What the Docker suites receive (through vitest's provide/inject). */
export interface DockerTestContext {
  /** An engine answers and the example image is built. */
  readonly available: boolean
  /** The suites are skipped (only ever when not under CI). */
  readonly skip: boolean
  /** Why they cannot run, for the failure message under CI. */
  readonly reason: string
}

/** The one line printed when the Docker suites are skipped or bound to fail. */
export const loudLine = (plan: Extract<DockerPlan, { reason: string }>): string =>
  plan._tag === "Skip"
    ? `!!! DOCKER SUITES SKIPPED: ${plan.reason}. To run them: ${plan.fix}.`
    : `!!! DOCKER SUITES WILL FAIL (CI=true never skips them): ${plan.reason}. To fix: ${plan.fix}.`
