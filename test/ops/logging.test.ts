import { Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { describe, expect, it, vi } from "vitest"
import { Config } from "../../src/layers/Config.js"
import { jsonLogger, Observability, prettyLogger, scrub } from "../../src/layers/Observability.js"

const capture = (secrets: ReadonlyArray<string>, pretty = false) => {
  const lines: Array<string> = []
  const logger = (pretty ? prettyLogger : jsonLogger)(secrets, (l) => lines.push(l))
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

const SESSION_KEY = "suiprivkey1qzdlfxn2qa2lj5uprl8pyhexs02sg2wrhdy7qaq50cqgnffw4c2477kg9h3"

describe("JSON logging", () => {
  it("puts annotations and structured arguments at the top level, the message as a string", async () => {
    const { layer, lines } = capture([])
    await Effect.runPromise(
      Effect.logInfo("agent started", { container: "c-1", exit_code: 0, big: 12n }).pipe(
        Effect.annotateLogs({ session_id: "0xabc", job_id: "sn9", developer: "d", agent: "a", agent_method: "m", app_instance: "ff" }),
        Effect.withSpan("Unit.test"),
        Effect.provide(layer)
      )
    )
    expect(lines).toHaveLength(1)
    expect(lines[0]!.endsWith("\n")).toBe(true)
    const o = JSON.parse(lines[0]!)
    expect(o).toMatchObject({
      level: "INFO",
      message: "agent started",
      session_id: "0xabc",
      job_id: "sn9",
      developer: "d",
      agent: "a",
      agent_method: "m",
      app_instance: "ff",
      container: "c-1",
      exit_code: 0,
      big: "12"
    })
    expect(typeof o.timestamp).toBe("string")
    expect(o.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(o.span_id).toMatch(/^[0-9a-f]{16}$/)
  })

  it("never prints Redacted values, Sui private keys or the configured secrets", async () => {
    const { layer, lines } = capture(["hunter2hunter2"])
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* Effect.logWarning("got", { key: Redacted.make("topsecret-value") })
        yield* Effect.logError(`leaked ${SESSION_KEY} and hunter2hunter2 in text`)
        yield* Effect.logError("in a cause", new Error(`bad key ${SESSION_KEY}`))
      }).pipe(Effect.annotateLogs("password", "hunter2hunter2"), Effect.provide(layer))
    )
    const all = lines.join("")
    expect(lines).toHaveLength(3)
    expect(all).not.toContain("topsecret-value")
    expect(all).not.toContain(SESSION_KEY)
    expect(all).not.toContain("suiprivkey1")
    expect(all).not.toContain("hunter2hunter2")
    expect(JSON.parse(lines[0]!).key).toBe("<redacted>")
    expect(scrub(`x ${SESSION_KEY.toUpperCase()} y`, [])).toBe("x <redacted> y")
  })

  it("honours the minimum level and renders a pretty line for terminals", async () => {
    const { layer, lines } = capture([], true)
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* Effect.logDebug("hidden")
        yield* Effect.logWarning("shown", { n: 1 })
      }).pipe(Effect.annotateLogs("job_id", "sn1"), Effect.provide(layer), Logger.withMinimumLogLevel(LogLevel.Info))
    )
    expect(lines).toHaveLength(1)
    const plain = lines[0]!.replace(/\x1b\[[0-9;]*m/g, "")
    expect(plain).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  shown job_id=sn1 n=1\n$/)
  })

  it("Observability.logger takes LOG_LEVEL and the secrets from Config", async () => {
    const written: Array<string> = []
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    try {
      await Effect.runPromise(
        Effect.gen(function* () {
          yield* Effect.logInfo("not at warn")
          yield* Effect.logWarning("password is hunter2hunter2")
        }).pipe(Effect.provide(Observability.logger.pipe(Layer.provide(Config.layerFromEnv({ LOG_LEVEL: "warn", DOCKER_PASSWORD: "hunter2hunter2" })))))
      )
    } finally {
      spy.mockRestore()
    }
    const lines = written.filter((l) => l.startsWith("{") || /WARN|INFO/.test(l))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain("password is <redacted>")
  })
})
