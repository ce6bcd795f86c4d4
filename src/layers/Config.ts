/**
 * Config — every setting of the daemon, read from the environment once at start and validated.
 * A bad value stops start-up with one line naming the variable; secrets are `Redacted` so they
 * never reach a log line.
 */
import { Config as C, ConfigError, ConfigProvider, Context, Effect, Either, Layer, LogLevel, Option, Redacted } from "effect"

export type AgentRuntimeKind = "docker" | "process"

export interface HostPort {
  readonly host: string
  readonly port: number
}

export interface CoordinatorConfig {
  /** Full node gRPC URL; `None` runs the embedded localnet. */
  readonly suiRpcUrl: Option.Option<string>
  readonly suiChain: string
  readonly suiAddress: Option.Option<string>
  readonly suiPrivateKey: Option.Option<Redacted.Redacted<string>>
  readonly registryPackage: Option.Option<string>
  readonly registry: Option.Option<string>
  /** App instances to follow from the start (others are picked up from their events). */
  readonly appInstances: ReadonlyArray<string>
  readonly maxConcurrentAgents: number
  readonly containerTimeoutSecs: number
  /** Started-but-not-taken jobs allowed per running agent of a triple. */
  readonly dispatchPrefetch: number
  /** Agents serving one triple at once. */
  readonly maxAgentsPerTriple: number
  readonly dockerUseTee: boolean
  /** `None`: docker when an engine answers, else process. */
  readonly agentRuntime: Option.Option<AgentRuntimeKind>
  readonly grpcSocketPath: string
  /** `None`: the Docker bridge gateway (or loopback when there is none), port 50051. */
  readonly grpcTcpAddress: Option.Option<HostPort>
  readonly httpAddress: HostPort
  readonly stateDir: string
  readonly logLevel: LogLevel.LogLevel
  readonly otelEndpoint: Option.Option<string>
  /** Largest request the agent API accepts, in bytes. */
  readonly grpcMaxMessageBytes: number
  readonly dockerUsername: Option.Option<string>
  readonly dockerPassword: Option.Option<Redacted.Redacted<string>>
  /** Failed agent starts in a row after which a triple's started jobs are failed on chain. */
  readonly agentStartAttempts: number
  /** Longest back-off between agent starts of a triple that keep failing, in seconds. */
  readonly agentStartBackoffMaxSecs: number
}

// The path is filled in by `Config` with the variable name.
const invalid = (_name: string, message: string) => ConfigError.InvalidData([], message)

const positiveInt = (name: string, def: number) =>
  C.string(name).pipe(
    C.mapOrFail((raw) => {
      const n = Number(raw.trim())
      return Number.isSafeInteger(n) && n > 0
        ? Either.right(n)
        : Either.left(invalid(name, `expected a positive integer, got ${JSON.stringify(raw)}`))
    }),
    C.withDefault(def)
  )

const bool = (name: string, def: boolean) =>
  C.string(name).pipe(
    C.mapOrFail((raw) => {
      const v = raw.trim().toLowerCase()
      if (["1", "true", "yes", "on"].includes(v)) return Either.right(true)
      if (["0", "false", "no", "off", ""].includes(v)) return Either.right(false)
      return Either.left(invalid(name, `expected true or false, got ${JSON.stringify(raw)}`))
    }),
    C.withDefault(def)
  )

/** Parses `host:port`, `[v6]:port` or `:port` (loopback). */
export const parseHostPort = (raw: string): Either.Either<HostPort, string> => {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(raw.trim())
  if (!m) return Either.left(`expected host:port, got ${JSON.stringify(raw)}`)
  const port = Number(m[3])
  if (port < 0 || port > 65535) return Either.left(`port out of range in ${JSON.stringify(raw)}`)
  const host = m[1] ?? (m[2] === "" ? "127.0.0.1" : m[2]!)
  return Either.right({ host, port })
}

const hostPort = (name: string) =>
  C.string(name).pipe(C.mapOrFail((raw) => Either.mapLeft(parseHostPort(raw), (msg) => invalid(name, msg))))

const suiAddress = (name: string) =>
  C.string(name).pipe(
    C.mapOrFail((raw) => {
      const v = raw.trim().toLowerCase()
      return /^0x[0-9a-f]{1,64}$/.test(v)
        ? Either.right(`0x${v.slice(2).padStart(64, "0")}`)
        : Either.left(invalid(name, `expected a Sui address (0x + up to 64 hex digits), got ${JSON.stringify(raw)}`))
    })
  )

