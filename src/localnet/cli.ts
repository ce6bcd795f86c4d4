/**
 * `localnet` command line (wired into `silvana-coordinator localnet ...` by src/main.ts):
 *
 *   localnet [--port 9000] [--host 127.0.0.1] [--state FILE] [--checkpoint-ms 250|per-transaction]
 *            [--manifest FILE] [--socket PATH] [--admin-port N] [--rewind-depth N]
 *            [--epoch-ms N] [--epoch-gas-price-step MIST]
 *       runs a localnet until SIGINT/SIGTERM; prints the manifest (and writes it to FILE, with the
 *       admin endpoint's URL in FILE.admin.json)
 *   localnet seed --manifest FILE --developer D --agent A --method M --image IMG [...]
 *   localnet create-jobs --manifest FILE --count N --method M [--data TEXT|0xHEX] [--interval-ms MS]
 *   localnet fault NAME --manifest FILE [--checkpoint N] [--count K] [--kind K] [--ms N] [--on BOOL] [--function F]
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { LocalnetManifest, LocalnetOptions } from "./index.js"
import { EXAMPLE_AGENT_IMAGE } from "../domain/exampleAgent.js"
import { faultPaths } from "./server/admin.js"
import { executionFaultKinds } from "./server/context.js"

// The node and the client are loaded when a command runs (the command tree is part of every
// `silvana-coordinator` invocation, and most never touch the localnet).
const loadLocalnet = Effect.promise(() => import("./index.js"))
const loadClient = Effect.promise(() => import("./client.js"))

const manifestOption = Options.file("manifest").pipe(Options.withDescription("Manifest JSON file"))

/** The admin URL is kept next to the manifest, whose keys are fixed. */
export const adminFileOf = (manifestFile: string) => `${manifestFile}.admin.json`

const writeAtomically = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, text)
  fs.renameSync(tmp, file)
}

const readManifest = (file: string) =>
  Effect.try({
    try: () => JSON.parse(fs.readFileSync(file, "utf8")) as LocalnetManifest,
    catch: (e) => new Error(`cannot read manifest ${file}: ${String(e)}`)
  })

/** Runs a promise, turning its rejection into a readable error (the CLI prints its message). */
const attempt = <A>(what: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (e) => new Error(`${what} failed: ${e instanceof Error ? e.message : String(e)}`) })

