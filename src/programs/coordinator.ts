/**
 * coordinator — the daemon as one scoped program: every service acquired in one scope, the
 * programs (discover, dispatch, reconcile; settle runs inside Settlement) forked as supervised
 * fibers, and a graceful stop on interruption (SIGINT/SIGTERM through `NodeRuntime.runMain`):
 * stop discovering and starting, let running agents finish up to a grace period, stop the rest
 * (their jobs failed on chain with `shutdown`), flush the settlement outbox, then close the
 * listeners as the scope unwinds.
 */
import { Cause, Duration, Effect, Fiber, Layer, Option, Ref, Schedule, type Scope } from "effect"
import { normalizeAppInstance } from "../domain/ids.js"
import { AgentApi } from "../layers/AgentApi.js"
import { AgentRuntime } from "../layers/AgentRuntime.js"
import { AgentSlots } from "../layers/AgentSlots.js"
import { agentRuntimeLayer } from "../layers/runtime/index.js"
import { ChainEvents } from "../layers/ChainEvents.js"
import { ChainState } from "../layers/ChainState.js"
import { Config } from "../layers/Config.js"
import { type Check, Health } from "../layers/Health.js"
import { HttpApi } from "../layers/HttpApi.js"
import { JobStore } from "../layers/JobStore.js"
import { Journal } from "../layers/Journal.js"
import { Registry } from "../layers/Registry.js"
import { AppApi } from "../layers/AppApi.js"
import { reportsFromSettlement } from "../layers/Reports.js"
import { Sessions } from "../layers/Sessions.js"
import { Secrets } from "../layers/Secrets.js"
import { Settlement } from "../layers/Settlement.js"
import { PipelineStatus } from "../layers/PipelineStatus.js"
import { StatusFeed } from "../layers/StatusFeed.js"
import { SuiClient } from "../layers/SuiClient.js"
import { awaitNode } from "./awaitNode.js"
import { blocksProgram } from "./blocks.js"
import { daCollectProgram } from "./daCollect.js"
import { creationsOf, discover } from "./discover.js"
import { mergesProgram } from "./merges.js"
import { pipelineStatusProgram } from "./pipelineStatus.js"
import { settlementProgram } from "./settlement.js"
import { defaultDispatchOptions, type Dispatcher, type DispatchOptions, makeDispatcher } from "./dispatch.js"
import { makeChainTruth } from "./chainTruth.js"
import { reconcile, reconcileOnce } from "./reconcile.js"
import { defaultStartBackoff } from "./startBackoff.js"
import { startTroubleCheck } from "./startFailures.js"

/** The chain side: node client, durable journal, event stream, registry, settlement. */
export const ChainLive = Layer.mergeAll(ChainEvents.layer(), ChainState.layer, Registry.layer(), Settlement.layer()).pipe(
  Layer.provideMerge(Journal.layer),
  Layer.provideMerge(SuiClient.layer)
)

/** Every service of the daemon, given Config; the agent runtime can be replaced (tests, embedding). */
export const coordinatorLayer = <E, R>(runtime: Layer.Layer<AgentRuntime, E, R>, chainClock?: () => number) =>
  AgentApi.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(Sessions.layer, reportsFromSettlement, runtime, StatusFeed.layer, PipelineStatus.layer, AppApi.layerLive, AgentSlots.layer, Secrets.layer)),
    Layer.provideMerge(JobStore.layerWithClock(chainClock)),
    Layer.provideMerge(ChainLive)
  )

export const CoordinatorLive = coordinatorLayer(agentRuntimeLayer)

export interface CoordinatorOptions {
  readonly dispatch?: Partial<Omit<DispatchOptions, "coordinatorId">>
  /** Time running agents get to finish on shutdown. */
  readonly shutdownGrace?: Duration.DurationInput
  readonly reconcileEvery?: Duration.DurationInput
  /** Extra fibers to run beside the programs (the demo's job creator, the progress view). */
  readonly extras?: ReadonlyArray<Effect.Effect<unknown, unknown, CoordinatorServices>>
}

export type CoordinatorServices = Layer.Layer.Success<typeof CoordinatorLive> | Config

