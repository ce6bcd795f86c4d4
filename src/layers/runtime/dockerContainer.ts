/**
 * One agent's container, from creation to removal: the configuration it is created with, the
 * engine waiter opened before it starts, its logs followed into bounded tails, its exit decided
 * once (exited, stopped, timeout, oom or lost), and an idempotent stop and remove.
 */
import type Docker from "dockerode"
import * as fs from "node:fs"
import type { IncomingMessage } from "node:http"
import type { Readable } from "node:stream"
import { Deferred, Duration, Effect, Option } from "effect"
import { type AgentHandle, type AgentSpec, AgentStartFailed, type ExitInfo, makeExit } from "../AgentRuntime.js"
import { demuxInto } from "./demux.js"
import { errorText, statusOf } from "./dockerImage.js"
import { OutputTails } from "./logTail.js"

/** The container settings the runtime's options decide (see DockerRuntimeOptions). */
export interface ContainerLimits {
  readonly pidsLimit: number
  readonly defaultMemoryBytes: number
  readonly defaultCpus: number
  readonly user?: string | undefined
  readonly readOnlyRootfs: boolean
}

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

/**
 * The agent's environment and binds: the coordinator socket, when given, is mounted read-only at
 * its own path. A bind source that does not exist would be created by the engine as a directory,
 * squatting the path the coordinator's socket belongs at: it must be a socket already.
 */
export const socketMount = (spec: AgentSpec, name: string) =>
  Effect.gen(function* () {
    const env: Record<string, string> = { ...spec.env }
    const binds: Array<string> = []
    const socketPath = spec.socketPath
    if (socketPath === undefined) return { env, binds }
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
    env["COORDINATOR_SOCKET"] = socketPath
    binds.push(`${socketPath}:${socketPath}:ro`)
    return { env, binds }
  })

/** What the container is created with: limits, no privilege, its labels, TEE → host network. */
export const containerConfig = (
  spec: AgentSpec,
  limits: ContainerLimits,
  created: { readonly name: string; readonly env: Readonly<Record<string, string>>; readonly binds: ReadonlyArray<string>; readonly labels: Record<string, string> }
): Docker.ContainerCreateOptions => ({
  name: created.name,
  Image: spec.image,
  ...(spec.command === undefined ? {} : { Cmd: [...spec.command] }),
  Env: Object.entries(created.env).map(([k, v]) => `${k}=${v}`),
  Labels: created.labels,
  ...(limits.user === undefined ? {} : { User: limits.user }),
  Tty: false,
  AttachStdin: false,
  OpenStdin: false,
  HostConfig: {
    // A method asking 0 gets the documented defaults, never "unlimited".
    Memory: spec.memoryGb > 0 ? Math.round(spec.memoryGb * 1024 ** 3) : limits.defaultMemoryBytes,
    NanoCpus: Math.round((spec.cpus > 0 ? spec.cpus : limits.defaultCpus) * 1e9),
    PidsLimit: limits.pidsLimit,
    Privileged: false,
    CapDrop: ["ALL"],
    SecurityOpt: ["no-new-privileges:true"],
    ...(limits.readOnlyRootfs ? { ReadonlyRootfs: true, Tmpfs: { "/tmp": "rw,noexec,nosuid,size=256m" } } : {}),
    ExtraHosts: ["host.docker.internal:host-gateway"],
    Binds: [...created.binds],
    AutoRemove: false,
    // The engine's copy of the logs is bounded too (the coordinator keeps only a tail). A
    // rotation while the coordinator's follower lags loses what the follower had not read
    // yet, so the files are large enough that an agent rarely rotates before it ends.
    LogConfig: { Type: "json-file", Config: { "max-size": "256m", "max-file": "2" } },
    ...(spec.requiresTee ? { NetworkMode: "host" } : {})
  }
})

/** Opens `wait?condition=next-exit`; resolves once the engine has answered with headers. */
export const openWait = (docker: Docker, id: string) =>
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

/** A created container and what the runtime knows of it; its exit is decided once. */
export class ContainerAgent {
  readonly tails: OutputTails
  timedOut = false
  stopping = false
  started = false
  private removed = false
  private peer: AgentHandle["peer"]
  /** Every stream opened on the engine for it; destroyed on removal. */
  readonly streams = new Set<{ destroy: () => void }>()

  constructor(
    readonly container: Docker.Container,
    readonly name: string,
    private readonly exited: Deferred.Deferred<ExitInfo>,
    private readonly stopGraceMs: number,
    logTailBytes: number
  ) {
    this.tails = new OutputTails(logTailBytes)
  }

  static make = (container: Docker.Container, name: string, options: { readonly stopGraceMs: number; readonly logTailBytes: number }) =>
    Effect.map(Deferred.make<ExitInfo>(), (exited) => new ContainerAgent(container, name, exited, options.stopGraceMs, options.logTailBytes))

