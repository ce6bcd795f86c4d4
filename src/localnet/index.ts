/**
 * The localnet: an in-process Sui full node speaking `sui.rpc.v2` over real gRPC, backed by the
 * `LocalChain` engine. `startLocalnet` runs one; `Localnet.make` is the same as a scoped Effect.
 */
import { Data, Effect, type Scope } from "effect"
import { LocalChain } from "./chain.js"
import { type AdminServer, type LocalnetFaults, startAdminServer } from "./server/admin.js"
import type { ExecutionFaultKind, FaultSwitches } from "./server/context.js"
export { executionFaultKinds, type ExecutionFaultKind } from "./server/context.js"
import { isFilteredListener } from "./server/subscriptions.js"
import { type DurableState, makeDurable } from "./server/durable.js"
import { loadState } from "./server/persist.js"
import { CheckpointProducer } from "./server/producer.js"
import { type RunningGrpcServer, startGrpcServer } from "./server/server.js"
import { RewindHistory } from "./server/rewind.js"
import { RpcStatusError, Status } from "./server/status.js"

export interface LocalnetOptions {
  /** Listen address (default "127.0.0.1"). */
  host?: string
  /** gRPC port (default 9000; 0 picks a free port). */
  port?: number
  /** Extra Unix socket listener. */
  socketPath?: string
  /** Checkpoint interval in ms (default 250), or seal right after every executed transaction. */
  checkpointMs?: number | "per-transaction"
  /** Epoch length in ms (default: one endless epoch 0); a saved state keeps its own unless given. */
  epochMs?: number
  /** MIST added to the reference gas price at each new epoch (default 0). */
  epochGasPriceStep?: bigint
  /**
   * Restore state from this file when it exists; save to it periodically and on close. With a state
   * file every change is also written to a write-ahead log next to it (`<file>.wal.<n>`) and made
   * durable before any answer shows it: a transaction whose effects were returned survives a
   * SIGKILL, and checkpoint numbers and object versions are never reused.
   */
  stateFile?: string
  /** Initial pruning point. */
  pruneBelow?: number
  /** ListEvents/SubscribeEvents answer UNIMPLEMENTED (an older node). */
  filteredEventsUnimplemented?: boolean
  /** Port of the loopback admin (fault) HTTP endpoint; default 0 = any free port. */
  adminPort?: number
  /** How often the state file is rewritten while the chain changes (default 2000 ms). */
  saveEveryMs?: number
  /**
   * Keep only about this many recent checkpoints (older ones and their transactions are pruned as
   * new ones are sealed, as a full node's pruner does); default: keep all.
   */
  retainCheckpoints?: number
  /**
   * Checkpoints the `rollback` fault can always go back (default 0: no history kept, the fault is
   * refused). History of up to twice this many checkpoints is held in memory.
   */
  rewindDepth?: number
}

/** Everything a client in another process needs; exactly these keys. */
export interface LocalnetManifest {
  grpcUrl: string
  chainId: string
  packageId: string
  registryId: string
  appInstanceId: string
  keys: { admin: string; coordinator: string }
}

export type { LocalnetFaults } from "./server/admin.js"

export interface LocalnetHandle {
  readonly manifest: LocalnetManifest
  readonly faults: LocalnetFaults
  /** The engine; for the localnet's own tests and the CLI only. */
  readonly chain: LocalChain
  /** Base URL of the loopback admin endpoint (faults from other processes). */
  readonly adminUrl: string
  /** Unary calls being answered right now (tests wait for 0 instead of sleeping). */
  callsInFlight(): number
  /** ExecuteTransaction calls waiting on `faults.holdExecutions`. */
  executionsHeld(): number
  /** Live subscription streams (tests wait for one to be gone instead of sleeping). */
  subscriptions(): number
  close(): Promise<void>
}

/** Starting the localnet failed (port in use, unreadable state file...). */
export class LocalnetError extends Data.TaggedError("LocalnetError")<{ readonly message: string; readonly cause?: unknown }> {}

