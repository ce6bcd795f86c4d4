/**
 * The Docker runtime against a real engine: the example agent in a real container reaching a real
 * gRPC server through the mounted socket and through host.docker.internal; limits, labels and
 * name as inspected on the engine; timeout; crash with a 100 MB log flood; digest and pull errors.
 */
import Docker from "dockerode"
import { Effect, Exit, Option, Redacted, Scope } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import { type AgentRuntimeService, agentName, LABELS } from "../../src/layers/AgentRuntime.js"
import { makeDockerRuntime } from "../../src/layers/runtime/docker.js"
import { type FakeCoordinator, newSessionId, startFakeCoordinator } from "./fakeCoordinator.js"
import { describeDocker, requireDockerAndImage } from "./dockerSuite.js"
import { AGENT_IMAGE, crashACoordinator, newSession, repoRoot, scripts, specFor } from "./helpers.js"

const docker = new Docker()
const coordinatorId = `0x${"d0".repeat(32)}`
let fake: FakeCoordinator
let runtime: AgentRuntimeService
let runtimeScope: Scope.CloseableScope

const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Effect.scoped(effect))
const gone = async (id: string) =>
  docker
    .getContainer(id)
    .inspect()
    .then(
      () => false,
      (e: { statusCode?: number }) => e.statusCode === 404
    )

beforeAll(async () => {
  await requireDockerAndImage(docker)
  fake = await startFakeCoordinator()
  runtimeScope = Effect.runSync(Scope.make())
  runtime = await Effect.runPromise(
    makeDockerRuntime({ stopGraceMs: 1000, logTailBytes: 64 * 1024, credentials: Option.none(), pullRetries: 1, pullTimeoutMs: 10_000 }).pipe(
      Scope.extend(runtimeScope)
    )
  )
})

afterAll(async () => {
  if (runtimeScope) await Effect.runPromise(Scope.close(runtimeScope, Exit.void))
  await runtime?.sweep(coordinatorId, []).pipe(Effect.runPromise).catch(() => undefined)
  await fake?.close()
})