/** Fails on chain every job this coordinator started that has no settlement under way. */
export const failUnheld = (reason: string) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const settlement = yield* Settlement
    // A job's own app calls (kv, proofs…) are not its settlement.
    const open = new Set((yield* journal.openOps).filter((op) => op.kind !== "call").map((op) => `${op.appInstance}:${op.jobSequence}`))
    let failed = 0
    for (const job of yield* journal.startedJobs) {
      if (open.has(`${job.appInstance}:${job.jobSequence}`)) continue
      yield* settlement.fail(job.appInstance, job.jobSequence, reason).pipe(
        Effect.tap(() => Effect.sync(() => (failed += 1))),
        Effect.catchAll((e) => Effect.logWarning("cannot fail an unheld job", { job_sequence: String(job.jobSequence), error: e.message }))
      )
    }
    return failed
  }).pipe(Effect.catchAll((e) => Effect.as(Effect.logWarning("cannot read started jobs", { error: e.message }), 0)))

/**
 * `chain_truth`: unhealthy while the journal and the chain disagree — the node rewound behind our
 * cursor and the resync is not done, or the last comparison found jobs still being repaired.
 */
const divergenceCheck = (divergence: Ref.Ref<Option.Option<{ readonly from: bigint; readonly to: bigint }>>, jobs: Check): Check =>
  Effect.flatMap(Ref.get(divergence), (d) =>
    Option.match(d, {
      onNone: () => jobs,
      onSome: ({ from, to }) =>
        Effect.succeed({
          healthy: false,
          details: {
            divergent: true,
            error: `the node's tip is behind our event cursor (checkpoints ${from}..${to} gone); resyncing from chain state`
          }
        })
    })
  )

/**
 * The orderly stop: the programs' fibers first (no new jobs), then the running agents up to
 * `grace`, then the settlement outbox, then the started jobs no agent took (failed on chain).
 */
const gracefulStop = (
  fibers: ReadonlyArray<readonly [string, Fiber.Fiber<unknown, unknown>]>,
  dispatcher: Dispatcher,
  grace: Duration.DurationInput
) =>
  Effect.gen(function* () {
    const settlement = yield* Settlement
    yield* Effect.logInfo("shutting down: no new jobs are started")
    yield* Effect.forEach(
      fibers,
      ([name, fiber]) =>
        // The shutdown runs as an (uninterruptible) finalizer: the waits must be made interruptible
        // again, or their timeouts could never cut them short.
        Fiber.interrupt(fiber).pipe(
          Effect.interruptible,
          Effect.timeout(Duration.seconds(10)),
          Effect.catchAll(() => Effect.logWarning(`the ${name} fiber did not stop within 10 s`))
        ),
      { concurrency: "unbounded", discard: true }
    )
    yield* Effect.logInfo("waiting for running agents", { sessions: yield* dispatcher.activeSessions })
    yield* dispatcher.drain(grace)
    yield* Effect.logInfo("flushing the settlement outbox")
    const flush = settlement.awaitIdle.pipe(
      Effect.interruptible,
      Effect.timeout(Duration.seconds(30)),
      Effect.catchAll(() => Effect.logWarning("settlement outbox not empty after 30 s; it is kept in the Journal for the next start"))
    )
    yield* flush
    // Jobs we started that no agent took are not left Running: fail them so the contract retries them.
    const unheld = yield* failUnheld("shutdown: the coordinator stopped before an agent took the job")
    if (unheld > 0) {
      yield* Effect.logInfo("failed started jobs no agent took", { count: unheld })
      yield* flush
    }
    yield* Effect.logInfo("coordinator stopped")
  })

/**
 * The chain followers: discover and the chain-truth comparison, with their health checks: a rewind or replay gap makes
 * reconcile and the comparison run; `chain_truth` fails until they are done.
 */
