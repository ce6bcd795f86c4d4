/** The Docker set-up rule of `npm test`, on made-up machines. */
import { describe, expect, it } from "vitest"
import { type DockerProbes, loudLine, planAfterFailedStart, planDocker } from "./dockerPlan.js"

const freshRootDebian: DockerProbes = {
  engineAnswers: false,
  unixSocket: true,
  isRoot: true,
  dockerdInstalled: false,
  aptGet: true,
  ci: false,
  optOut: false
}

describe("planDocker", () => {
  it("uses an engine that answers, whatever else holds (no second start: .ci/run starts one first)", () => {
    for (const isRoot of [true, false]) {
      for (const ci of [true, false]) {
        expect(planDocker({ ...freshRootDebian, engineAnswers: true, isRoot, ci, aptGet: false })).toEqual({ _tag: "Use" })
      }
    }
  })

  it("starts one as root when dockerd is installed or apt-get can install it", () => {
    expect(planDocker(freshRootDebian)).toEqual({ _tag: "Start" })
    expect(planDocker({ ...freshRootDebian, aptGet: false, dockerdInstalled: true })).toEqual({ _tag: "Start" })
    expect(planDocker({ ...freshRootDebian, ci: true })).toEqual({ _tag: "Start" })
  })

  it("skips with the reason and the fix when it cannot start one", () => {
    const notRoot = planDocker({ ...freshRootDebian, isRoot: false, dockerdInstalled: true })
    expect(notRoot).toMatchObject({ _tag: "Skip", reason: expect.stringContaining("root"), fix: expect.stringMatching(/sudo scripts\/start-dockerd\.sh/) })
    const noApt = planDocker({ ...freshRootDebian, aptGet: false })
    expect(noApt).toMatchObject({ _tag: "Skip", reason: expect.stringMatching(/apt-get/), fix: expect.stringMatching(/install Docker/) })
    const tcp = planDocker({ ...freshRootDebian, unixSocket: false })
    expect(tcp).toMatchObject({ _tag: "Skip", reason: expect.stringMatching(/DOCKER_HOST/) })
  })

  it("never skips under CI: the same cases fail instead", () => {
    for (const over of [{ isRoot: false }, { aptGet: false }, { unixSocket: false }, { optOut: true, isRoot: false }]) {
      const plan = planDocker({ ...freshRootDebian, ...over, ci: true })
      expect(plan._tag).toBe("Fail")
    }
    expect(planAfterFailedStart(true, "apt-get failed")._tag).toBe("Fail")
  })

  it("skips on request (SILVANA_TEST_DOCKER=skip), except under CI", () => {
    expect(planDocker({ ...freshRootDebian, engineAnswers: true, optOut: true })._tag).toBe("Skip")
    expect(planDocker({ ...freshRootDebian, engineAnswers: true, optOut: true, ci: true })._tag).toBe("Use")
    expect(planDocker({ ...freshRootDebian, optOut: true, ci: true })._tag).toBe("Start")
  })

  it("a failed start skips (fails under CI) with what the script said", () => {
    const plan = planAfterFailedStart(false, "dockerd exited during start-up")
    expect(plan).toMatchObject({ _tag: "Skip", reason: expect.stringMatching(/dockerd exited during start-up/) })
  })

  it("says it in one line", () => {
    for (const plan of [planDocker({ ...freshRootDebian, isRoot: false }), planDocker({ ...freshRootDebian, isRoot: false, ci: true })]) {
      if (plan._tag !== "Skip" && plan._tag !== "Fail") throw new Error(`unexpected ${plan._tag}`)
      const line = loudLine(plan)
      expect(line).not.toMatch(/\n/)
      expect(line).toMatch(plan._tag === "Skip" ? /SKIPPED/ : /WILL FAIL/)
      expect(line).toContain(plan.fix)
    }
  })
})