describeDocker("docker runtime", () => {
  it("runs the example agent, which takes jobs over the mounted socket and completes them", async () => {
    const s = newSession()
    const [ok1, ok2, bad] = fake.addSession(s, ["1,2,3", "[10, 20, 30]", "one,two"])
    const { exit, logs, id } = await run(
      Effect.gen(function* () {
        const h = yield* runtime.start(specFor(coordinatorId, s, fake))
        const exit = yield* h.exit
        return { exit, logs: yield* h.logs, id: h.id }
      })
    )
    expect(exit).toMatchObject({ reason: "exited", exitCode: 0 })
    expect(fake.completed.get(ok1!)).toBe(s.sessionId)
    expect(fake.completed.get(ok2!)).toBe(s.sessionId)
    expect(fake.failed.get(bad!)?.message).toMatch(/bad job data/)
    const mine = fake.messages.filter((m) => m.sessionId === s.sessionId).map((m) => m.message)
    expect(mine[0]).toMatch(/add agent started/)
    expect(mine).toContain("sum of 3 numbers = 6")
    expect(mine).toContain("sum of 3 numbers = 60")
    expect(logs.totalBytes).toBeGreaterThanOrEqual(0)
    // Closing the scope removed the container.
    expect(await gone(id)).toBe(true)
  })

  it("reaches the coordinator over TCP as host.docker.internal", async () => {
    const s = newSession()
    const [job] = fake.addSession(s, ["40,2"])
    const spec = specFor(coordinatorId, s, undefined, {
      env: {
        ...specFor(coordinatorId, s, undefined).env,
        COORDINATOR_URL: `http://host.docker.internal:${fake.tcpPort}`
      }
    })
    const exit = await run(Effect.flatMap(runtime.start(spec), (h) => h.exit))
    expect(exit).toMatchObject({ reason: "exited", exitCode: 0 })
    expect(fake.completed.get(job!)).toBe(s.sessionId)
    expect(fake.messages.some((m) => m.sessionId === s.sessionId && m.message === "sum of 2 numbers = 42")).toBe(true)
  })

  it("creates the container with the env, limits, mounts, labels and name of the contract", async () => {
    const s = newSession()
    const spec = specFor(coordinatorId, s, fake, { memoryGb: 0.5, cpus: 1.5, command: scripts.hang })
    const id = await run(
      Effect.gen(function* () {
        const h = yield* runtime.start(spec)
        const info = yield* Effect.promise(() => docker.getContainer(h.id).inspect())
        expect(info.Name).toBe(`/${agentName(spec.labels)}`)
        expect(info.Name).toMatch(/^\/silvana-test-dev-add-agent-sum-[0-9a-f]{12}$/)
        expect(info.State.Running).toBe(true)
        const env = new Set(info.Config.Env)
        for (const [k, v] of Object.entries(spec.env)) expect(env.has(`${k}=${v}`)).toBe(true)
        expect(env.has(`COORDINATOR_SOCKET=${fake.socketPath}`)).toBe(true)
        expect(info.HostConfig.Memory).toBe(512 * 1024 * 1024)
        expect(info.HostConfig.NanoCpus).toBe(1_500_000_000)
        expect(info.HostConfig.PidsLimit).toBeGreaterThan(0)
        expect(info.HostConfig.Privileged).toBe(false)
        expect(info.HostConfig.AutoRemove).toBe(false)
        expect(info.HostConfig.ExtraHosts).toContain("host.docker.internal:host-gateway")
        expect(info.HostConfig.NetworkMode).not.toBe("host")
        const mount = info.Mounts.find((m) => m.Destination === fake.socketPath)
        expect(mount).toMatchObject({ Source: fake.socketPath, RW: false })
        expect(info.Config.Labels).toMatchObject({
          [LABELS.coordinatorId]: coordinatorId,
          [LABELS.sessionId]: s.sessionId,
          [LABELS.developer]: s.developer,
          [LABELS.agent]: s.agent,
          [LABELS.agentMethod]: s.agentMethod
        })
        const listed = yield* runtime.list(coordinatorId)
        expect(listed.find((a) => a.id === h.id)).toMatchObject({ running: true, owner: { sessionId: s.sessionId } })
        return h.id
      })
    )
    expect(await gone(id)).toBe(true)
  })

  it("runs TEE methods with host networking", async () => {
    const s = newSession()
    await run(
      Effect.gen(function* () {
        const h = yield* runtime.start(specFor(coordinatorId, s, fake, { requiresTee: true, command: scripts.hang }))
        const info = yield* Effect.promise(() => docker.getContainer(h.id).inspect())
        expect(info.HostConfig.NetworkMode).toBe("host")
      })
    )
  })

  it("stop() asks the agent to end (SIGTERM) and reports `stopped`", async () => {
    const net = await import("node:net")
    // A coordinator that accepts connections and never answers: the agent waits on its first call.
    const silent = net.createServer(() => {})
    const connected = new Promise<void>((resolve) => silent.once("connection", () => resolve()))
    await new Promise<void>((r) => silent.listen(0, fake.tcpHost, () => r()))
    const port = (silent.address() as { port: number }).port
    const s = newSession()
    try {
      const { exit, logs } = await run(
        Effect.gen(function* () {
          const base = specFor(coordinatorId, s, undefined)
          const h = yield* runtime.start({ ...base, env: { ...base.env, COORDINATOR_URL: `http://host.docker.internal:${port}` } })
          // Wait until the agent is up and blocked on the silent coordinator.
          yield* Effect.promise(() => connected)
          return { exit: yield* h.stop(30_000), logs: yield* h.logs }
        })
      )
      // The example agent handles SIGTERM, so no kill was needed: 143 = 128 + SIGTERM.
      expect(exit).toMatchObject({ reason: "stopped", exitCode: 143 })
      expect(logs.stderr).toContain("SIGTERM")
    } finally {
      silent.close()
    }
  })

  it("stops, kills and removes an agent that outlives its timeout, reporting `timeout`", async () => {
    const s = newSession()
    const { exit, id } = await run(
      Effect.gen(function* () {
        const h = yield* runtime.start(specFor(coordinatorId, s, fake, { timeoutMs: 1500, command: scripts.ignoreTerm }))
        return { exit: yield* h.exit, id: h.id }
      })
    )
    expect(exit.reason).toBe("timeout")
    expect(exit.message).toBe("timeout")
    // It ignored SIGTERM, so only the kill after the grace period ended it.
    expect(exit.exitCode).toBe(137)
    expect(await gone(id)).toBe(true)
  })

  it("reports a crash's exit code and keeps a bounded tail of a 100 MB log flood", async () => {
    const s = newSession()
    const before = process.memoryUsage().rss
    const { exit, logs } = await run(
      Effect.gen(function* () {
        const h = yield* runtime.start(specFor(coordinatorId, s, fake, { command: scripts.flood100MbThenExit3 }))
        return { exit: yield* h.exit, logs: yield* h.logs }
      })
    )
    expect(exit).toMatchObject({ reason: "exited", exitCode: 3, message: "container terminated: exit code 3" })
    expect(logs.totalBytes).toBeGreaterThanOrEqual(100 * 1024 * 1024)
    expect(logs.truncated).toBe(true)
    expect(Buffer.byteLength(logs.stdout)).toBeLessThanOrEqual(64 * 1024)
    expect(logs.stdout.endsWith("a".repeat(1000))).toBe(true)
    expect(logs.stderr).toContain("done flooding")
    // A coordinator that buffered the flood would have grown by far more than this.
    expect(process.memoryUsage().rss - before).toBeLessThan(90 * 1024 * 1024)
  })

  it("refuses an image whose digest is not the registry method's", async () => {
    const s = newSession()
    const result = await Effect.runPromise(
      Effect.scoped(runtime.start(specFor(coordinatorId, s, fake, { imageSha256: `sha256:${"0".repeat(64)}`, command: scripts.hang }))).pipe(
        Effect.flip
      )
    )
    expect(result._tag).toBe("ImageDigestMismatch")
    expect(result.message).toMatch(/digest mismatch/)
    // The right digest (the image id, for a locally built image) is accepted.
    const imageId = (await docker.getImage(AGENT_IMAGE).inspect()).Id
    const exit = await run(
      Effect.flatMap(runtime.start(specFor(coordinatorId, newSession(), fake, { imageSha256: imageId, command: ["-e", "process.exit(0)"] })), (h) => h.exit)
    )
    expect(exit.exitCode).toBe(0)
  })

  it("fails with ImagePullFailed for an image it cannot get", async () => {
    const s = newSession()
    const result = await Effect.runPromise(
      Effect.scoped(runtime.start(specFor(coordinatorId, s, fake, { image: "silvana-test/absent-image:never" }))).pipe(Effect.flip)
    )
    expect(result._tag).toBe("ImagePullFailed")
    expect((await runtime.list(coordinatorId).pipe(Effect.runPromise)).some((a) => a.owner.sessionId === s.sessionId)).toBe(false)
  })

  it("sweeps the containers a crashed coordinator left behind, sparing live sessions", async () => {
    const crashedCoordinator = `0x${"ee".repeat(32)}`
    const orphanSession = newSessionId()
    const orphanId = await crashACoordinator("docker", repoRoot, crashedCoordinator, orphanSession)
    // The crash ran no finalizer: the container is still there, running, with its labels.
    expect((await docker.getContainer(orphanId).inspect()).State.Running).toBe(true)
    // A live session of the same coordinator must survive the sweep.
    const liveSession = newSession()
    await run(
      Effect.gen(function* () {
        const live = yield* runtime.start(specFor(crashedCoordinator, liveSession, fake, { command: scripts.hang }))
        const swept = yield* runtime.sweep(crashedCoordinator, [liveSession.sessionId])
        expect(swept.map((a) => [a.id, a.owner.sessionId])).toEqual([[orphanId, orphanSession]])
        expect((yield* runtime.list(crashedCoordinator)).map((a) => a.id)).toEqual([live.id])
      })
    )
    expect(await gone(orphanId)).toBe(true)
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABELS.coordinatorId}=${crashedCoordinator}`] } })
    expect(left).toEqual([])
  })
})

describeDocker("docker runtime image pulls", () => {
  it("retries a failing pull with backoff, then reports ImagePullFailed", async () => {
    const net = await import("node:net")
    let connections = 0
    // A "registry" that hangs up on every connection: each pull attempt fails fast.
    const server = net.createServer((s) => {
      connections += 1
      s.destroy()
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
    const port = (server.address() as { port: number }).port
    const scope = Effect.runSync(Scope.make())
    const pullWith = async (pullRetries: number) => {
      const rt = await Effect.runPromise(
        makeDockerRuntime({ stopGraceMs: 1000, logTailBytes: 1024, credentials: Option.none(), pullRetries, pullTimeoutMs: 30_000 }).pipe(
          Scope.extend(scope)
        )
      )
      const before = connections
      const error = await Effect.runPromise(
        Effect.scoped(rt.start(specFor(coordinatorId, newSession(), fake, { image: `127.0.0.1:${port}/silvana/absent:1` }))).pipe(Effect.flip)
      )
      return { error, connections: connections - before }
    }
    try {
      // The engine may dial the registry more than once per pull (https, then http): measure one
      // attempt, then expect exactly three times that with two retries.
      const once = await pullWith(0)
      expect(once.error._tag).toBe("ImagePullFailed")
      expect(once.connections).toBeGreaterThan(0)
      const retried = await pullWith(2)
      expect(retried.error._tag).toBe("ImagePullFailed")
      expect(retried.connections).toBe(3 * once.connections)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      server.close()
    }
  })

  it("sends the registry credentials, and does not retry an image the registry does not have", async () => {
    const http = await import("node:http")
    const requests: Array<{ path: string; auth: string | undefined }> = []
    // A registry that asks for Basic credentials, then has no such manifest.
    const registry = http.createServer((req, res) => {
      requests.push({ path: `${req.method} ${req.url}`, auth: req.headers.authorization })
      if (req.headers.authorization === undefined) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="test"', "Docker-Distribution-API-Version": "registry/2.0" })
        return res.end()
      }
      res.writeHead(404, { "Content-Type": "application/json" })
      res.end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }))
    })
    await new Promise<void>((r) => registry.listen(0, "127.0.0.1", () => r()))
    const port = (registry.address() as { port: number }).port
    const scope = Effect.runSync(Scope.make())
    try {
      const rt = await Effect.runPromise(
        makeDockerRuntime({
          stopGraceMs: 1000,
          logTailBytes: 1024,
          credentials: Option.some({ username: "alice", password: Option.some(Redacted.make("s3cret")) }),
          pullRetries: 2,
          pullTimeoutMs: 30_000
        }).pipe(Scope.extend(scope))
      )
      const error = await Effect.runPromise(
        Effect.scoped(rt.start(specFor(coordinatorId, newSession(), fake, { image: `127.0.0.1:${port}/silvana/private:1` }))).pipe(Effect.flip)
      )
      expect(error._tag).toBe("ImagePullFailed")
      expect(error.message).toMatch(/manifest unknown/)
      const authed = requests.filter((r) => r.auth !== undefined)
      expect(authed.length).toBeGreaterThan(0)
      for (const r of authed) expect(r.auth).toBe(`Basic ${Buffer.from("alice:s3cret").toString("base64")}`)
      // A missing manifest is permanent: one pull, no retries.
      expect(requests.filter((r) => r.path === "GET /v2/silvana/private/manifests/1")).toHaveLength(1)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      registry.close()
    }
  })

  it("bounds a pull by the pull timeout", async () => {
    const net = await import("node:net")
    const sockets = new Set<import("node:net").Socket>()
    // A "registry" that accepts and never answers.
    const server = net.createServer((s) => {
      sockets.add(s)
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
    const port = (server.address() as { port: number }).port
    const scope = Effect.runSync(Scope.make())
    try {
      const rt = await Effect.runPromise(
        makeDockerRuntime({ stopGraceMs: 1000, logTailBytes: 1024, credentials: Option.none(), pullRetries: 0, pullTimeoutMs: 1500 }).pipe(
          Scope.extend(scope)
        )
      )
      const error = await Effect.runPromise(
        Effect.scoped(rt.start(specFor(coordinatorId, newSession(), fake, { image: `127.0.0.1:${port}/silvana/slow:1` }))).pipe(Effect.flip)
      )
      expect(error._tag).toBe("ImagePullFailed")
      expect(error.message).toMatch(/did not finish within 1500 ms/)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      for (const s of sockets) s.destroy()
      server.close()
    }
  })
})