const followChain = (coordinatorId: string, orphanAfterMs: number, startTrouble: Parameters<typeof startTroubleCheck>[0]) =>
  Effect.gen(function* () {
    const config = yield* Config
    const context = yield* Effect.context<CoordinatorServices>()
    const divergence = yield* Ref.make(Option.none<{ readonly from: bigint; readonly to: bigint }>())
    // The journal compared with the chain: on a timer, after reconnects, replay gaps and rewinds.
    const truth = yield* makeChainTruth({
      windowMs: config.chainTruthWindowSecs * 1000,
      every: Duration.seconds(config.chainTruthEverySecs)
    })
    const health = yield* Effect.serviceOption(Health)
    if (Option.isSome(health)) {
      yield* health.value.registerScoped("agents", startTroubleCheck(startTrouble))
      yield* health.value.registerScoped("chain_truth", divergenceCheck(divergence, truth.check))
    }
    const sui = yield* SuiClient
    const settlement = yield* Settlement
    // The jobs our own transactions create (merges, settle jobs, reproves, agents' CreateAppJob) go
    // to the store from the transaction's answer, and are started a checkpoint sooner.
    const ownCreations = creationsOf(settlement.executions, sui.packageId)
    const discoverFiber = yield* Effect.forkScoped(
      discover({
        coordinatorId,
        ownCreations,
        onReplayGap: () =>
          reconcileOnce({ coordinatorId, orphanAfterMs, refresh: true }).pipe(Effect.ignoreLogged, Effect.zipRight(truth.trigger(true)), Effect.provide(context)),
        onRewound: (from, to) =>
          Ref.set(divergence, Option.some({ from, to })).pipe(
            Effect.zipRight(reconcileOnce({ coordinatorId, orphanAfterMs, reclaim: true, refresh: true })),
            Effect.tap((report) => Effect.logWarning("resynced with the chain after it rewound", { ...report })),
            // Settled jobs the rewind undid (completions gone, starts gone) are repaired before /health clears.
            Effect.zipRight(truth.audit(true)),
            Effect.zipRight(Ref.set(divergence, Option.none())),
            Effect.ignoreLogged,
            Effect.provide(context)
          )
      })
    )
    return { discoverFiber, truth }
  })

