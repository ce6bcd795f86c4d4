/**
 * Docker helpers: engine probes, the bridge gateway, and getting an agent's image — present
 * locally, or pulled with retry, exponential backoff, an overall timeout and optional registry
 * credentials — then checking `docker_sha256` against the image's repo digests and id.
 */
import Docker from "dockerode"
import * as os from "node:os"
import type { Readable } from "node:stream"
import { Duration, Effect, Option, Redacted, Schedule } from "effect"
import { EngineUnavailable, ImageDigestMismatch, ImagePullFailed } from "../AgentRuntime.js"

export interface RegistryCredentials {
  readonly username: string
  readonly password: Option.Option<Redacted.Redacted<string>>
}

export interface ImageOptions {
  readonly credentials: Option.Option<RegistryCredentials>
  readonly pullTimeoutMs: number
  readonly pullRetries: number
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))
export const statusOf = (e: unknown): number | undefined =>
  typeof e === "object" && e !== null && "statusCode" in e ? (e as { statusCode: number }).statusCode : undefined

export const engineDown = (what: string) => (e: unknown) =>
  new EngineUnavailable({ message: `Docker engine: ${what}: ${errorText(e)}` })

/** True when a Docker engine answers `/_ping` within `timeout` (used to pick the runtime). */
export const dockerAnswers = (timeout: Duration.DurationInput, docker: Docker = new Docker()) =>
  Effect.tryPromise(() => docker.ping()).pipe(
    Effect.timeout(timeout),
    Effect.as(true),
    Effect.orElseSucceed(() => false)
  )

/**
 * The Docker bridge gateway — what containers reach as `host.docker.internal` — from the engine.
 * (Node's interface list omits docker0 while no container runs, because the link is down.)
 */
export const bridgeGateway = (docker: Docker = new Docker()) =>
  Effect.tryPromise(
    () => docker.getNetwork("bridge").inspect() as Promise<{ IPAM?: { Config?: Array<{ Gateway?: string; Subnet?: string }> } }>
  ).pipe(
    Effect.map((n) => {
      const configs = (n.IPAM?.Config ?? []).filter((c) => c.Subnet?.includes(".") ?? c.Gateway?.includes(".") ?? false)
      const explicit = configs.find((c) => c.Gateway !== undefined)?.Gateway
      if (explicit !== undefined) return Option.some(explicit)
      // Without an explicit gateway the engine gives the bridge the subnet's first address.
      const subnet = configs.find((c) => c.Subnet !== undefined)?.Subnet
      const m = subnet === undefined ? null : /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet)
      if (m === null) return Option.none<string>()
      const base = ((+m[1]! << 24) | (+m[2]! << 16) | (+m[3]! << 8) | +m[4]!) >>> 0
      const mask = +m[5]! === 0 ? 0 : (0xffffffff << (32 - +m[5]!)) >>> 0
      const first = (((base & mask) >>> 0) + 1) >>> 0
      return Option.some([first >>> 24, (first >>> 16) & 255, (first >>> 8) & 255, first & 255].join("."))
    }),
    Effect.orElseSucceed(() => Option.none<string>())
  )

/**
 * The agent API's default TCP host: the Docker bridge gateway (what containers reach as
 * host.docker.internal), else loopback. `docker0` is missing from `os.networkInterfaces()` while
 * its link is down (no container runs), so the engine is asked when the interface list does not
 * show it.
 */
export const defaultTcpHost = Effect.suspend(() => {
  const v4 = os.networkInterfaces()["docker0"]?.find((a) => a.family === "IPv4")
  if (v4 !== undefined) return Effect.succeed(v4.address)
  return bridgeGateway().pipe(
    Effect.timeout(Duration.seconds(2)),
    Effect.map(Option.getOrElse(() => "127.0.0.1")),
    Effect.orElseSucceed(() => "127.0.0.1")
  )
})

/**
 * The runtime agents get when AGENT_RUNTIME is unset: docker when an engine answers (and, for the
 * embedded demo, has the demo's image — a pull that cannot work is never tried), else process.
 */
