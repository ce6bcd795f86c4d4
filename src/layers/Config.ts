/**
 * Config — every setting of the daemon, read from the environment once at start and validated.
 * Each variable is declared once in `settings` below (parser, default, description); the parsed
 * type, `config --help` and the printed configuration all follow from that table. A bad value
 * stops start-up with one line naming the variable; secrets are `Redacted` so they never reach a
 * log line (nor an error message).
 *
 * To add a setting: one entry in `settings` (a parser from config/fields.ts, its default or what
 * unset means, a description). Tuning values that are not environment variables live in one
 * defaults record per service, next to the service.
 */
import * as nodePath from "node:path"
import * as C from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { redactUrl } from "../domain/redact.js"
import * as F from "./config/fields.js"

export { formatConfigError, type HostPort, isAllInterfaces, MAX_MESSAGE_BYTES_CAP, parseHostPort, pseudoFilesystem } from "./config/fields.js"

export type AgentRuntimeKind = "docker" | "process"

const DEFAULT_TCP_PORT = 50051

/** The environment variables, in the order `config` prints them. */
export const settings = {
  suiRpcUrl: F.optional("SUI_RPC_URL", F.httpUrl, "Full node gRPC URL (sui.rpc.v2)", "the embedded demo: a localnet in this process"),
  suiChain: F.optional("SUI_CHAIN", F.text, "Chain name, used in job ids and shown by status", "localnet without SUI_RPC_URL, else devnet"),
  suiAddress: F.optional("SUI_ADDRESS", F.suiAddress, "The coordinator's address; checked against the key's", "the key's address"),
  suiPrivateKey: {
    name: "SUI_PRIVATE_KEY",
    description: "The coordinator's key (suiprivkey1…); SUI_SECRET_KEY is read when this is unset",
    unset: "required with SUI_RPC_URL",
    config: C.option(
      C.nested(F.secret, "SUI_PRIVATE_KEY").pipe(
        C.orElseIf({ if: ConfigError.isMissingDataOnly, orElse: () => C.nested(F.secret, "SUI_SECRET_KEY") })
      )
    ).pipe(C.withDescription("The coordinator's key"))
  } satisfies F.Setting<Option.Option<Redacted.Redacted<string>>>,
  registryPackage: F.optional("SILVANA_REGISTRY_PACKAGE", F.suiAddress, "Package id of the Silvana coordination package", "required with SUI_RPC_URL"),
  registry: F.optional("SILVANA_REGISTRY", F.suiAddress, "Object id of the Silvana registry", "required with SUI_RPC_URL"),
  appInstances: F.withDefault(
    "SILVANA_APP_INSTANCES",
    F.objectIds,
    [] as ReadonlyArray<string>,
    "App instances to follow from the start, comma-separated (others are picked up from their events)",
    "none"
  ),
  maxConcurrentAgents: F.withDefault("MAX_CONCURRENT_AGENTS", F.digits(1), 2, "Agents running at once, all triples together"),
  containerTimeoutSecs: F.withDefault("CONTAINER_TIMEOUT_SECS", F.digits(1), 300, "Seconds an agent may run before it is stopped"),
  dispatchPrefetch: F.withDefault("DISPATCH_PREFETCH", F.digits(1), 32, "Jobs started on chain ahead of their agent, per running agent of a triple"),
  maxAgentsPerTriple: F.withDefault("MAX_AGENTS_PER_TRIPLE", F.digits(1), 1, "Agents serving one developer/agent/method at once"),
  dockerUseTee: F.withDefault("DOCKER_USE_TEE", F.flag, false, "Run agents whose method requires a TEE (this host is one)"),
  agentRuntime: F.optional(
    "AGENT_RUNTIME",
    F.oneOf<AgentRuntimeKind>("docker", "process"),
    "Where agents run: docker (containers) or process (local processes, for development)",
    "docker when an engine answers, else process"
  ),
  sessionAuth: F.withDefault(
    "SESSION_AUTH",
    F.oneOf<"bound" | "strict">("bound", "strict"),
    "bound" as "bound" | "strict",
    "bound: a session's calls must come from its agent (own socket, container address or uid), a signature is checked when present; strict: every call must also be signed with SESSION_PRIVATE_KEY"
  ),
  agentProcessUser: F.withDefault(
    "AGENT_PROCESS_USER",
    F.digits(1),
    65534,
    "uid (gid the same) the process runtime runs agents as when the daemon runs as root; give it a uid of its own"
  ),
  agentContainerUser: F.optional("AGENT_CONTAINER_USER", F.text, "User agents' containers run as (uid[:gid] or a name in the image)", "the image's own user"),
  agentReadOnlyRootfs: F.withDefault("AGENT_READ_ONLY_ROOTFS", F.flag, false, "Run agents' containers with a read-only root filesystem (a tmpfs /tmp stays writable)"),
  grpcSocketPath: F.withDefault("GRPC_SOCKET_PATH", F.socketPath, "/tmp/coordinator.sock", "Unix socket of the agent API"),
  grpcSocketGroup: F.optional("GRPC_SOCKET_GROUP", F.text, "Group (name or gid) the agent socket is given to, mode 0660", "the daemon's group"),
  allowPublicListen: F.withDefault("ALLOW_PUBLIC_LISTEN", F.flag, false, "Allow HTTP_ADDRESS / GRPC_TCP_ADDRESS on all interfaces (0.0.0.0, ::)"),
  grpcTcpAddress: F.optional(
    "GRPC_TCP_ADDRESS",
    F.hostPort,
    "TCP listener of the agent API (what containers reach), host:port",
    `the Docker bridge gateway (else 127.0.0.1), port ${DEFAULT_TCP_PORT}`
  ),
  httpAddress: F.withDefault(
    "HTTP_ADDRESS",
    F.hostPort,
    { host: "127.0.0.1", port: 8080 } as F.HostPort,
    "Operator endpoint (/health, /ready, /metrics, /v1/*), host:port; /v1/* needs the bearer token in STATE_DIR/api-token",
    "127.0.0.1:8080"
  ),
  httpAllowedHosts: F.withDefault(
    "HTTP_ALLOWED_HOSTS",
    F.hostNames,
    [] as ReadonlyArray<string>,
    "Host names /v1/* answers to besides IP literals and localhost (DNS-rebinding guard), comma-separated",
    "none"
  ),
  stateDir: F.withDefault("STATE_DIR", F.stateDir, "./.silvana", "Directory of the journal, the lock and the embedded demo's chain"),
  logLevel: F.withDefault("LOG_LEVEL", F.logLevel, LogLevel.Info, "trace, debug, info, warn, error, fatal or none", "info"),
  otelEndpoint: F.optional("OTEL_EXPORTER_OTLP_ENDPOINT", F.httpUrl, "OTLP/HTTP endpoint traces are exported to", "no tracing"),
  grpcMaxMessageBytes: F.withDefault("GRPC_MAX_MESSAGE_BYTES", F.digits(1024, F.MAX_MESSAGE_BYTES_CAP), 16 * 1024 * 1024, "Largest request the agent API accepts, in bytes (at most 64 MiB)"),
  dockerUsername: F.optional("DOCKER_USERNAME", F.text, "Registry user for pulling agent images", "anonymous pulls"),
  dockerPassword: F.optional("DOCKER_PASSWORD", F.secret, "Registry password or token for DOCKER_USERNAME", "none"),
  secretsKey: F.optional(
    "SECRETS_KEY",
    F.secretKey32,
    "Key (32 bytes: 64 hex digits or base64) of the agents' secrets store, STATE_DIR/secrets.json, managed by `secrets set|list|delete`",
    "no secrets store: RetrieveSecret answers that none is configured"
  ),
  daBackend: F.withDefault("DA_BACKEND", F.oneOf("local", "walrus"), "local" as "local" | "walrus", "Where SubmitProof / SubmitState payloads go: files under STATE_DIR/da, or Walrus"),
  daMaxBytes: F.withDefault("DA_MAX_BYTES", F.digits(1024, F.MAX_MESSAGE_BYTES_CAP), 32 * 1024 * 1024, "Largest payload the data-availability store accepts, in bytes"),
  daCollectEverySecs: F.withDefault(
    "DA_COLLECT_EVERY_SECS",
    F.digits(0),
    600,
    "Seconds between garbage collections of the data-availability store (blobs nothing on chain references any more); 0 = never"
  ),
  daCollectMinAgeSecs: F.withDefault(
    "DA_COLLECT_MIN_AGE_SECS",
    F.digits(0),
    3_600,
    "Age in seconds under which a data-availability blob is kept even when unreferenced (its transaction may still be on its way)"
  ),
  walrusPublisherUrl: F.optional("WALRUS_PUBLISHER_URL", F.httpUrl, "Walrus publisher (HTTP API) blobs are stored through, with DA_BACKEND=walrus", "required with DA_BACKEND=walrus"),
  walrusAggregatorUrl: F.optional("WALRUS_AGGREGATOR_URL", F.httpUrl, "Walrus aggregator (HTTP API) blobs are read from, with DA_BACKEND=walrus", "required with DA_BACKEND=walrus"),
  walrusEpochs: F.withDefault("WALRUS_EPOCHS", F.digits(1, 200), 5, "Epochs a blob stored on Walrus is kept for"),
  agentStartAttempts: F.withDefault(
    "AGENT_START_ATTEMPTS",
    F.digits(1),
    5,
    "Failed agent starts in a row after which a triple's started jobs are failed on chain"
  ),
  pipeline: F.withDefault("PIPELINE", F.flag, true, "Run the proving pipeline for the followed app instances: create blocks, plan merges, keep a settle job per settlement chain"),
  pipelineBlocksEveryMs: F.withDefault("PIPELINE_BLOCKS_EVERY_MS", F.digits(10), 5_000, "Fallback period of the block check (it also runs when an instance gets new jobs and when its open block falls due), in ms"),
  pipelineMergesEveryMs: F.withDefault("PIPELINE_MERGES_EVERY_MS", F.digits(10), 5_000, "Fallback period of the merge planning (it also runs when a proof lands or is rejected, a block closes, or a prove or merge job ends), in ms"),
  pipelineSettleEveryMs: F.withDefault("PIPELINE_SETTLE_EVERY_MS", F.digits(10), 10_000, "Period of the check that every settlement chain has its settle job, in ms"),
  pipelineStatusEveryMs: F.withDefault("PIPELINE_STATUS_EVERY_MS", F.digits(10), 5_000, "Fallback period of the read of each followed instance for the pipeline's status and metrics (it also runs after each step of the pipeline), in ms"),
  agentStartBackoffMaxSecs: F.withDefault(
    "AGENT_START_BACKOFF_MAX_SECS",
    F.digits(1),
    60,
    "Longest back-off between agent starts of a triple that keep failing, in seconds"
  ),
  chainTruthEverySecs: F.withDefault(
    "CHAIN_TRUTH_EVERY_SECS",
    F.digits(1),
    30,
    "Seconds between comparisons of the journal with the chain (also run after every reconnect and replay gap)"
  ),
  chainTruthWindowSecs: F.withDefault(
    "CHAIN_TRUTH_WINDOW_SECS",
    F.digits(1),
    900,
    "How far back (seconds) settled operations are checked against the chain"
  ),
  agentIdleHandoffSecs: F.withDefault(
    "AGENT_IDLE_HANDOFF_SECS",
    F.digits(1),
    60,
    "Seconds an agent may go without calling GetJob before its started-but-not-taken jobs go to a fresh agent of the triple"
  ),
  heapGrowingPercent: F.withDefault(
    "HEAP_GROWING_PERCENT",
    F.digits(0, 400),
    50,
    "How far (%) the JavaScript heap may grow past what survived its last full collection before the next one; lower keeps memory after a burst of events smaller for more collector CPU; 0 = V8's own rule (up to 4x)"
  )
} as const