const grpcUrl = (name: string) =>
  C.string(name).pipe(
    C.mapOrFail((raw) => {
      try {
        const u = new URL(raw.trim())
        return u.protocol === "http:" || u.protocol === "https:"
          ? Either.right(raw.trim().replace(/\/+$/, ""))
          : Either.left(invalid(name, `expected an http(s) URL, got ${JSON.stringify(raw)}`))
      } catch {
        return Either.left(invalid(name, `expected an http(s) URL, got ${JSON.stringify(raw)}`))
      }
    })
  )

const logLevel = (name: string) =>
  C.string(name).pipe(
    C.mapOrFail((raw) => {
      const v = raw.trim().toLowerCase()
      const found = LogLevel.allLevels.find((l) => l.label.toLowerCase() === v || (v === "warn" && l._tag === "Warning"))
      return found
        ? Either.right(found)
        : Either.left(invalid(name, `expected one of trace, debug, info, warn, error, fatal, none; got ${JSON.stringify(raw)}`))
    }),
    C.withDefault(LogLevel.Info)
  )

const nonEmpty = (name: string) =>
  C.string(name).pipe(
    C.mapOrFail((raw) =>
      raw.trim() === "" ? Either.left(invalid(name, "must not be empty")) : Either.right(raw.trim())
    )
  )

/** The whole configuration as one `Config`, so that it can be read from any provider. */
export const coordinatorConfig: C.Config<CoordinatorConfig> = C.all({
  suiRpcUrl: C.option(grpcUrl("SUI_RPC_URL")),
  suiChainRaw: C.option(nonEmpty("SUI_CHAIN")),
  suiAddress: C.option(suiAddress("SUI_ADDRESS")),
  suiPrivateKey: C.option(C.redacted(nonEmpty("SUI_PRIVATE_KEY")).pipe(C.orElse(() => C.redacted(nonEmpty("SUI_SECRET_KEY"))))),
  registryPackage: C.option(suiAddress("SILVANA_REGISTRY_PACKAGE")),
  registry: C.option(suiAddress("SILVANA_REGISTRY")),
  appInstances: C.string("SILVANA_APP_INSTANCES").pipe(
    C.mapOrFail((raw) => {
      const ids = raw.split(",").map((x) => x.trim().toLowerCase()).filter((x) => x !== "")
      const bad = ids.find((x) => !/^(0x)?[0-9a-f]{1,64}$/.test(x))
      return bad !== undefined
        ? Either.left(invalid("SILVANA_APP_INSTANCES", `expected comma-separated object ids, got ${JSON.stringify(bad)}`))
        : Either.right(ids.map((x) => `0x${x.replace(/^0x/, "").padStart(64, "0")}`))
    }),
    C.withDefault([] as ReadonlyArray<string>)
  ),
  maxConcurrentAgents: positiveInt("MAX_CONCURRENT_AGENTS", 2),
  containerTimeoutSecs: positiveInt("CONTAINER_TIMEOUT_SECS", 300),
  dispatchPrefetch: positiveInt("DISPATCH_PREFETCH", 32),
  maxAgentsPerTriple: positiveInt("MAX_AGENTS_PER_TRIPLE", 1),
  dockerUseTee: bool("DOCKER_USE_TEE", false),
  agentRuntime: C.option(
    C.string("AGENT_RUNTIME").pipe(
      C.mapOrFail((raw) => {
        const v = raw.trim().toLowerCase()
        return v === "docker" || v === "process"
          ? Either.right(v as AgentRuntimeKind)
          : Either.left(invalid("AGENT_RUNTIME", `expected docker or process, got ${JSON.stringify(raw)}`))
      })
    )
  ),
  grpcSocketPath: nonEmpty("GRPC_SOCKET_PATH").pipe(C.withDefault("/tmp/coordinator.sock")),
  grpcTcpAddress: C.option(hostPort("GRPC_TCP_ADDRESS")),
  httpAddress: hostPort("HTTP_ADDRESS").pipe(C.withDefault({ host: "127.0.0.1", port: 8080 })),
  stateDir: nonEmpty("STATE_DIR").pipe(C.withDefault("./.silvana")),
  logLevel: logLevel("LOG_LEVEL"),
  otelEndpoint: C.option(grpcUrl("OTEL_EXPORTER_OTLP_ENDPOINT")),
  grpcMaxMessageBytes: positiveInt("GRPC_MAX_MESSAGE_BYTES", 16 * 1024 * 1024),
  dockerUsername: C.option(nonEmpty("DOCKER_USERNAME")),
  dockerPassword: C.option(C.redacted(nonEmpty("DOCKER_PASSWORD"))),
  agentStartAttempts: positiveInt("AGENT_START_ATTEMPTS", 5),
  agentStartBackoffMaxSecs: positiveInt("AGENT_START_BACKOFF_MAX_SECS", 60)
}).pipe(
  C.map(({ suiChainRaw, ...rest }) => ({
    ...rest,
    // The chain name follows the chain: the embedded localnet unless a node URL is given.
    suiChain: Option.getOrElse(suiChainRaw, () => (Option.isSome(rest.suiRpcUrl) ? "devnet" : "localnet"))
  }))
)

