/**
 * bench:runtime — how long from "start this agent" to its first GetJob, through the coordinator's
 * Docker runtime (image check, create with limits and labels, race-free wait, start, log follow)
 * versus a bare `docker run` of the same image with the same env and socket mount, in the same
 * run. Iterations alternate between the two to spread machine noise. The agent is the example
 * add agent; the GetJob lands on a real gRPC server over the mounted socket.
 * Prints `name=value` lines, ending with `runtime_start_overhead_ratio=<runtime/bare>`.
 */
import { spawn } from "node:child_process"
import Docker from "dockerode"
import { Effect, Exit, Option, Scope } from "effect"
import { makeDockerRuntime } from "../src/layers/runtime/docker.js"
import { newSessionId, startFakeCoordinator } from "../test/runtime/fakeCoordinator.js"
import { AGENT_IMAGE, agentEnv, ensureDockerAndImage, specFor, triple } from "../test/runtime/helpers.js"

const ITERATIONS = Number(process.env["BENCH_ITERATIONS"] ?? 7)
const coordinatorId = `0x${"be".repeat(32)}`

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const main = async () => {
  const docker = new Docker()
  await ensureDockerAndImage(docker)
  const fake = await startFakeCoordinator()
  const scope = Effect.runSync(Scope.make())
  const runtime = await Effect.runPromise(
    makeDockerRuntime({ stopGraceMs: 2000, logTailBytes: 64 * 1024, credentials: Option.none() }).pipe(Scope.extend(scope))
  )

  const viaRuntime = async () => {
    const session = { sessionId: newSessionId(), ...triple }
    fake.addSession(session, [])
    const first = fake.firstGetJob(session.sessionId)
    const t0 = performance.now()
    const ms = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const h = yield* runtime.start(specFor(coordinatorId, session, fake))
          const at = yield* Effect.promise(() => first)
          const exit = yield* h.exit
          if (exit.exitCode !== 0) throw new Error(`agent failed: ${exit.message}: ${(yield* h.logs).stderr}`)
          return at - t0
        })
      )
    )
    return ms
  }

  const viaDockerRun = async () => {
    const session = { sessionId: newSessionId(), ...triple }
    fake.addSession(session, [])
    const first = fake.firstGetJob(session.sessionId)
    const env = { ...agentEnv(coordinatorId, session), COORDINATOR_SOCKET: fake.socketPath }
    const args = [
      "run",
      "--rm",
      "--add-host",
      "host.docker.internal:host-gateway",
      "-v",
      `${fake.socketPath}:${fake.socketPath}:ro`,
      ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      AGENT_IMAGE
    ]
    const t0 = performance.now()
    const child = spawn("docker", args, { stdio: ["ignore", "ignore", "pipe"] })
    let err = ""
    child.stderr.on("data", (c: Buffer) => (err += c.toString()))
    const code = new Promise<number | null>((resolve) => child.once("exit", resolve))
    const at = await Promise.race([first, code.then((c) => Promise.reject(new Error(`docker run exited ${c} before GetJob: ${err}`)))])
    const exitCode = await code
    if (exitCode !== 0) throw new Error(`docker run exited ${exitCode}: ${err}`)
    return at - t0
  }

  // One unmeasured round of each warms the engine's caches and the page cache.
  await viaRuntime()
  await viaDockerRun()
  const runtimeMs: Array<number> = []
  const bareMs: Array<number> = []
  for (let i = 0; i < ITERATIONS; i++) {
    if (i % 2 === 0) {
      runtimeMs.push(await viaRuntime())
      bareMs.push(await viaDockerRun())
    } else {
      bareMs.push(await viaDockerRun())
      runtimeMs.push(await viaRuntime())
    }
  }
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await fake.close()

  const r = median(runtimeMs)
  const b = median(bareMs)
  console.log(`iterations=${ITERATIONS}`)
  console.log(`runtime_start_to_first_getjob_ms_samples=${runtimeMs.map((x) => x.toFixed(0)).join(",")}`)
  console.log(`docker_run_start_to_first_getjob_ms_samples=${bareMs.map((x) => x.toFixed(0)).join(",")}`)
  console.log(`runtime_start_to_first_getjob_median_ms=${r.toFixed(1)}`)
  console.log(`docker_run_start_to_first_getjob_median_ms=${b.toFixed(1)}`)
  console.log(`runtime_start_overhead_ratio=${(r / b).toFixed(3)}`)
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