type Parsed = { readonly [K in keyof typeof settings]: C.Config.Success<(typeof settings)[K]["config"]> }

/** The coordinator's settings, parsed; `suiChain` is resolved (it follows the chain). */
export type CoordinatorConfig = Omit<Parsed, "suiChain"> & {
  readonly suiChain: string
  /** The operator API's token file (`<STATE_DIR>/api-token`; kept when a program nests `stateDir`). */
  readonly apiTokenFile?: string
  /** The variables the operator set (the others hold their defaults): a program may choose its own default. */
  readonly explicit: ReadonlySet<string>
}

/** Which of the settings' variables are set at all, whatever their values. */
const explicitSettings: C.Config<ReadonlySet<string>> = C.all(
  Object.values(settings).map((s) => C.map(C.option(C.string(s.name)), (v) => (Option.isSome(v) ? [s.name] : [])))
).pipe(C.map((names) => new Set(names.flat())))

/** The whole configuration as one `Config`, so that it can be read from any provider. */
export const coordinatorConfig: C.Config<CoordinatorConfig> = C.all({ ...F.configsOf(settings), explicit: explicitSettings }).pipe(
  C.mapOrFail((parsed) => {
    if (parsed.allowPublicListen) return Either.right(parsed)
    const open = (
      [
        ["HTTP_ADDRESS", Option.some(parsed.httpAddress)],
        ["GRPC_TCP_ADDRESS", parsed.grpcTcpAddress]
      ] as const
    ).find(([, a]) => Option.isSome(a) && F.isAllInterfaces(a.value.host))
    return open === undefined
      ? Either.right(parsed)
      : Either.left(
          ConfigError.InvalidData(
            [open[0]],
            "listening on all interfaces exposes the coordinator to the network; bind a specific address or set ALLOW_PUBLIC_LISTEN=true"
          )
        )
  }),
  C.mapOrFail((parsed) => {
    if (parsed.daBackend !== "walrus") return Either.right(parsed)
    const missing = (["WALRUS_PUBLISHER_URL", "WALRUS_AGGREGATOR_URL"] as const).find((n) =>
      Option.isNone(n === "WALRUS_PUBLISHER_URL" ? parsed.walrusPublisherUrl : parsed.walrusAggregatorUrl)
    )
    return missing === undefined ? Either.right(parsed) : Either.left(ConfigError.MissingData([missing], "required with DA_BACKEND=walrus"))
  }),
  C.map((parsed) => ({
    ...parsed,
    apiTokenFile: nodePath.join(parsed.stateDir, "api-token"),
    // The chain name follows the chain: the embedded localnet unless a node URL is given.
    suiChain: Option.getOrElse(parsed.suiChain, () => (Option.isSome(parsed.suiRpcUrl) ? "devnet" : "localnet"))
  }))
)