/** Starts a localnet and resolves once it serves. */
export async function startLocalnet(options: LocalnetOptions = {}): Promise<LocalnetHandle> {
  const host = options.host ?? "127.0.0.1"
  const stateFile = options.stateFile
  const saved = stateFile !== undefined ? loadState(stateFile) : undefined
  const epochs = {
    ...(options.epochMs !== undefined ? { epochMs: options.epochMs } : {}),
    ...(options.epochGasPriceStep !== undefined ? { epochGasPriceStep: options.epochGasPriceStep } : {})
  }
  const chain = saved !== undefined ? LocalChain.restore(saved, epochs) : LocalChain.genesis(epochs)
  let durable: DurableState | undefined
  if (stateFile !== undefined) {
    try {
      durable = makeDurable(chain, stateFile, saved, (e) => {
        // The promise cannot be kept: answers wait on the log, so the node stops answering.
        console.error(`localnet: the write-ahead log failed (${e.message}); no further answers are sent`)
      })
    } catch (e) {
      throw new LocalnetError({ message: `cannot replay the localnet state ${stateFile}: ${String(e)}`, cause: e })
    }
  }
  if (options.pruneBelow !== undefined && options.pruneBelow > 0) chain.prune(BigInt(options.pruneBelow))

  const switches: FaultSwitches = {
    failNext: { count: 0, kind: "unavailable" },
    hold: undefined,
    filteredEventsUnimplemented: options.filteredEventsUnimplemented ?? false
  }
  const producer = new CheckpointProducer(
    chain,
    options.checkpointMs ?? 250,
    (e) => {
      console.error("localnet: sealing a checkpoint failed:", e)
    },
    options.retainCheckpoints
  )
  let grpcServer: RunningGrpcServer | undefined
  let admin: AdminServer | undefined
  try {
    grpcServer = await startGrpcServer(
      chain,
      { host, port: options.port ?? 9000, ...(options.socketPath !== undefined ? { socketPath: options.socketPath } : {}) },
      {
        onExecuted: () => producer.afterExecute(),
        faults: switches,
        ...(durable !== undefined ? { policy: { barrier: durable.barrier } } : {})
      }
    )
  } catch (e) {
    throw new LocalnetError({ message: `cannot start the localnet gRPC server on ${host}:${options.port ?? 9000}: ${String(e)}`, cause: e })
  }
  const ctx = grpcServer.context
  const history = options.rewindDepth !== undefined && options.rewindDepth > 0 ? new RewindHistory(chain, options.rewindDepth) : undefined

  const faults = localnetFaults({ ctx, switches, producer, chain, history, durable })

  const status = () => ({
    checkpointHeight: chain.latestCheckpoint().sequenceNumber ?? 0n,
    lowestAvailableCheckpoint: chain.lowestAvailableCheckpoint(),
    pendingTransactions: chain.pendingTransactions(),
    checkpointsPaused: producer.isPaused,
    subscriptions: ctx.fanout.size,
    latencyMs: ctx.policy.latencyMs,
    callsInFlight: ctx.policy.inFlight,
    executionsHeld: switches.hold?.waiting ?? 0,
    failNextExecutions: switches.failNext,
    filteredEventsUnimplemented: switches.filteredEventsUnimplemented,
    dropExecutedPending: chain.dropsPending,
    rewindDepth: history?.depth ?? 0
  })
  try {
    admin = await startAdminServer(faults, status, host, options.adminPort ?? 0)
  } catch (e) {
    await grpcServer.shutdown()
    throw new LocalnetError({ message: `cannot start the localnet admin endpoint: ${String(e)}`, cause: e })
  }

  const saver = durable !== undefined ? periodicSaver(durable, chain, options.saveEveryMs ?? 2000) : undefined

  producer.start()

  const manifest: LocalnetManifest = {
    grpcUrl: `http://${host.includes(":") ? `[${host}]` : host}:${grpcServer.port}`,
    chainId: chain.chainId,
    packageId: chain.ids.packageId,
    registryId: chain.ids.registryId,
    appInstanceId: chain.ids.appInstanceId,
    keys: { admin: chain.keys.admin, coordinator: chain.keys.coordinator }
  }

  let closing: Promise<void> | undefined
  const server = grpcServer
  const adminServer = admin
  return {
    manifest,
    faults,
    chain,
    adminUrl: adminServer.url,
    callsInFlight: () => ctx.policy.inFlight,
    executionsHeld: () => switches.hold?.waiting ?? 0,
    subscriptions: () => ctx.fanout.size,
    close: () => {
      closing ??= (async () => {
        producer.stop()
        faults.releaseExecutions()
        saver?.stop()
        await Promise.all([server.shutdown(), adminServer.close()])
        // a periodic save still writing would race the final one for the same temporary file
        await saver?.idle()
        durable?.closeSync()
      })()
      return closing
    }
  }
}

