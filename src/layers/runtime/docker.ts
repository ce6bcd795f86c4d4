/**
 * The Docker runtime: one container per agent session, through dockerode (spec/runtime.md).
 *
 * - Engine from `DOCKER_HOST`, else `/var/run/docker.sock` (dockerode's own defaults).
 * - Image present locally or pulled with retry, backoff, an overall timeout and optional
 *   credentials; `docker_sha256` checked against the image's repo digests and id (dockerImage.ts).
 * - Limits (memory, NanoCpus, pids), no privilege, `host.docker.internal:host-gateway`, the
 *   coordinator socket bind-mounted read-only at the same path, name and labels, TEE → host network.
 * - Race-free exit: the `wait?condition=next-exit` request is open (response headers received,
 *   so the engine has registered the waiter) before the container starts; no AutoRemove, the
 *   runtime removes the container itself.
 * - Logs are demultiplexed into bounded tails; every stream opened is destroyed.
 */
import Docker from "dockerode"
import * as fs from "node:fs"
import type { IncomingMessage } from "node:http"
import type { Readable } from "node:stream"
import { Deferred, Duration, Effect, Fiber, Layer, Option, type Scope } from "effect"
import {
  type AgentHandle,
  type AgentInfo,
  AgentRuntime,
  type AgentRuntimeService,
  type AgentSpec,
  type AgentStartError,
  AgentStartFailed,
  agentName,
  EngineUnavailable,
  type ExitInfo,
  LABELS,
  type LogTail,
  makeExit,
  ownerFromLabels,
  ownerLabels,
  type RuntimeOptions,
  forkRunLimit
} from "../AgentRuntime.js"
import { shortSecret } from "../../domain/redact.js"
import { demuxInto } from "./demux.js"
import {
  bridgeGateway,
  dockerAnswers,
  engineDown,
  errorText,
  imageDigests,
  makeImageEnsurer,
  type RegistryCredentials,
  statusOf
} from "./dockerImage.js"
import { TailBuffer } from "./logTail.js"

export interface DockerRuntimeOptions extends RuntimeOptions {
  readonly credentials: Option.Option<RegistryCredentials>
  /** Bound on pulling an image, all retries included (default 5 min). */
  readonly pullTimeoutMs?: number
  /** Pull attempts after the first (default 3). */
  readonly pullRetries?: number
  /** Processes a container may run (default 1024). */
  readonly pidsLimit?: number
  /** Memory when the method asks 0 (default 2 GiB). */
  readonly defaultMemoryBytes?: number
  /** CPU when the method asks 0, in cores (default 1). */
  readonly defaultCpus?: number
  /** `AGENT_CONTAINER_USER`: uid[:gid] or a user of the image; default the image's own. */
  readonly user?: string | undefined
  /** `AGENT_READ_ONLY_ROOTFS`: read-only root filesystem, a private tmpfs on /tmp. */
  readonly readOnlyRootfs?: boolean
  /** A client to use instead of dockerode's defaults (DOCKER_HOST / /var/run/docker.sock). */
  readonly docker?: Docker
}

export { bridgeGateway, dockerAnswers, imageDigests, type RegistryCredentials }

/** Reads the whole body of a stream (small JSON answers only). */
const readAll = (stream: Readable) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Array<Buffer> = []
    stream.on("data", (c: Buffer) => chunks.push(c))
    stream.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    stream.once("error", reject)
    stream.once("close", () => resolve(Buffer.concat(chunks).toString("utf8")))
  })

/** The host uid a container's processes have (no user namespaces): `AGENT_CONTAINER_USER`'s uid, else root. */
const containerUid = (user: string | undefined): number => {
  const uid = Number((user ?? "0").split(":")[0])
  return Number.isSafeInteger(uid) ? uid : 0
}