/** Values resolved at start (which runtime, which listeners), shown instead of "unset". */
export interface Resolved {
  readonly agentRuntime?: AgentRuntimeKind
  readonly grpcTcpAddress?: F.HostPort
  readonly httpAddress?: F.HostPort
}

/** `config --help`: every variable with its description and what leaving it unset means. */
export const configHelp = (): ReadonlyArray<F.Setting<unknown>> => Object.values(settings)

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

  /**
   * The effective configuration by variable name, secrets redacted (`silvana-coordinator config`,
   * `/v1/config`); `resolved` fills in what start-up decided for settings left unset.
   */
  static readonly render = (c: CoordinatorConfig, resolved: Resolved = {}): Record<string, F.Shown> => {
    const values: Record<string, unknown> = { ...c }
    for (const [k, v] of Object.entries(resolved)) if (v !== undefined) values[k] = v
    // Credentials hide in URLs (`https://user:SECRET@host/?apikey=KEY`): every URL is shown redacted.
    const show = (v: unknown): F.Shown => {
      const shown = F.showValue(v)
      return typeof shown === "string" && /^[a-z][a-z0-9+.-]*:\/\//i.test(shown) ? redactUrl(shown) : shown
    }
    return Object.fromEntries(Object.entries(settings).map(([key, s]) => [s.name, show(values[key])]))
  }
}