/** The fault switches of a running localnet, over its parts. */
const localnetFaults = (parts: {
  readonly ctx: RunningGrpcServer["context"]
  readonly switches: FaultSwitches
  readonly producer: CheckpointProducer
  readonly chain: LocalChain
  readonly history: RewindHistory | undefined
  readonly durable: DurableState | undefined
}): LocalnetFaults => {
  const { ctx, switches, producer, chain, history, durable } = parts
  return {
    dropSubscriptions: () => {
      ctx.fanout.dropAll(new RpcStatusError(Status.UNAVAILABLE, "subscription dropped by the node (injected fault)"))
    },
    pauseCheckpoints: () => producer.pause(),
    resumeCheckpoints: () => producer.resume(),
    pruneBelow: (checkpoint) => chain.prune(BigInt(checkpoint)),
    failNextExecutions: (count, kind) => {
      switches.failNext = { count: Math.max(0, Math.floor(count)), kind }
    },
    setLatencyMs: (ms) => {
      ctx.policy.latencyMs = Math.max(0, ms)
    },
    holdExecutions: () => {
      if (switches.hold !== undefined) return
      let release = () => {}
      const released = new Promise<void>((resolve) => (release = resolve))
      switches.hold = { released, release, waiting: 0 }
    },
    releaseExecutions: () => {
      switches.hold?.release()
      switches.hold = undefined
    },
    dropExecuted: (count, fn) => chain.dropNextExecuted(count, fn),
    rollback: (count) => {
      if (history === undefined) throw new Error("rollback needs a localnet started with a rewind depth (--rewind-depth N)")
      const tip = history.rollback(count)
      durable?.rebaseSync()
      // As a node restored from a backup: every live stream ends, clients reconnect to the older tip.
      ctx.fanout.dropAll(new RpcStatusError(Status.UNAVAILABLE, "the node was rolled back (injected fault)"))
      return tip
    },
    setFilteredEventsUnimplemented: (on) => {
      switches.filteredEventsUnimplemented = on
      if (on) {
        ctx.fanout.dropAll(
          new RpcStatusError(Status.UNIMPLEMENTED, "filtered event subscriptions are no longer available on this node"),
          isFilteredListener
        )
      }
    }
  }
}

/** Persists while the chain moves: a save is due when a new checkpoint exists since the last one. */
const periodicSaver = (durable: DurableState, chain: LocalChain, everyMs: number) => {
  let savedHeight = -1n
  let saving: Promise<void> | undefined
  const timer = setInterval(() => {
    const height = chain.latestCheckpoint().sequenceNumber ?? 0n
    if (saving !== undefined || height === savedHeight) return
    saving = durable
      .save()
      .then(() => {
        savedHeight = height
      })
      .catch((e: unknown) => console.error("localnet: saving state failed:", e))
      .finally(() => {
        saving = undefined
      })
  }, everyMs)
  timer.unref()
  return {
    stop: () => clearInterval(timer),
    /** Resolves once no save is being written. */
    idle: async () => {
      await saving
    }
  }
}

/** Effect wrapper: the localnet lives as long as the enclosing Scope. */
export const Localnet = {
  make: (options?: LocalnetOptions): Effect.Effect<LocalnetHandle, LocalnetError, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => startLocalnet(options),
        catch: (e) => (e instanceof LocalnetError ? e : new LocalnetError({ message: String(e), cause: e }))
      }),
      (handle) => Effect.promise(() => handle.close())
    ).pipe(Effect.withSpan("Localnet.make"))
}