export const makeDockerRuntime = (options: DockerRuntimeOptions) =>
  Effect.gen(function* () {
    const docker = options.docker ?? new Docker()
    const pidsLimit = options.pidsLimit ?? 1024
    const live = new Set<AgentHandle>()

    const where = process.env["DOCKER_HOST"] ?? "/var/run/docker.sock"
    const hint = "start the engine (scripts/start-dockerd.sh) or set AGENT_RUNTIME=process"
    const health = Effect.tryPromise({
      try: async () => {
        await docker.ping()
        const v = await docker.version()
        return { kind: "docker" as const, version: v.Version }
      },
      catch: (e) => new EngineUnavailable({ message: `Docker engine at ${where} does not answer (${errorText(e)}); ${hint}` })
    }).pipe(
      Effect.timeoutFail({
        duration: Duration.seconds(5),
        onTimeout: () => new EngineUnavailable({ message: `Docker engine at ${where} did not answer within 5 s; ${hint}` })
      }),
      Effect.withSpan("AgentRuntime.health")
    )

    // A missing engine is a start-up error when this runtime is chosen.
    yield* health

    const ensureImage = makeImageEnsurer(docker, {
      credentials: options.credentials,
      pullTimeoutMs: options.pullTimeoutMs ?? 5 * 60_000,
      pullRetries: options.pullRetries ?? 3
    })

    /** Opens `wait?condition=next-exit`; resolves once the engine has answered with headers. */
    const openWait = (id: string) =>
      Effect.async<IncomingMessage, AgentStartFailed>((resume) => {
        docker.modem.dial(
          {
            path: `/containers/${id}/wait?`,
            method: "POST",
            isStream: true,
            statusCodes: { 200: true, 400: "bad parameter", 404: "no such container", 500: "server error" },
            options: { _query: { condition: "next-exit" }, _body: {} }
          },
          (err: unknown, res: unknown) =>
            resume(
              err
                ? Effect.fail(new AgentStartFailed({ name: id, message: `wait: ${errorText(err)}` }))
                : Effect.succeed(res as IncomingMessage)
            )
        )
      })

    const start = (spec: AgentSpec): Effect.Effect<AgentHandle, AgentStartError, Scope.Scope> =>
      Effect.gen(function* () {
        yield* ensureImage(spec.image, spec.imageSha256)
        const name = spec.name ?? agentName(spec.labels)
        const env: Record<string, string> = { ...spec.env }
        const binds: Array<string> = []
        if (spec.socketPath !== undefined) {
          // A bind source that does not exist would be created by the engine as a directory,
          // squatting the path the coordinator's socket belongs at.
          const socketPath = spec.socketPath
          const isSocket = yield* Effect.sync(() => {
            try {
              return fs.statSync(socketPath).isSocket()
            } catch {
              return false
            }
          })
          if (!isSocket) {
            return yield* new AgentStartFailed({ name, message: `coordinator socket ${socketPath} does not exist or is not a socket` })
          }
          env["COORDINATOR_SOCKET"] = spec.socketPath
          binds.push(`${spec.socketPath}:${spec.socketPath}:ro`)
        }
        const created = yield* Effect.tryPromise({
          try: () =>
            docker.createContainer({
              name,
              Image: spec.image,
              ...(spec.command === undefined ? {} : { Cmd: [...spec.command] }),
              Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
              Labels: ownerLabels(spec.labels),
              ...(options.user === undefined ? {} : { User: options.user }),
              Tty: false,
              AttachStdin: false,
              OpenStdin: false,
              HostConfig: {
                // A method asking 0 gets the documented defaults, never "unlimited".
                Memory: spec.memoryGb > 0 ? Math.round(spec.memoryGb * 1024 ** 3) : (options.defaultMemoryBytes ?? 2 * 1024 ** 3),
                NanoCpus: Math.round((spec.cpus > 0 ? spec.cpus : (options.defaultCpus ?? 1)) * 1e9),
                PidsLimit: pidsLimit,
                Privileged: false,
                CapDrop: ["ALL"],
                SecurityOpt: ["no-new-privileges:true"],
                ...(options.readOnlyRootfs === true ? { ReadonlyRootfs: true, Tmpfs: { "/tmp": "rw,noexec,nosuid,size=256m" } } : {}),
                ExtraHosts: ["host.docker.internal:host-gateway"],
                Binds: binds,
                AutoRemove: false,
                // The engine's copy of the logs is bounded too (the coordinator keeps only a tail). A
                // rotation while the coordinator's follower lags loses what the follower had not read
                // yet, so the files are large enough that an agent rarely rotates before it ends.
                LogConfig: { Type: "json-file", Config: { "max-size": "256m", "max-file": "2" } },
                ...(spec.requiresTee ? { NetworkMode: "host" } : {})
              }
            }),
          catch: (e) => new AgentStartFailed({ name, message: `create: ${errorText(e)}` })
        })
        const container = docker.getContainer(created.id)

        const stdout = new TailBuffer(options.logTailBytes)
        const stderr = new TailBuffer(options.logTailBytes)
        const exited = yield* Deferred.make<ExitInfo>()
        let timedOut = false
        let stopping = false
        let removed = false
        let started = false
        const streams = new Set<{ destroy: () => void }>()

        const logs = Effect.sync(
          (): LogTail => ({
            stdout: stdout.text(),
            stderr: stderr.text(),
            totalBytes: stdout.total + stderr.total,
            truncated: stdout.truncated || stderr.truncated
          })
        )

        const stop = (graceMs: number = options.stopGraceMs) =>
          Effect.gen(function* () {
            if (!started) {
              // Never started: there is no exit to wait for.
              yield* Deferred.succeed(exited, makeExit({ reason: "lost", exitCode: null, signal: null }, "container never started"))
            }
            if (!(yield* Deferred.isDone(exited))) {
              if (!timedOut) stopping = true
              yield* Effect.tryPromise(() => container.stop({ t: Math.max(1, Math.ceil(graceMs / 1000)) })).pipe(
                // 304: already stopped; 404: gone. Anything else: kill outright.
                Effect.catchAll((e) =>
                  statusOf(e) === 304 || statusOf(e) === 404 ? Effect.void : Effect.tryPromise(() => container.kill()).pipe(Effect.ignore)
                )
              )
            }
            // Interruptible: stop also runs in finalizers, where the timeout must still fire.
            return yield* Effect.interruptible(Deferred.await(exited)).pipe(
              Effect.timeoutTo({
                duration: Duration.millis(graceMs + 15_000),
                onSuccess: (x) => Effect.succeed(x),
                onTimeout: () => {
                  const lost = makeExit({ reason: "lost", exitCode: null, signal: null })
                  return Deferred.succeed(exited, lost).pipe(Effect.as(lost))
                }
              }),
              Effect.flatten
            )
          }).pipe(Effect.withSpan("AgentRuntime.stop", { attributes: { container: name } }))

        const remove = Effect.gen(function* () {
          if (removed) return
          removed = true
          yield* stop().pipe(Effect.ignore)
          for (const s of streams) s.destroy()
          yield* Effect.tryPromise(() => container.remove({ force: true, v: true })).pipe(
            Effect.catchAll((e) =>
              statusOf(e) === 404 || statusOf(e) === 409
                ? Effect.void
                : Effect.logWarning(`could not remove container ${name}: ${errorText(e)}`)
            )
          )
        }).pipe(Effect.withSpan("AgentRuntime.remove", { attributes: { container: name } }))

        let peer: AgentHandle["peer"]
        const handle: AgentHandle = {
          id: created.id,
          name,
          exit: Deferred.await(exited),
          logs,
          stop,
          remove,
          get peer() {
            return peer
          }
        }
        live.add(handle)
        // Closing the caller's scope stops (grace, kill) and removes the container.
        yield* Effect.addFinalizer(() => remove.pipe(Effect.ensuring(Effect.sync(() => live.delete(handle)))))

        const waitStream = yield* openWait(created.id)
        streams.add(waitStream)

        yield* Effect.tryPromise({
          try: () => container.start(),
          catch: (e) => new AgentStartFailed({ name, message: `start: ${errorText(e)}` })
        })
        started = true
        // Its own addresses (bridge networks), or on the host network the uid its sockets belong to.
        peer = yield* Effect.tryPromise(() => container.inspect()).pipe(
          Effect.map((i) => ({
            addresses: Object.values(i.NetworkSettings?.Networks ?? {}).flatMap((n) =>
              [n.IPAddress, n.GlobalIPv6Address].filter((a): a is string => typeof a === "string" && a !== "")
            ),
            ...(spec.requiresTee ? { uid: containerUid(options.user) } : {})
          })),
          Effect.orElseSucceed(() => ({ addresses: [] }))
        )

        // Follow the logs from the beginning (the engine keeps them from creation, so nothing is
        // lost however fast the agent exits) into the bounded tails.
        const logStream = yield* Effect.tryPromise({
          try: () => container.logs({ follow: true, stdout: true, stderr: true }) as unknown as Promise<Readable>,
          catch: (e) => new AgentStartFailed({ name, message: `logs: ${errorText(e)}` })
        })
        streams.add(logStream)
        const logsDone = new Promise<void>((resolve) => {
          const sink = demuxInto(stdout, stderr)
          logStream.once("end", resolve)
          logStream.once("close", resolve)
          logStream.once("error", () => resolve())
          logStream.pipe(sink)
        })

        const watcher = Effect.gen(function* () {
          const body = yield* Effect.tryPromise(() => readAll(waitStream)).pipe(Effect.orElseSucceed(() => ""))
          let code: number | null = null
          try {
            const parsed = JSON.parse(body) as { StatusCode?: number }
            code = typeof parsed.StatusCode === "number" ? parsed.StatusCode : null
          } catch {
            code = null
          }
          // Let the log stream drain: it ends once the engine has sent everything the container
          // wrote, which for a flood can take a while. Wait as long as bytes keep coming, but
          // give up after 2 s without progress so a stuck stream cannot hold the exit back.
          let seen = -1
          while (seen !== stdout.total + stderr.total) {
            seen = stdout.total + stderr.total
            const done = yield* Effect.promise(() => logsDone).pipe(Effect.timeout(Duration.seconds(2)), Effect.option)
            if (Option.isSome(done)) break
          }
          const state = yield* Effect.tryPromise(() => container.inspect()).pipe(
            Effect.map((i) => i.State),
            Effect.option
          )
          const oom = Option.exists(state, (s) => s.OOMKilled === true)
          if (code === null && Option.isSome(state) && !state.value.Running) code = state.value.ExitCode
          const info =
            code === null
              ? makeExit({ reason: "lost", exitCode: null, signal: null })
              : makeExit({
                  reason: timedOut ? "timeout" : stopping ? "stopped" : oom ? "oom" : "exited",
                  exitCode: code,
                  signal: null
                })
          yield* Deferred.succeed(exited, info)
        })
        const watcherFiber = yield* Effect.forkScoped(watcher)

        const timer = yield* forkRunLimit(name, spec.timeoutMs, () => (timedOut = true), Effect.suspend(() => stop()), Deferred.await(exited))
        // Remove first (its stop needs the watcher to see the exit), then end the fibers; the
        // earlier finalizer covers a failure before this point, and `remove` is idempotent.
        yield* Effect.addFinalizer(() =>
          remove.pipe(Effect.ensuring(Effect.zipRight(Fiber.interrupt(timer), Fiber.interrupt(watcherFiber))))
        )
        return handle
      }).pipe(
        Effect.withSpan("AgentRuntime.start", {
          attributes: { image: spec.image, session_id: shortSecret(spec.labels.sessionId), developer: spec.labels.developer }
        })
      )

    const list = (coordinatorId: string) =>
      Effect.tryPromise({
        try: () =>
          docker.listContainers({ all: true, filters: { label: [`${LABELS.coordinatorId}=${coordinatorId}`] } }),
        catch: engineDown("list containers")
      }).pipe(
        Effect.map((cs) =>
          cs.flatMap((c): Array<AgentInfo> => {
            const owner = ownerFromLabels(c.Labels)
            return owner === undefined
              ? []
              : [{ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ""), owner, running: c.State === "running" }]
          })
        ),
        Effect.withSpan("AgentRuntime.list")
      )

    const sweep = (coordinatorId: string, liveSessionIds: Iterable<string>) =>
      Effect.gen(function* () {
        const keep = new Set(liveSessionIds)
        const orphans = (yield* list(coordinatorId)).filter((a) => !keep.has(a.owner.sessionId))
        yield* Effect.forEach(
          orphans,
          (a) =>
            // An orphan's session is gone, so there is nobody to drain: kill and remove at once.
            Effect.tryPromise(() => docker.getContainer(a.id).remove({ force: true, v: true })).pipe(
              Effect.catchAll((e) =>
                statusOf(e) === 404 ? Effect.void : Effect.logWarning(`could not remove orphan ${a.name}: ${errorText(e)}`)
              )
            ),
          { concurrency: 4, discard: true }
        )
        if (orphans.length > 0) yield* Effect.logWarning(`swept ${orphans.length} orphan agent container(s)`)
        return orphans
      }).pipe(Effect.withSpan("AgentRuntime.sweep"))

    // Safety net: whatever is still running when the runtime itself goes away.
    yield* Effect.addFinalizer(() => Effect.forEach([...live], (h) => h.remove, { concurrency: "unbounded", discard: true }))

    // A numeric AGENT_CONTAINER_USER owns the session socket, so that the agent can connect to it.
    const numeric = /^(\d+)(?::(\d+))?$/.exec(options.user ?? "")
    const agentUser = numeric === null ? undefined : { uid: Number(numeric[1]), gid: Number(numeric[2] ?? numeric[1]) }
    return AgentRuntime.of({ kind: "docker", agentUser, start, list, sweep, health } satisfies AgentRuntimeService)
  })

/** The Docker runtime as the `AgentRuntime` layer; fails to build when no engine answers. */
export const dockerLayer = (options: DockerRuntimeOptions) => Layer.scoped(AgentRuntime, makeDockerRuntime(options))
