import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option, Redacted } from "effect"
import { coordinatorConfig, Config, configHelp, formatConfigError, settings } from "../../src/layers/Config.js"

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
    expect([...c.explicit]).toEqual([])
  })

  it("remembers which variables the operator set, so that a program can tell a default from a choice", () => {
    const c = Either.getOrThrow(load({ MAX_CONCURRENT_AGENTS: "2", LOG_LEVEL: "info", UNRELATED: "x" }))
    // the values are the defaults either way; only `explicit` tells them apart
    expect(c.maxConcurrentAgents).toBe(2)
    expect([...c.explicit].sort()).toEqual(["LOG_LEVEL", "MAX_CONCURRENT_AGENTS"])
  })

  it("SILVANA_APP_INSTANCES: each id decoded as an app instance id in any spelling; one that is not hex is refused", () => {
    const c = Either.getOrThrow(load({ SILVANA_APP_INSTANCES: ` 0xAB, ${"c".repeat(64)} ,` }))
    expect(c.appInstances).toEqual([`0x${"ab".padStart(64, "0")}`, `0x${"c".repeat(64)}`])
    for (const bad of ["0xab,nothex", "0x", "1".repeat(65)]) expect(Either.isLeft(load({ SILVANA_APP_INSTANCES: bad }))).toBe(true)
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
      load({ SUI_RPC_URL: "https://user:s3cr3tpw@node.example/?apikey=KEY", OTEL_EXPORTER_OTLP_ENDPOINT: "http://u:PW@collector:4318" })
    )
    const shown = JSON.stringify(Config.render(c))
    expect(shown).not.toMatch(/s3cr3tpw|=KEY|:PW|user:/)
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
      [{ GRPC_MAX_MESSAGE_BYTES: String(64 * 1024 * 1024 + 1) }, /GRPC_MAX_MESSAGE_BYTES: expected an integer from 1024 to 67108864/],
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

  it("parses counts strictly: decimal digits only, no hex, exponent, blanks or trailing text", () => {
    for (const raw of ["0x10", "1e3", " 5", "5 ", "5abc", "+5", "-1", "1.0", "", "0"]) {
      const r = load({ MAX_AGENTS_PER_TRIPLE: raw })
      expect(Either.isLeft(r), raw).toBe(true)
      expect(formatConfigError(Either.getLeft(r).pipe(Option.getOrThrow))).toBe(
        `invalid configuration: MAX_AGENTS_PER_TRIPLE: expected a positive integer, got ${JSON.stringify(raw)}`
      )
    }
    expect(Either.getOrThrow(load({ MAX_AGENTS_PER_TRIPLE: "16" })).maxAgentsPerTriple).toBe(16)
    expect(Either.getOrThrow(load({ MAX_AGENTS_PER_TRIPLE: "007" })).maxAgentsPerTriple).toBe(7)
  })

  it("says what is wrong with a secret without showing it, and falls back to SUI_SECRET_KEY only when unset", () => {
    const line = (env: Record<string, string>) => formatConfigError(Either.getLeft(load(env)).pipe(Option.getOrThrow))
    expect(line({ SUI_PRIVATE_KEY: "" })).toBe("invalid configuration: SUI_PRIVATE_KEY: empty")
    expect(line({ SUI_PRIVATE_KEY: "  ", SUI_SECRET_KEY: "suiprivkey1qqqq" })).toBe("invalid configuration: SUI_PRIVATE_KEY: empty")
    expect(line({ SUI_SECRET_KEY: "" })).toBe("invalid configuration: SUI_SECRET_KEY: empty")
    expect(line({ DOCKER_PASSWORD: "" })).toBe("invalid configuration: DOCKER_PASSWORD: empty")
    const c = Either.getOrThrow(load({ SUI_SECRET_KEY: "suiprivkey1zzzz" }))
    expect(Redacted.value(Option.getOrThrow(c.suiPrivateKey))).toBe("suiprivkey1zzzz")
  })

  it("refuses a socket path the kernel cannot bind (over 107 bytes)", () => {
    const long = `/tmp/${"s".repeat(103)}`
    expect(Either.isRight(load({ GRPC_SOCKET_PATH: long.slice(0, 107) }))).toBe(true)
    expect(formatConfigError(Either.getLeft(load({ GRPC_SOCKET_PATH: long })).pipe(Option.getOrThrow))).toMatch(
      /^invalid configuration: GRPC_SOCKET_PATH: longer than the 107 bytes/
    )
  })

  it("names every bad variable at once, on one line", () => {
    const line = formatConfigError(Either.getLeft(load({ MAX_CONCURRENT_AGENTS: "x", HTTP_ADDRESS: "nope" })).pipe(Option.getOrThrow))
    expect(line).toContain('MAX_CONCURRENT_AGENTS: expected a positive integer, got "x"')
    expect(line).toContain('HTTP_ADDRESS: expected host:port, got "nope"')
    expect(line).not.toContain("\n")
  })

  it("describes every variable in config --help, and prints every one", () => {
    const help = configHelp()
      .map((s) => `${s.name}  (unset: ${s.unset})\n${s.description}`)
      .join("\n")
    const rendered = Config.render(Either.getOrThrow(load({})))
    for (const s of Object.values(settings)) {
      expect(s.description.length, s.name).toBeGreaterThan(10)
      expect(help).toContain(`${s.name}  (unset: ${s.unset})`)
      expect(help).toContain(s.description)
      expect(Object.keys(rendered)).toContain(s.name)
    }
  })

  it("shows the values start-up resolved instead of unset", () => {
    const c = Either.getOrThrow(load({}))
    expect(Config.render(c)).toMatchObject({ AGENT_RUNTIME: null, GRPC_TCP_ADDRESS: null })
    expect(Config.render(c, { agentRuntime: "process", grpcTcpAddress: { host: "172.17.0.1", port: 50051 } })).toMatchObject({
      AGENT_RUNTIME: "process",
      GRPC_TCP_ADDRESS: "172.17.0.1:50051"
    })
  })
})