const parseCheckpointMs = (text: string): number | "per-transaction" => {
  if (text === "per-transaction" || text === "tx") return "per-transaction"
  const n = Number(text)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--checkpoint-ms must be a positive integer or "per-transaction", got ${text}`)
  return n
}

const run = Command.make(
  "localnet",
  {
    port: Options.integer("port").pipe(Options.withDefault(9000), Options.withDescription("gRPC port (0 = any free port)")),
    host: Options.text("host").pipe(Options.withDefault("127.0.0.1"), Options.withDescription("Listen address")),
    state: Options.file("state").pipe(Options.optional, Options.withDescription(
        "State file: restored on start, saved while running. Every change is also written to a write-ahead log beside it (<file>.wal.N) and is durable before any answer shows it: a transaction whose effects were returned survives SIGKILL, and checkpoint numbers and object versions are never reused"
      )),
    checkpointMs: Options.text("checkpoint-ms").pipe(
      Options.withDefault("250"),
      Options.withDescription('Checkpoint interval in ms, or "per-transaction"')
    ),
    manifest: manifestOption.pipe(Options.optional),
    socket: Options.file("socket").pipe(Options.optional, Options.withDescription("Extra Unix socket listener")),
    adminPort: Options.integer("admin-port").pipe(Options.withDefault(0), Options.withDescription("Admin (faults) HTTP port")),
    rewindDepth: Options.integer("rewind-depth").pipe(
      Options.withDefault(0),
      Options.withDescription("Checkpoints the rollback fault can go back (history kept in memory; 0 = no rollback)")
    ),
    epochMs: Options.integer("epoch-ms").pipe(
      Options.optional,
      Options.withDescription("Epoch length in ms: the first checkpoint after it opens the next epoch (default: one endless epoch)")
    ),
    epochGasPriceStep: Options.integer("epoch-gas-price-step").pipe(
      Options.withDefault(0),
      Options.withDescription("MIST added to the reference gas price at each new epoch")
    )
  },
  (o) =>
    Effect.scoped(
      Effect.gen(function* () {
        const options: LocalnetOptions = {
          host: o.host,
          port: o.port,
          checkpointMs: yield* Effect.try(() => parseCheckpointMs(o.checkpointMs)),
          adminPort: o.adminPort,
          rewindDepth: o.rewindDepth
        }
        if (Option.isSome(o.state)) options.stateFile = o.state.value
        if (Option.isSome(o.socket)) options.socketPath = o.socket.value
        if (Option.isSome(o.epochMs)) {
          if (o.epochMs.value <= 0) return yield* Effect.fail(new Error(`--epoch-ms must be positive, got ${o.epochMs.value}`))
          options.epochMs = o.epochMs.value
        }
        if (o.epochGasPriceStep !== 0) options.epochGasPriceStep = BigInt(o.epochGasPriceStep)
        const { Localnet } = yield* loadLocalnet
        const handle = yield* Localnet.make(options)
        const text = JSON.stringify(handle.manifest, null, 2)
        if (Option.isSome(o.manifest)) {
          writeAtomically(adminFileOf(o.manifest.value), JSON.stringify({ adminUrl: handle.adminUrl }) + "\n")
          writeAtomically(o.manifest.value, text + "\n")
        }
        yield* Console.log(text)
        yield* Console.error(`localnet: serving ${handle.manifest.grpcUrl}; admin endpoint ${handle.adminUrl}`)
        // Runs until interrupted (SIGINT/SIGTERM); closing the scope saves state and stops the server.
        return yield* Effect.never
      })
    )
).pipe(Command.withDescription("Run a local Sui node (sui.rpc.v2 over gRPC) with the Silvana coordination package"))

const seed = Command.make(
  "seed",
  {
    manifest: manifestOption,
    developer: Options.text("developer").pipe(Options.withDefault("silvana")),
    agent: Options.text("agent").pipe(Options.withDefault("add")),
    method: Options.text("method").pipe(Options.withDefault("add")),
    image: Options.text("image").pipe(Options.withDefault(EXAMPLE_AGENT_IMAGE)),
    sha256: Options.text("sha256").pipe(Options.optional),
    memoryGb: Options.integer("memory-gb").pipe(Options.withDefault(1)),
    cpus: Options.integer("cpus").pipe(Options.withDefault(1)),
    tee: Options.boolean("tee").pipe(Options.withDescription("The method requires a TEE")),
    appMethod: Options.text("app-method").pipe(Options.optional, Options.withDescription("App instance method name (default = method)"))
  },
  (o) =>
    Effect.gen(function* () {
      const manifest = yield* readManifest(o.manifest)
      const { seedAgentMethod } = yield* loadClient
      yield* attempt("seed", () =>
        seedAgentMethod(manifest, {
          developer: o.developer,
          agent: o.agent,
          method: o.method,
          image: o.image,
          memoryGb: o.memoryGb,
          cpus: o.cpus,
          requiresTee: o.tee,
          ...(Option.isSome(o.sha256) ? { sha256: o.sha256.value } : {}),
          ...(Option.isSome(o.appMethod) ? { appMethod: o.appMethod.value } : {})
        })
      )
      const appMethod = Option.getOrElse(o.appMethod, () => o.method)
      yield* Console.log(`seeded ${o.developer}/${o.agent}/${o.method} (image ${o.image}) as app method ${appMethod}`)
    })
).pipe(Command.withDescription("Register a developer/agent/method and map an app instance method to it"))

const parseData = (text: string): Uint8Array =>
  /^0x([0-9a-fA-F]{2})*$/.test(text) ? Uint8Array.from(Buffer.from(text.slice(2), "hex")) : new TextEncoder().encode(text)

const createJobsCommand = Command.make(
  "create-jobs",
  {
    manifest: manifestOption,
    count: Options.integer("count").pipe(Options.withDefault(1)),
    method: Options.text("method"),
    data: Options.text("data").pipe(Options.optional, Options.withDescription("Job data: text, or 0x-prefixed hex")),
    intervalMs: Options.integer("interval-ms").pipe(Options.optional, Options.withDescription("Make the jobs periodic with this interval_ms (>= 60000, first run due now)")),
    perTransaction: Options.integer("per-transaction").pipe(Options.optional, Options.withDescription("Jobs per transaction"))
  },
  (o) =>
    Effect.gen(function* () {
      const manifest = yield* readManifest(o.manifest)
      const { createJobs } = yield* loadClient
      let last = 0
      const result = yield* attempt("create-jobs", () =>
        createJobs(manifest, {
          count: o.count,
          method: o.method,
          ...(Option.isSome(o.data) ? { data: parseData(o.data.value) } : {}),
          ...(Option.isSome(o.intervalMs) ? { intervalMs: o.intervalMs.value } : {}),
          ...(Option.isSome(o.perTransaction) ? { perTransaction: o.perTransaction.value } : {}),
          onProgress: (done) => {
            if (done === o.count || done - last >= Math.max(1, Math.floor(o.count / 20))) {
              last = done
              console.log(`created ${done}/${o.count}`)
            }
          }
        })
      )
      yield* Console.log(`job sequences: ${result.jobSequences.map(String).join(",")}`)
    })
).pipe(Command.withDescription("Create jobs through signed create_app_job transactions"))

const fault = Command.make(
  "fault",
  {
    name: Args.choice(faultPaths.map((p) => [p, p] as const)).pipe(Args.withDescription("Fault to inject")),
    manifest: manifestOption,
    checkpoint: Options.integer("checkpoint").pipe(Options.optional),
    count: Options.integer("count").pipe(Options.optional),
    kind: Options.choice("kind", executionFaultKinds).pipe(Options.optional),
    ms: Options.integer("ms").pipe(Options.optional),
    on: Options.text("on").pipe(Options.optional),
    function: Options.text("function").pipe(Options.optional, Options.withDescription("drop-executed: only transactions calling this Move function"))
  },
  (o) =>
    Effect.gen(function* () {
      const { adminUrl } = yield* Effect.try({
        try: () => JSON.parse(fs.readFileSync(adminFileOf(o.manifest), "utf8")) as { adminUrl: string },
        catch: (e) => new Error(`cannot read ${adminFileOf(o.manifest)}: ${String(e)}`)
      })
      const query = new URLSearchParams()
      const params: Array<[string, Option.Option<string | number>]> = [
        ["checkpoint", o.checkpoint],
        ["count", o.count],
        ["kind", o.kind],
        ["ms", o.ms],
        ["on", o.on],
        ["function", o.function]
      ]
      for (const [key, value] of params) {
        if (Option.isSome(value)) query.set(key, String(value.value))
      }
      const response = yield* attempt(`fault ${o.name}`, () => fetch(`${adminUrl}/faults/${o.name}?${query}`, { method: "POST" }))
      const body = yield* attempt(`fault ${o.name}`, () => response.text())
      if (!response.ok) return yield* Effect.fail(new Error(`fault ${o.name} refused: ${body}`))
      yield* Console.log(body)
    })
).pipe(Command.withDescription("Inject a fault into a running localnet (through its admin endpoint)"))

/** The `localnet` command with its subcommands. */
export const localnetCommand = run.pipe(Command.withSubcommands([seed, createJobsCommand, fault]))

/**
 * Runs `localnet ...args` as a program (until SIGINT/SIGTERM for the server). For scripts and the
 * CLI tests; the application binary mounts `localnetCommand` under its own root instead.
 */
export const runLocalnetCli = (args: ReadonlyArray<string>): void => {
  const cli = Command.run(localnetCommand, { name: "localnet", version: "0.1.0" })
  cli(["node", "localnet", ...args]).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disablePrettyLogger: true }))
}
