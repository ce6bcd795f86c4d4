/**
 * A real agent container started by the Docker runtime, as the daemon starts one: its own session
 * socket (0600, owned by the container user) from a real AgentApi running SESSION_AUTH=strict, the
 * session's real key, AGENT_CONTAINER_USER and a read-only root filesystem. Inspected on the engine
 * (caps, no-new-privileges, limits and their defaults when the method asks 0, mounts, user, root fs)
 * and checked from inside (uid, effective capabilities, NoNewPrivs, what is writable); the example
 * agent completes its job with signed calls under all of it.
 */
import Docker from "dockerode"
import { Effect, Exit, Option, Redacted, Scope } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import type { AgentRuntimeService, AgentSpec } from "../../src/layers/AgentRuntime.js"
import { AgentApi } from "../../src/layers/AgentApi.js"
import { makeDockerRuntime } from "../../src/layers/runtime/docker.js"
import { Sessions } from "../../src/layers/Sessions.js"
import { makeJob, startApi, tripleA } from "../api/fixture.js"
import { describeDocker, requireDockerAndImage } from "./dockerSuite.js"
import { AGENT_IMAGE } from "./helpers.js"

const docker = new Docker()
const coordinatorId = `0x${"e1".repeat(32)}`
const MiB = 1024 * 1024
let api: Awaited<ReturnType<typeof startApi>>
let hardened: AgentRuntimeService
let plain: AgentRuntimeService
let runtimeScope: Scope.CloseableScope

beforeAll(async () => {
  await requireDockerAndImage(docker)
  api = await startApi({ sessionAuth: "strict" })
  runtimeScope = Effect.runSync(Scope.make())
  const base = { stopGraceMs: 1000, logTailBytes: 64 * 1024, credentials: Option.none(), pullRetries: 1, pullTimeoutMs: 10_000 }
  ;[hardened, plain] = await Effect.runPromise(
    Effect.all([
      makeDockerRuntime({ ...base, user: "65534:65534", readOnlyRootfs: true, pidsLimit: 256, defaultMemoryBytes: 768 * MiB, defaultCpus: 0.5 }),
      makeDockerRuntime(base)
    ]).pipe(Scope.extend(runtimeScope))
  )
}, 120_000)

afterAll(async () => {
  if (runtimeScope) await Effect.runPromise(Scope.close(runtimeScope, Exit.void))
  await api?.close()
})

/** A live session of the API, with its own socket (owned by the container user) for the scope. */
const sessionWithSocket = Effect.gen(function* () {
  const session = yield* Effect.flatMap(Sessions, (s) => s.create(tripleA))
  const socketPath = yield* Effect.flatMap(AgentApi, (a) => a.openSessionSocket(session.id, { uid: 65534, gid: 65534 }))
  return { session, socketPath }
})

const specOf = (s: Effect.Effect.Success<typeof sessionWithSocket>, over: Partial<AgentSpec> = {}): AgentSpec => ({
  image: AGENT_IMAGE,
  env: {
    CHAIN: "localnet", COORDINATOR_ID: coordinatorId, SESSION_ID: s.session.id, SESSION_PRIVATE_KEY: Redacted.value(s.session.privateKey),
    DEVELOPER: tripleA.developer, AGENT: tripleA.agent, AGENT_METHOD: tripleA.agentMethod
  },
  memoryGb: 0,
  cpus: 0,
  requiresTee: false,
  labels: { coordinatorId, sessionId: s.session.id, ...tripleA },
  timeoutMs: 120_000,
  socketPath: s.socketPath,
  ...over
})

/** Runs in the container: who it is, its capabilities and privileges flag, and what it may write. */
const probe = [
  "-e",
  `const fs = require("fs"); const st = fs.readFileSync("/proc/self/status", "utf8");
   const field = (k) => (st.match(new RegExp("^" + k + ":\\\\s*(\\\\S+)", "m")) || [])[1];
   const writes = (p) => { try { fs.writeFileSync(p, "x"); return true } catch (e) { return e.code } };
   console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), capEff: field("CapEff"), capBnd: field("CapBnd"),
     noNewPrivs: field("NoNewPrivs"), root: writes("/probe"), tmp: writes("/tmp/probe"), socketMode: (fs.statSync(process.env.COORDINATOR_SOCKET).mode & 0o777).toString(8) }))`
]