/** Renders a config failure as the one line start-up prints (`VAR: what is wrong`). */
export const formatConfigError = (error: ConfigError.ConfigError): string => {
  const lines: Array<string> = []
  const walk = (e: ConfigError.ConfigError): void => {
    switch (e._op) {
      case "And":
      case "Or":
        walk(e.left)
        walk(e.right)
        return
      case "InvalidData":
      case "MissingData":
      case "SourceUnavailable":
      case "Unsupported":
        lines.push(`${e.path.join(".")}: ${e.message}`)
        return
    }
  }
  walk(error)
  return `invalid configuration: ${[...new Set(lines)].join("; ")}`
}

/** The coordinator's settings, loaded once. */
export class Config extends Context.Tag("silvana/Config")<Config, CoordinatorConfig>() {
  /** Reads the current `ConfigProvider` (the environment by default). */
  static readonly layer = Layer.effect(Config, coordinatorConfig)

  /** A config built from a map of variables, for tests and embedding. */
  static readonly layerFromEnv = (env: Record<string, string>) =>
    Layer.effect(
      Config,
      Effect.withConfigProvider(coordinatorConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))
    )

  /** Redacts secrets so the effective config can be printed (`silvana-coordinator config`). */
  static readonly render = (c: CoordinatorConfig): Record<string, string | number | boolean | null> => ({
    SUI_RPC_URL: Option.getOrNull(c.suiRpcUrl),
    SUI_CHAIN: c.suiChain,
    SUI_ADDRESS: Option.getOrNull(c.suiAddress),
    SUI_PRIVATE_KEY: Option.isSome(c.suiPrivateKey) ? "<redacted>" : null,
    SILVANA_REGISTRY_PACKAGE: Option.getOrNull(c.registryPackage),
    SILVANA_REGISTRY: Option.getOrNull(c.registry),
    SILVANA_APP_INSTANCES: c.appInstances.join(","),
    MAX_CONCURRENT_AGENTS: c.maxConcurrentAgents,
    CONTAINER_TIMEOUT_SECS: c.containerTimeoutSecs,
    DISPATCH_PREFETCH: c.dispatchPrefetch,
    MAX_AGENTS_PER_TRIPLE: c.maxAgentsPerTriple,
    DOCKER_USE_TEE: c.dockerUseTee,
    AGENT_RUNTIME: Option.getOrNull(c.agentRuntime),
    GRPC_SOCKET_PATH: c.grpcSocketPath,
    GRPC_TCP_ADDRESS: Option.match(c.grpcTcpAddress, { onNone: () => null, onSome: (a) => `${a.host}:${a.port}` }),
    HTTP_ADDRESS: `${c.httpAddress.host}:${c.httpAddress.port}`,
    STATE_DIR: c.stateDir,
    LOG_LEVEL: c.logLevel.label,
    OTEL_EXPORTER_OTLP_ENDPOINT: Option.getOrNull(c.otelEndpoint),
    GRPC_MAX_MESSAGE_BYTES: c.grpcMaxMessageBytes,
    DOCKER_USERNAME: Option.getOrNull(c.dockerUsername),
    DOCKER_PASSWORD: Option.isSome(c.dockerPassword) ? "<redacted>" : null,
    AGENT_START_ATTEMPTS: c.agentStartAttempts,
    AGENT_START_BACKOFF_MAX_SECS: c.agentStartBackoffMaxSecs
  })
}
