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
import { Duration, Effect, Fiber, Layer, type Option, type Scope } from "effect"
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
  LABELS,
  ownerFromLabels,
  ownerLabels,
  type RuntimeOptions,
  forkRunLimit
} from "../AgentRuntime.js"
import { shortSecret } from "../../domain/redact.js"
import { ContainerAgent, type ContainerLimits, containerConfig, openWait, socketMount } from "./dockerContainer.js"
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

/** The engine answers a ping and its version, within 5 s. */
const engineHealth = (docker: Docker) => {
  const where = process.env["DOCKER_HOST"] ?? "/var/run/docker.sock"
  const hint = "start the engine (scripts/start-dockerd.sh) or set AGENT_RUNTIME=process"
  return Effect.tryPromise({
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
}

/** The containers labelled as this coordinator's agents. */
const listAgents = (docker: Docker, coordinatorId: string) =>
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

/** Removes this coordinator's containers whose session is not live (what a crash left behind). */
const sweepAgents = (docker: Docker, coordinatorId: string, liveSessionIds: Iterable<string>) =>
  Effect.gen(function* () {
    const keep = new Set(liveSessionIds)
    const orphans = (yield* listAgents(docker, coordinatorId)).filter((a) => !keep.has(a.owner.sessionId))
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

export const makeDockerRuntime = (options: DockerRuntimeOptions) =>
  Effect.gen(function* () {
    const docker = options.docker ?? new Docker()
    const live = new Set<AgentHandle>()

    const health = engineHealth(docker)
    // A missing engine is a start-up error when this runtime is chosen.
    yield* health

    const ensureImage = makeImageEnsurer(docker, {
      credentials: options.credentials,
      pullTimeoutMs: options.pullTimeoutMs ?? 5 * 60_000,
      pullRetries: options.pullRetries ?? 3
    })

    const limits: ContainerLimits = {
      pidsLimit: options.pidsLimit ?? 1024,
      defaultMemoryBytes: options.defaultMemoryBytes ?? 2 * 1024 ** 3,
      defaultCpus: options.defaultCpus ?? 1,
      user: options.user,
      readOnlyRootfs: options.readOnlyRootfs === true
    }

    const start = (spec: AgentSpec): Effect.Effect<AgentHandle, AgentStartError, Scope.Scope> =>
      Effect.gen(function* () {
        yield* ensureImage(spec.image, spec.imageSha256)
        const name = spec.name ?? agentName(spec.labels)
        const { env, binds } = yield* socketMount(spec, name)
        const created = yield* Effect.tryPromise({
          try: () => docker.createContainer(containerConfig(spec, limits, { name, env, binds, labels: ownerLabels(spec.labels) })),
          catch: (e) => new AgentStartFailed({ name, message: `create: ${errorText(e)}` })
        })
        const agent = yield* ContainerAgent.make(docker.getContainer(created.id), name, options)
        const handle = agent.handle()
        live.add(handle)
        // Closing the caller's scope stops (grace, kill) and removes the container.
        yield* Effect.addFinalizer(() => handle.remove.pipe(Effect.ensuring(Effect.sync(() => live.delete(handle)))))

        const waitStream = yield* openWait(docker, created.id)
        agent.streams.add(waitStream)
        yield* Effect.tryPromise({
          try: () => agent.container.start(),
          catch: (e) => new AgentStartFailed({ name, message: `start: ${errorText(e)}` })
        })
        agent.started = true
        yield* agent.inspectPeer(spec, options.user)
        const logsDone = yield* agent.followLogs()
        const watcherFiber = yield* Effect.forkScoped(agent.watchExit(waitStream, logsDone))

        const timer = yield* forkRunLimit(name, spec.timeoutMs, () => (agent.timedOut = true), Effect.suspend(() => agent.stop()), agent.exit)
        // Remove first (its stop needs the watcher to see the exit), then end the fibers; the
        // earlier finalizer covers a failure before this point, and `remove` is idempotent.
        yield* Effect.addFinalizer(() =>
          handle.remove.pipe(Effect.ensuring(Effect.zipRight(Fiber.interrupt(timer), Fiber.interrupt(watcherFiber))))
        )
        return handle
      }).pipe(
        Effect.withSpan("AgentRuntime.start", {
          attributes: { image: spec.image, session_id: shortSecret(spec.labels.sessionId), developer: spec.labels.developer }
        })
      )

    const list = (coordinatorId: string) => listAgents(docker, coordinatorId)
    const sweep = (coordinatorId: string, liveSessionIds: Iterable<string>) => sweepAgents(docker, coordinatorId, liveSessionIds)

    // Safety net: whatever is still running when the runtime itself goes away.
    yield* Effect.addFinalizer(() => Effect.forEach([...live], (h) => h.remove, { concurrency: "unbounded", discard: true }))

    // A numeric AGENT_CONTAINER_USER owns the session socket, so that the agent can connect to it.
    const numeric = /^(\d+)(?::(\d+))?$/.exec(options.user ?? "")
    const agentUser = numeric === null ? undefined : { uid: Number(numeric[1]), gid: Number(numeric[2] ?? numeric[1]) }
    return AgentRuntime.of({ kind: "docker", agentUser, start, list, sweep, health } satisfies AgentRuntimeService)
  })

/** The Docker runtime as the `AgentRuntime` layer; fails to build when no engine answers. */
export const dockerLayer = (options: DockerRuntimeOptions) => Layer.scoped(AgentRuntime, makeDockerRuntime(options))