describeDocker("a hardened agent container", () => {
  it("is created with CapDrop ALL, no-new-privileges, the default limits for a method asking 0, the user, a read-only root and only its session's socket; the agent completes its job", async () => {
    const jobId = await api.addStarted(makeJob(700, tripleA, "[20,22]"))
    const { exit, info, socketPath, sessionId } = await api.run(
      Effect.scoped(
        Effect.gen(function* () {
          const s = yield* sessionWithSocket
          const h = yield* hardened.start(specOf(s))
          const exit = yield* h.exit
          // the container is kept until the scope closes: inspect it after the agent finished
          const info = yield* Effect.promise(() => docker.getContainer(h.id).inspect())
          return { exit, info, socketPath: s.socketPath, sessionId: s.session.id }
        })
      )
    )
    expect(exit).toMatchObject({ reason: "exited", exitCode: 0 })
    const report = (await api.reports()).find((r) => r.jobId === jobId)
    expect(report).toMatchObject({ kind: "complete" })

    const hc = info.HostConfig
    expect(hc.CapDrop).toEqual(["ALL"])
    expect(hc.CapAdd ?? []).toEqual([])
    expect(hc.SecurityOpt).toEqual(["no-new-privileges:true"])
    expect(hc.Privileged).toBe(false)
    expect(hc.Memory).toBe(768 * MiB)
    expect(hc.NanoCpus).toBe(500_000_000)
    expect(hc.PidsLimit).toBe(256)
    expect(hc.ReadonlyRootfs).toBe(true)
    expect(Object.keys(hc.Tmpfs ?? {})).toEqual(["/tmp"])
    expect(info.Config.User).toBe("65534:65534")
    expect(hc.NetworkMode).not.toBe("host")
    // one mount: this session's own socket, read-only; never the shared socket
    expect(info.Mounts).toHaveLength(1)
    expect(info.Mounts[0]).toMatchObject({ Type: "bind", Source: socketPath, Destination: socketPath, RW: false })
    expect(socketPath).toMatch(new RegExp(`\\.sessions/${sessionId.slice(2, 18)}\\.sock$`))
    expect(info.Mounts.some((m) => m.Source === api.options.socketPath)).toBe(false)
    expect(info.Config.Env).toContain(`COORDINATOR_SOCKET=${socketPath}`)
  }, 180_000)

  it("inside: runs as the configured uid with no capabilities and NoNewPrivs; / is read-only, /tmp writable; the socket is 0600", async () => {
    const { exit, stdout } = await api.run(
      Effect.scoped(
        Effect.gen(function* () {
          const s = yield* sessionWithSocket
          const h = yield* hardened.start(specOf(s, { command: probe }))
          const exit = yield* h.exit
          return { exit, stdout: (yield* h.logs).stdout }
        })
      )
    )
    expect(exit).toMatchObject({ reason: "exited", exitCode: 0 })
    const seen = JSON.parse(stdout.trim().split("\n").pop()!)
    expect(seen).toEqual({ uid: 65534, gid: 65534, capEff: "0000000000000000", capBnd: "0000000000000000", noNewPrivs: "1", root: "EROFS", tmp: true, socketMode: "600" })
  }, 180_000)

  it("a container presenting another session's id (and that session's key) on its socket is refused; nothing is handed out", async () => {
    const jobId = await api.addStarted(makeJob(701, tripleA, "[1,2]"))
    const { exit, logs } = await api.run(
      Effect.scoped(
        Effect.gen(function* () {
          const mine = yield* sessionWithSocket
          const other = yield* Effect.flatMap(Sessions, (x) => x.create(tripleA))
          const spec = specOf(mine)
          const h = yield* hardened.start({ ...spec, env: { ...spec.env, SESSION_ID: other.id, SESSION_PRIVATE_KEY: Redacted.value(other.privateKey) } })
          return { exit: yield* h.exit, logs: yield* h.logs }
        })
      )
    )
    expect(exit.exitCode).not.toBe(0)
    expect(`${logs.stdout}${logs.stderr}`).toMatch(/this socket belongs to another session/)
    expect((await api.reports()).some((r) => r.jobId === jobId)).toBe(false)
  }, 180_000)

  it("by default: the method's own limits, the image's user and a writable root, still CapDrop ALL and no-new-privileges", async () => {
    const info = await api.run(
      Effect.scoped(
        Effect.gen(function* () {
          const s = yield* sessionWithSocket
          const h = yield* plain.start(specOf(s, { memoryGb: 0.5, cpus: 1.5, command: ["-e", "setInterval(() => {}, 1000)"] }))
          return yield* Effect.promise(() => docker.getContainer(h.id).inspect())
        })
      )
    )
    const hc = info.HostConfig
    expect(hc.CapDrop).toEqual(["ALL"])
    expect(hc.SecurityOpt).toEqual(["no-new-privileges:true"])
    expect(hc.Memory).toBe(512 * MiB)
    expect(hc.NanoCpus).toBe(1_500_000_000)
    expect(hc.PidsLimit).toBe(1024)
    expect(hc.ReadonlyRootfs).toBe(false)
    expect(info.Config.User).toBe("")
  }, 180_000)

  it("a method asking 0 without configured defaults gets 2 GiB and 1 CPU, never unlimited", async () => {
    const info = await api.run(
      Effect.scoped(
        Effect.gen(function* () {
          const s = yield* sessionWithSocket
          const h = yield* plain.start(specOf(s, { command: ["-e", "setInterval(() => {}, 1000)"] }))
          return yield* Effect.promise(() => docker.getContainer(h.id).inspect())
        })
      )
    )
    expect(info.HostConfig.Memory).toBe(2 * 1024 * MiB)
    expect(info.HostConfig.NanoCpus).toBe(1_000_000_000)
  }, 180_000)
})