/** The programs over the services; runs until interrupted, then stops gracefully. */
export const coordinatorProgram = (options: CoordinatorOptions = {}) =>
  Effect.gen(function* () {
    const config = yield* Config
    const sui = yield* SuiClient
    const api = yield* AgentApi
    const coordinatorId = sui.address
    const context = yield* Effect.context<CoordinatorServices>()
    const orphanAfterMs = config.containerTimeoutSecs * 1000 + 60_000

    yield* Effect.logInfo("coordinator starting", {
      coordinator: coordinatorId,
      chain: config.suiChain,
      node: sui.url,
      package: sui.packageId,
      socket: api.socketPath,
      tcp: `${api.tcp.host}:${api.tcp.port}`
    })
    const journal = yield* Journal
    for (const ai of config.appInstances) {
      yield* journal.trackAppInstance(normalizeAppInstance(ai)).pipe(Effect.ignoreLogged)
    }

    const feed = yield* StatusFeed
    const runtimeKind = (yield* AgentRuntime).kind
    const hooks = options.dispatch?.hooks ?? {}
    const dispatcher = yield* makeDispatcher({
      ...defaultDispatchOptions(coordinatorId),
      prefetchPerSession: config.dispatchPrefetch,
      maxAgentsPerTriple: config.maxAgentsPerTriple,
      startBackoff: { ...defaultStartBackoff, maxMillis: config.agentStartBackoffMaxSecs * 1000, giveUpAfter: config.agentStartAttempts },
      idleHandoffMillis: config.agentIdleHandoffSecs * 1000,
      ...options.dispatch,
      coordinatorId,
      // The status page sees every agent start and end, besides whatever the caller watches.
      hooks: {
        onStarted: (session, handle) =>
          Effect.zipRight(feed.agentStarted(session, handle, runtimeKind), hooks.onStarted?.(session, handle) ?? Effect.void),
        onEnded: (outcome) => Effect.zipRight(feed.agentEnded(outcome), hooks.onEnded?.(outcome) ?? Effect.void)
      }
    })
    yield* feed.setWaitingSource(
      Effect.map(dispatcher.waiting, (ws) => ws.map((w) => ({ triple: w.triple, reason: w.reason })))
    )
    // A node found behind our cursor: /health reports the divergence until the resync is done.
    const { discoverFiber, truth } = yield* followChain(coordinatorId, orphanAfterMs, dispatcher.startTrouble)
    // Once the event stream has fixed its starting point (or discover ended): what a previous run left.
    yield* Effect.raceFirst((yield* ChainEvents).following, Effect.ignore(Fiber.await(discoverFiber)))
    yield* reconcileOnce({ coordinatorId, orphanAfterMs, reclaim: true }).pipe(
      Effect.catchAllCause((cause) => Effect.logError("start-up reconciliation failed; continuing", cause))
    )
    const dispatchFiber = yield* Effect.forkScoped(dispatcher.run)
    const reconcileFiber = yield* Effect.forkScoped(
      Effect.delay(reconcile({ coordinatorId, orphanAfterMs }, options.reconcileEvery ?? Duration.seconds(30)), options.reconcileEvery ?? Duration.seconds(30))
    )
    // The proving pipeline (blocks → merges → settlement), each restarted if it ever dies.
    const supervised = (name: string, program: Effect.Effect<unknown, unknown, CoordinatorServices | Scope.Scope>) =>
      Effect.scoped(program).pipe(
        Effect.catchAllCause((cause) => Cause.isInterruptedOnly(cause) ? Effect.interrupt : Effect.logError(`the ${name} program died; restarting`, cause)),
        Effect.repeat(Schedule.spaced(Duration.seconds(1))),
        Effect.asVoid
      )
    const pipeline: Array<readonly [string, Fiber.RuntimeFiber<void>]> = config.pipeline
      ? yield* Effect.forEach(
          [
            ["blocks", blocksProgram({ everyMs: config.pipelineBlocksEveryMs })],
            ["merges", mergesProgram({ everyMs: config.pipelineMergesEveryMs })],
            ["settlement", settlementProgram({ everyMs: config.pipelineSettleEveryMs })],
            ["pipeline status", pipelineStatusProgram({ everyMs: config.pipelineStatusEveryMs })]
          ] as const,
          ([name, program]) => Effect.map(Effect.forkScoped(supervised(name, program)), (fiber) => [name, fiber] as const)
        )
      : []
    if (config.daCollectEverySecs > 0) {
      const every = config.daCollectEverySecs * 1000
      pipeline.push(["da collect", yield* Effect.forkScoped(supervised("da collect", daCollectProgram({ everyMs: every, minAgeMs: config.daCollectMinAgeSecs * 1000 })))])
    }
    const truthFiber = yield* Effect.forkScoped(truth.run)
    const extras = yield* Effect.forEach(options.extras ?? [], (e) => Effect.forkScoped(Effect.ignoreLogged(e)))
    yield* Effect.logInfo("coordinator running")

    const named = [
      ["discover", discoverFiber], ["dispatch", dispatchFiber], ["reconcile", reconcileFiber], ["chain truth", truthFiber], ...pipeline,
      ...extras.map((f, i) => [`extra ${i}`, f] as const)
    ] as const
    const shutdown = gracefulStop(named, dispatcher, options.shutdownGrace ?? Duration.seconds(30))
    // Runs until interrupted; an event follower that dies ends the daemon (after the same orderly
    // stop) instead of leaving it blind to the chain.
    return yield* Fiber.join(discoverFiber).pipe(
      Effect.zipRight(Effect.never),
      Effect.tapErrorCause((cause) => Effect.logError("discover stopped; stopping the coordinator", cause)),
      Effect.onExit(() => shutdown)
    )
  }).pipe(Effect.annotateLogs("service", "coordinator"))

/** The daemon: services from Config, programs over them. */
export const coordinator = (options: CoordinatorOptions = {}) =>
  Effect.gen(function* () {
    // A node that does not answer yet: said once, /ready 503 meanwhile (awaitNode.ts).
    const httpAddress = yield* awaitNode.pipe(Effect.provide(SuiClient.layer))
    const config = yield* Config
    return yield* Effect.scoped(coordinatorProgram(options)).pipe(
      // The operator endpoint (/health, /metrics, /v1/*) over every service, built last.
      Effect.provide(HttpApi.layerDaemon.pipe(Layer.provideMerge(CoordinatorLive))),
      Effect.provideService(Config, { ...config, httpAddress })
    )
  })

export const hasNode = (c: { readonly suiRpcUrl: Option.Option<string> }) => Option.isSome(c.suiRpcUrl)
