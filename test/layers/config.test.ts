import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option, Redacted } from "effect"
import { coordinatorConfig, Config, formatConfigError } from "../../src/layers/Config.js"

const load = (env: Record<string, string>) =>
  Effect.runSync(
    Effect.either(Effect.withConfigProvider(coordinatorConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))
  )

describe("Config", () => {
  it("defaults match the design table", () => {
    const c = Either.getOrThrow(load({}))
    expect(Option.isNone(c.suiRpcUrl)).toBe(true)
    expect(c.suiChain).toBe("localnet")
    expect(c.maxConcurrentAgents).toBe(2)
    expect(c.containerTimeoutSecs).toBe(300)
    expect(c.dockerUseTee).toBe(false)
    expect(Option.isNone(c.agentRuntime)).toBe(true)
    expect(c.grpcSocketPath).toBe("/tmp/coordinator.sock")
    expect(Option.isNone(c.grpcTcpAddress)).toBe(true)
    expect(c.httpAddress).toEqual({ host: "127.0.0.1", port: 8080 })
    expect(c.stateDir).toBe("./.silvana")
    expect(c.logLevel.label).toBe("INFO")
  })

  it("reads every variable; the chain defaults to devnet once a node URL is set", () => {
    const c = Either.getOrThrow(
      load({
        SUI_RPC_URL: "https://fullnode.testnet.sui.io:443",
        SUI_ADDRESS: "0xABC",
        SUI_SECRET_KEY: "suiprivkey1qqqq",
        SILVANA_REGISTRY_PACKAGE: "0x1",
        SILVANA_REGISTRY: "0x2",
        MAX_CONCURRENT_AGENTS: "8",
        CONTAINER_TIMEOUT_SECS: "60",
        DOCKER_USE_TEE: "true",
        AGENT_RUNTIME: "process",
        GRPC_SOCKET_PATH: "/run/silvana.sock",
        GRPC_TCP_ADDRESS: "0.0.0.0:6000",
        ALLOW_PUBLIC_LISTEN: "true",
        HTTP_ADDRESS: ":9090",
        STATE_DIR: "/var/lib/silvana",
        LOG_LEVEL: "warn",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318"
      })
    )
    expect(c.suiChain).toBe("devnet")
    expect(c.suiAddress).toEqual(Option.some(`0x${"abc".padStart(64, "0")}`))
    expect(Redacted.value(Option.getOrThrow(c.suiPrivateKey))).toBe("suiprivkey1qqqq")
    expect(c.maxConcurrentAgents).toBe(8)
    expect(c.dockerUseTee).toBe(true)
    expect(c.agentRuntime).toEqual(Option.some("process"))
    expect(c.grpcTcpAddress).toEqual(Option.some({ host: "0.0.0.0", port: 6000 }))
    expect(c.httpAddress).toEqual({ host: "127.0.0.1", port: 9090 })
    expect(c.logLevel.label).toBe("WARN")
    const shown = JSON.stringify(Config.render(c))
    expect(shown).not.toContain("suiprivkey1qqqq")
    expect(shown).toContain("<redacted>")
  })

  it("URL credentials and API keys never reach the rendered config", () => {
    const c = Either.getOrThrow(
      load({ SUI_RPC_URL: "https://user:SECRET@node.example/?apikey=KEY", OTEL_EXPORTER_OTLP_ENDPOINT: "http://u:PW@collector:4318" })
    )
    const shown = JSON.stringify(Config.render(c))
    expect(shown).not.toMatch(/SECRET|=KEY|:PW|user:/)
    expect(Config.render(c)).toMatchObject({
      SUI_RPC_URL: "https://<redacted>@node.example/?apikey=<redacted>",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://<redacted>@collector:4318"
    })
  })

  it("a bad value stops with one line naming the variable", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ MAX_CONCURRENT_AGENTS: "two" }, /^invalid configuration: MAX_CONCURRENT_AGENTS: expected a positive integer, got "two"$/],
      [{ MAX_CONCURRENT_AGENTS: "0" }, /MAX_CONCURRENT_AGENTS: expected a positive integer/],
      [{ SUI_RPC_URL: "grpc://x" }, /SUI_RPC_URL: expected an http\(s\) URL/],
      [{ SUI_ADDRESS: "alice" }, /SUI_ADDRESS: expected a Sui address/],
      [{ GRPC_TCP_ADDRESS: "localhost" }, /GRPC_TCP_ADDRESS: expected host:port/],
      [{ AGENT_RUNTIME: "podman" }, /AGENT_RUNTIME: expected docker or process/],
      [{ LOG_LEVEL: "loud" }, /LOG_LEVEL: expected one of/],
      [{ DOCKER_USE_TEE: "maybe" }, /DOCKER_USE_TEE: expected true or false/],
      [{ HTTP_ADDRESS: "0.0.0.0:8080" }, /^invalid configuration: HTTP_ADDRESS: listening on all interfaces .*ALLOW_PUBLIC_LISTEN=true$/],
      [{ GRPC_TCP_ADDRESS: "[::]:50051" }, /GRPC_TCP_ADDRESS: listening on all interfaces/],
      [{ GRPC_TCP_ADDRESS: ":50051" }, /^(?!.*all interfaces)/],
      [{ GRPC_MAX_MESSAGE_BYTES: String(64 * 1024 * 1024 + 1) }, /GRPC_MAX_MESSAGE_BYTES: expected a positive integer at most 67108864 \(64 MiB\)/],
      [{ STATE_DIR: "/proc/self/silvana" }, /STATE_DIR: \/proc\/self\/silvana is on \/proc, not a real filesystem/],
      [{ STATE_DIR: "/sys/fs/x" }, /STATE_DIR: .* is on \/sys/],
      [{ STATE_DIR: "/dev/shm/../x" }, /STATE_DIR: .* is on \/dev/]
    ]
    for (const [env, pattern] of cases) {
      const r = load(env)
      if (env["GRPC_TCP_ADDRESS"] === ":50051") {
        // `:port` is loopback, not all interfaces
        expect(Either.isRight(r)).toBe(true)
        continue
      }
      expect(Either.isLeft(r)).toBe(true)
      const line = formatConfigError(Either.getLeft(r).pipe(Option.getOrThrow))
      expect(line).toMatch(pattern)
      expect(line).not.toContain("\n")
    }
  })
})