  /** Asks the container to stop (kill if the engine refuses), then waits for its exit, bounded. */
  stop(graceMs: number = this.stopGraceMs): Effect.Effect<ExitInfo> {
    const self = this
    return Effect.gen(function* () {
      if (!self.started) {
        // Never started: there is no exit to wait for.
        yield* Deferred.succeed(self.exited, makeExit({ reason: "lost", exitCode: null, signal: null }, "container never started"))
      }
      if (!(yield* Deferred.isDone(self.exited))) {
        if (!self.timedOut) self.stopping = true
        yield* Effect.tryPromise(() => self.container.stop({ t: Math.max(1, Math.ceil(graceMs / 1000)) })).pipe(
          // 304: already stopped; 404: gone. Anything else: kill outright.
          Effect.catchAll((e) =>
            statusOf(e) === 304 || statusOf(e) === 404 ? Effect.void : Effect.tryPromise(() => self.container.kill()).pipe(Effect.ignore)
          )
        )
      }
      // Interruptible: stop also runs in finalizers, where the timeout must still fire.
      return yield* Effect.interruptible(Deferred.await(self.exited)).pipe(
        Effect.timeoutTo({
          duration: Duration.millis(graceMs + 15_000),
          onSuccess: (x) => Effect.succeed(x),
          onTimeout: () => {
            const lost = makeExit({ reason: "lost", exitCode: null, signal: null })
            return Deferred.succeed(self.exited, lost).pipe(Effect.as(lost))
          }
        }),
        Effect.flatten
      )
    }).pipe(Effect.withSpan("AgentRuntime.stop", { attributes: { container: this.name } }))
  }

  /** Stops it, closes its streams and removes the container with its volumes. Idempotent. */
  remove(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.removed) return Effect.void
      this.removed = true
      return this.stop().pipe(
        Effect.ignore,
        Effect.zipRight(Effect.sync(() => this.streams.forEach((s) => s.destroy()))),
        Effect.zipRight(
          Effect.tryPromise(() => this.container.remove({ force: true, v: true })).pipe(
            Effect.catchAll((e) =>
              statusOf(e) === 404 || statusOf(e) === 409
                ? Effect.void
                : Effect.logWarning(`could not remove container ${this.name}: ${errorText(e)}`)
            )
          )
        )
      )
    }).pipe(Effect.withSpan("AgentRuntime.remove", { attributes: { container: this.name } }))
  }

  /** The handle the runtime hands out. */
  handle(): AgentHandle {
    const self = this
    return {
      id: this.container.id,
      name: this.name,
      exit: Deferred.await(this.exited),
      logs: Effect.sync(() => this.tails.view()),
      stop: (graceMs) => this.stop(graceMs),
      remove: this.remove(),
      get peer() {
        return self.peer
      }
    }
  }

  /** Its own addresses (bridge networks), or on the host network the uid its sockets belong to. */
  inspectPeer(spec: AgentSpec, user: string | undefined): Effect.Effect<void> {
    return Effect.tryPromise(() => this.container.inspect()).pipe(
      Effect.map((i) => ({
        addresses: Object.values(i.NetworkSettings?.Networks ?? {}).flatMap((n) =>
          [n.IPAddress, n.GlobalIPv6Address].filter((a): a is string => typeof a === "string" && a !== "")
        ),
        ...(spec.requiresTee ? { uid: containerUid(user) } : {})
      })),
      Effect.orElseSucceed(() => ({ addresses: [] })),
      Effect.map((peer) => {
        this.peer = peer
      })
    )
  }

  /**
   * Follows the logs from the beginning (the engine keeps them from creation, so nothing is lost
   * however fast the agent exits) into the bounded tails; the promise settles when the stream ends.
   */
  followLogs(): Effect.Effect<Promise<void>, AgentStartFailed> {
    return Effect.tryPromise({
      try: () => this.container.logs({ follow: true, stdout: true, stderr: true }) as unknown as Promise<Readable>,
      catch: (e) => new AgentStartFailed({ name: this.name, message: `logs: ${errorText(e)}` })
    }).pipe(
      Effect.map((logStream) => {
        this.streams.add(logStream)
        return new Promise<void>((resolve) => {
          const sink = demuxInto(this.tails.stdout, this.tails.stderr)
          logStream.once("end", resolve)
          logStream.once("close", resolve)
          logStream.once("error", () => resolve())
          logStream.pipe(sink)
        })
      })
    )
  }

  /** Reads the waiter's answer, lets the logs drain, and decides the exit. */
  watchExit(waitStream: Readable, logsDone: Promise<void>): Effect.Effect<void> {
    const self = this
    return Effect.gen(function* () {
      const body = yield* Effect.tryPromise(() => readAll(waitStream)).pipe(Effect.orElseSucceed(() => ""))
      let code = statusCodeOf(body)
      // Let the log stream drain: it ends once the engine has sent everything the container
      // wrote, which for a flood can take a while. Wait as long as bytes keep coming, but
      // give up after 2 s without progress so a stuck stream cannot hold the exit back.
      let seen = -1
      while (seen !== self.tails.total) {
        seen = self.tails.total
        const done = yield* Effect.promise(() => logsDone).pipe(Effect.timeout(Duration.seconds(2)), Effect.option)
        if (Option.isSome(done)) break
      }
      const state = yield* Effect.tryPromise(() => self.container.inspect()).pipe(Effect.map((i) => i.State), Effect.option)
      const oom = Option.exists(state, (s) => s.OOMKilled === true)
      if (code === null && Option.isSome(state) && !state.value.Running) code = state.value.ExitCode
      const info =
        code === null
          ? makeExit({ reason: "lost", exitCode: null, signal: null })
          : makeExit({ reason: self.timedOut ? "timeout" : self.stopping ? "stopped" : oom ? "oom" : "exited", exitCode: code, signal: null })
      yield* Deferred.succeed(self.exited, info)
    })
  }

  /** Completes once the container has ended. */
  get exit(): Effect.Effect<ExitInfo> {
    return Deferred.await(this.exited)
  }
}

/** The `StatusCode` of the engine's wait answer, if it has one. */
const statusCodeOf = (body: string): number | null => {
  try {
    const parsed = JSON.parse(body) as { StatusCode?: number }
    return typeof parsed.StatusCode === "number" ? parsed.StatusCode : null
  } catch {
    return null
  }
}
