/**
 * A stand-in coordinator for the orphan-sweep tests: starts one hanging agent through the chosen
 * runtime, prints its id, and waits — until the test SIGKILLs it, so that no finalizer runs.
 * argv: <docker|process> <stateDir> <coordinatorId> <sessionId> [JSON agent command]
 */
import { Effect, Option } from "effect"
import { makeDockerRuntime } from "../../src/layers/runtime/docker.js"
import { makeProcessRuntime } from "../../src/layers/runtime/process.js"
import { newSession, scripts, specFor } from "./helpers.js"

const [kind, stateDir, coordinatorId, sessionId, commandJson] = process.argv.slice(2) as [string, string, string, string, string?]
const command = commandJson === undefined ? scripts.hang : (JSON.parse(commandJson) as Array<string>)
const options = { stopGraceMs: 1000, logTailBytes: 4096 }

const program = Effect.gen(function* () {
  const runtime =
    kind === "docker"
      ? yield* makeDockerRuntime({ ...options, credentials: Option.none() })
      : yield* makeProcessRuntime({ ...options, stateDir, commands: { "test/node": { entrypoint: [process.execPath], cmd: [] } } })
  const session = { ...newSession(), sessionId }
  const spec = specFor(coordinatorId, session, undefined, {
    command,
    ...(kind === "docker" ? {} : { image: "test/node" })
  })
  const handle = yield* runtime.start(spec)
  process.stdout.write(`${JSON.stringify({ id: handle.id })}\n`)
  return yield* Effect.never
})

Effect.runPromise(Effect.scoped(program)).catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