export const resolveAgentRuntime = (options: { readonly requireImage?: string } = {}, docker: Docker = new Docker()) =>
  Effect.gen(function* () {
    if (!(yield* dockerAnswers(Duration.seconds(2), docker))) return { kind: "process" as const, why: "no Docker engine answered" }
    if (options.requireImage === undefined) return { kind: "docker" as const, why: "the Docker engine answered" }
    const image = yield* Effect.tryPromise(() => docker.getImage(options.requireImage!).inspect()).pipe(Effect.option)
    return Option.isSome(image)
      ? { kind: "docker" as const, why: `the Docker engine has ${options.requireImage}` }
      : { kind: "process" as const, why: `Docker answers but has no ${options.requireImage} image (scripts/build-agent-image.sh builds it)` }
  })

const normalizeDigest = (d: string) => d.trim().toLowerCase().replace(/^sha256:/, "")

/** The digests an image is known by: its repo digests (`repo@sha256:…`) and its id. */
export const imageDigests = (info: { readonly Id: string; readonly RepoDigests?: ReadonlyArray<string> | undefined }) => [
  ...(info.RepoDigests ?? []).map((d) => d.slice(d.indexOf("@") + 1)),
  info.Id
]

/** `ensureImage(image, sha256)`: the image is present (pulled if needed) and has the digest asked for. */
export const makeImageEnsurer = (docker: Docker, { credentials, pullRetries, pullTimeoutMs }: ImageOptions) => {
const authconfig = Option.match(credentials, {
  onNone: () => undefined,
  onSome: (c) => ({
    username: c.username,
    password: Option.match(c.password, { onNone: () => "", onSome: Redacted.value })
  })
})

const pullOnce = (image: string) =>
  Effect.async<void, ImagePullFailed>((resume) => {
    let stream: Readable | undefined
    docker.pull(image, authconfig === undefined ? {} : { authconfig }, (err?: unknown, raw?: NodeJS.ReadableStream) => {
      if (err) return resume(Effect.fail(new ImagePullFailed({ image, message: errorText(err) })))
      const s = raw as Readable
      stream = s
      docker.modem.followProgress(s, (err2: unknown, output: Array<{ error?: string }>) => {
        const failed = err2 ? errorText(err2) : output.find((o) => o.error !== undefined)?.error
        resume(failed === undefined ? Effect.void : Effect.fail(new ImagePullFailed({ image, message: failed })))
      })
    })
    return Effect.sync(() => stream?.destroy())
  })

// Errors no retry will fix: the image or the credentials are wrong.
const permanent = (e: ImagePullFailed) => /not found|unauthorized|denied|manifest unknown|invalid reference/i.test(e.message)

const inspectImage = (image: string) =>
  Effect.tryPromise({ try: () => docker.getImage(image).inspect(), catch: (e) => e }).pipe(
    Effect.map(Option.some),
    Effect.catchAll((e) =>
      statusOf(e) === 404 ? Effect.succeed(Option.none()) : Effect.fail(engineDown(`inspect image ${image}`)(e))
    )
  )

const ensureImage = Effect.fn("AgentRuntime.ensureImage")(function* (image: string, sha256: string | undefined) {
  let info = yield* inspectImage(image)
  if (Option.isNone(info)) {
    yield* Effect.logInfo(`pulling image ${image}`)
    yield* pullOnce(image).pipe(
      Effect.retry({
        schedule: Schedule.exponential(Duration.millis(500), 2).pipe(Schedule.intersect(Schedule.recurs(pullRetries))),
        while: (e) => !permanent(e)
      }),
      Effect.timeoutFail({
        duration: Duration.millis(pullTimeoutMs),
        onTimeout: () => new ImagePullFailed({ image, message: `pull did not finish within ${pullTimeoutMs} ms` })
      })
    )
    info = yield* inspectImage(image)
    if (Option.isNone(info)) return yield* new ImagePullFailed({ image, message: "pulled, but the engine does not have it" })
  }
  if (sha256 !== undefined && sha256.trim() !== "") {
    const expected = normalizeDigest(sha256)
    const actual = imageDigests(info.value)
    if (!actual.some((d) => normalizeDigest(d) === expected)) {
      return yield* new ImageDigestMismatch({ image, expected, actual })
    }
  }
})

  return ensureImage
}
