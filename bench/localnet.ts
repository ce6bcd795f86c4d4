/**
 * bench:localnet — the localnet's own throughput, as a coordinator would see it over native gRPC:
 *
 * - `localnet_tx_per_s`: executed `create_app_job` transactions per second, each signed by the
 *   client (Ed25519 over the intent message) and submitted by several concurrent senders, one
 *   transaction in flight per gas coin.
 * - `localnet_events_per_s`: events per second carried by the checkpoint stream to one
 *   `SubscribeCheckpoints` subscriber (the coordinator's read mask: event types and BCS contents):
 *   production is paused while transactions of many `create_app_job` calls execute, then resumed,
 *   and the time until the subscriber holds every event is measured (the stream's capacity,
 *   independent of execution speed). `localnet_live_events_per_s` is the rate while checkpoints
 *   are produced every 250 ms under load (bounded by execution speed).
 *
 * The node runs in the main thread (as `localnet` does); the senders (`BENCH_LOAD_THREADS`, default 2)
 * and the subscriber run in worker threads with their own gRPC clients. Each gas coin's transaction
 * is built once with `@mysten/sui`; later ones write the coin's new version and digest into those
 * bytes, so client-side building does not dominate; signing is real per transaction. The node's
 * and each sender thread's busy share are printed, to tell a node-bound run from a client-bound one.
 */
import * as crypto from "node:crypto"
import { fileURLToPath } from "node:url"
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads"
import { ChannelCredentials } from "@grpc/grpc-js"
import { decodeSuiPrivateKey, messageWithIntent } from "@mysten/sui/cryptography"
import { SuiGrpcClient } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { fromBase58, toBase58 } from "@mysten/sui/utils"
import { blake2b256 } from "../src/domain/blake2b.js"
import { GrpcTransport } from "@protobuf-ts/grpc-transport"
import { coordinationCall, makeSuiClient, seedAgentMethod } from "../src/localnet/client.js"
import { type LocalnetManifest, startLocalnet } from "../src/localnet/index.js"
import { profileIfAsked } from "./profile.js"

const TX_SECONDS = Number(process.env["BENCH_TX_SECONDS"] ?? 8)
const EVENTS_SECONDS = Number(process.env["BENCH_EVENTS_SECONDS"] ?? 8)
const CALLS_PER_TX = Number(process.env["BENCH_CALLS_PER_TX"] ?? 50)
const SENDERS = Number(process.env["BENCH_SENDERS"] ?? 32)
/** Worker threads the senders are spread over (each with its own gRPC connection). */
const LOAD_THREADS = Math.max(1, Number(process.env["BENCH_LOAD_THREADS"] ?? 2))
const METHOD = "bench"

interface LoadJob {
  readonly role: "load"
  readonly manifest: LocalnetManifest
  readonly seconds: number
  readonly callsPerTx: number
  readonly senders: number
  /** This thread takes the gas coins `i` with `i % threads === thread`. */
  readonly thread: number
  readonly threads: number
}
interface SubscribeJob {
  readonly role: "subscribe"
  readonly manifest: LocalnetManifest
}
type Job = LoadJob | SubscribeJob

// ---------------------------------------------------------------------------------------------
// Worker side

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex")

/** A Sui Ed25519 signer on node:crypto (the same bytes as `Ed25519Keypair.signTransaction`). */
const fastSigner = (secretKey: string) => {
  const { secretKey: seed } = decodeSuiPrivateKey(secretKey)
  const key = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" })
  const kp = Ed25519Keypair.fromSecretKey(secretKey)
  const pub = kp.getPublicKey().toRawBytes()
  return {
    address: kp.toSuiAddress(),
    sign: (txBytes: Uint8Array): Uint8Array => {
      const digest = blake2b256(messageWithIntent("TransactionData", txBytes))
      const out = new Uint8Array(1 + 64 + 32)
      out[0] = 0x00 // Ed25519 flag
      out.set(crypto.sign(null, digest, key), 1)
      out.set(pub, 65)
      return out
    }
  }
}

const runLoad = async (job: LoadJob): Promise<{ executed: number; failed: number; seconds: number; busy: number }> => {
  const client = makeSuiClient(job.manifest.grpcUrl)
  const signers = [fastSigner(job.manifest.keys.admin), fastSigner(job.manifest.keys.coordinator)]
  const inst = await client.core.getObject({ objectId: job.manifest.appInstanceId })
  const owner = inst.object.owner as { Shared?: { initialSharedVersion: string } }
  const appRef = { objectId: job.manifest.appInstanceId, initialSharedVersion: owner.Shared!.initialSharedVersion }
  const { referenceGasPrice } = await client.core.getReferenceGasPrice()

  // One template per gas coin, built by the SDK once; later transactions only change the gas
  // coin's version and digest, written in place into the template's bytes.
  const lanes: Array<{ signer: (typeof signers)[number]; bytes: Uint8Array; versionAt: number }> = []
  let coinIndex = 0
  for (const signer of signers) {
    const coins = await client.core.listCoins({ owner: signer.address, limit: 100 })
    for (const c of coins.objects) {
      if (coinIndex >= job.senders) break
      if (coinIndex++ % job.threads !== job.thread) continue
      const tx = new Transaction()
      tx.setSender(signer.address)
      tx.setGasPrice(BigInt(referenceGasPrice))
      tx.setGasBudget(50_000_000n + 20_000_000n * BigInt(job.callsPerTx))
      tx.setGasPayment([{ objectId: c.objectId, version: c.version, digest: c.digest }])
      for (let i = 0; i < job.callsPerTx; i++) {
        coordinationCall.createAppJob(tx, job.manifest.packageId, appRef, { method: METHOD, data: new Uint8Array([1, 2, 3, 4]) })
      }
      const bytes = await tx.build()
      lanes.push({ signer, bytes, versionAt: gasRefAt(bytes, c.objectId, c.version, c.digest) })
    }
  }
  let executed = 0
  let failed = 0
  parentPort!.postMessage({ started: true })
  const elu = performance.eventLoopUtilization()
  const start = performance.now()
  const deadline = start + job.seconds * 1000
  const lane = async (l: (typeof lanes)[number]) => {
    while (performance.now() < deadline) {
      const bytes = l.bytes.slice()
      const signature = l.signer.sign(bytes)
      const { response } = await client.transactionExecutionService.executeTransaction({
        transaction: { bcs: { value: bytes } },
        signatures: [{ bcs: { value: signature }, signature: { oneofKind: undefined } }],
        readMask: { paths: ["effects.status", "effects.gas_object"] }
      })
      const effects = response.transaction?.effects
      if (effects?.status?.success) executed++
      else failed++
      const gas = effects?.gasObject
      writeGasRef(l.bytes, l.versionAt, BigInt(gas!.outputVersion!), gas!.outputDigest!)
    }
  }
  await Promise.all(lanes.map(lane))
  const seconds = (performance.now() - start) / 1000
  return { executed, failed, seconds, busy: performance.eventLoopUtilization(elu).utilization }
}

/**
 * Where the gas coin's version sits in a built `TransactionData`: the payment's `ObjectRef` is the
 * coin's id (32 bytes), its version (u64 LE) and its digest (length byte 32, then 32 bytes). The
 * id is found as the last occurrence of its bytes, and the version and digest found after it are
 * checked against the coin's.
 */
const gasRefAt = (bytes: Uint8Array, objectId: string, version: string, digest: string): number => {
  const id = Buffer.from(objectId.slice(2).padStart(64, "0"), "hex")
  const at = Buffer.from(bytes).lastIndexOf(id)
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (at < 0 || view.readBigUInt64LE(at + 32) !== BigInt(version) || bytes[at + 40] !== 32 || toBase58(bytes.subarray(at + 41, at + 73)) !== digest) {
    throw new Error(`gas coin ${objectId} not found in the built transaction`)
  }
  return at + 32
}

const writeGasRef = (bytes: Uint8Array, versionAt: number, version: bigint, digest: string) => {
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).writeBigUInt64LE(version, versionAt)
  bytes.set(fromBase58(digest), versionAt + 9)
}

const runSubscribe = async (job: SubscribeJob) => {
  // A burst checkpoint can exceed grpc-js's default 4 MiB receive limit.
  const client = new SuiGrpcClient({
    network: "localnet",
    transport: new GrpcTransport({
      host: job.manifest.grpcUrl.replace(/^https?:\/\//, ""),
      channelCredentials: ChannelCredentials.createInsecure(),
      clientOptions: { "grpc.max_receive_message_length": -1 }
    })
  })
  const abort = new AbortController()
  // The read mask the coordinator's checkpoint follower uses (BCS contents, no JSON rendering).
  const paths = ["sequence_number", "transactions.digest", "transactions.events.events.event_type", "transactions.events.events.contents"]
  const call = client.subscriptionService.subscribeCheckpoints({ readMask: { paths } }, { abort: abort.signal })
  parentPort!.on("message", (m: string) => {
    if (m === "stop") abort.abort()
  })
  let frames = 0
  try {
    for await (const frame of call.responses) {
      let n = 0
      for (const tx of frame.checkpoint?.transactions ?? []) n += tx.events?.events.length ?? 0
      // Wall-clock arrival of each checkpoint and its events, for the main thread's windows.
      parentPort!.postMessage({ frame: { events: n, at: performance.timeOrigin + performance.now() } })
      if (frames++ === 0) parentPort!.postMessage({ ready: true })
    }
  } catch (e) {
    if (!abort.signal.aborted) throw e
  }
  return { frames }
}

if (!isMainThread) {
  const job = workerData as Job
  const result = job.role === "load" ? runLoad(job) : runSubscribe(job)
  result.then(
    (r) => parentPort!.postMessage({ result: r }),
    (e: unknown) => parentPort!.postMessage({ error: String(e instanceof Error ? e.stack : e) })
  )
}

// ---------------------------------------------------------------------------------------------
// Main side

interface WorkerMessage<R> {
  readonly ready?: boolean
  readonly started?: boolean
  readonly frame?: { events: number; at: number }
  readonly result?: R
  readonly error?: string
}

const spawnWorker = <R>(job: Job, on: (m: WorkerMessage<R>) => void = () => {}): { done: Promise<R>; worker: Worker } => {
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: job })
  const done = new Promise<R>((resolve, reject) => {
    worker.on("message", (m: WorkerMessage<R>) => {
      if (m.error !== undefined) reject(new Error(m.error))
      else if (m.result !== undefined) resolve(m.result)
      else on(m)
    })
    worker.on("error", reject)
  })
  return { done, worker }
}

type LoadResult = { executed: number; failed: number; seconds: number; busy: number }

/**
 * Runs `LOAD_THREADS` load workers over the senders; returns their sums, the node thread's
 * utilisation during the timed part (from the first worker's start) and each sender thread's.
 */
const runLoadWorker = async (
  job: Omit<LoadJob, "thread" | "threads">
): Promise<Omit<LoadResult, "busy"> & { busy: number; senderBusy: number[] }> => {
  let elu: ReturnType<typeof performance.eventLoopUtilization> | undefined
  const threads = Math.min(LOAD_THREADS, job.senders)
  const loads = Array.from({ length: threads }, (_, thread) =>
    spawnWorker<LoadResult>({ ...job, thread, threads }, (m) => {
      if (m.started && elu === undefined) elu = performance.eventLoopUtilization()
    })
  )
  const results = await Promise.all(loads.map((l) => l.done))
  const busy = elu === undefined ? 0 : performance.eventLoopUtilization(elu).utilization
  await Promise.all(loads.map((l) => l.worker.terminate()))
  return {
    executed: results.reduce((n, r) => n + r.executed, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    seconds: Math.max(...results.map((r) => r.seconds)),
    busy,
    senderBusy: results.map((r) => r.busy)
  }
}

const now = () => performance.timeOrigin + performance.now()

const main = async () => {
  const net = await startLocalnet({ port: 0, checkpointMs: 250 })
  try {
    await seedAgentMethod(net.manifest, { developer: "bench", agent: "bench", method: METHOD, image: "bench:1" })

    // 1. Transactions per second: one create_app_job per transaction.
    // BENCH_CPU_PROF=<file>: a V8 CPU profile of the node's thread during this part only.
    const profile = await profileIfAsked()
    const tx = await runLoadWorker({ role: "load", manifest: net.manifest, seconds: TX_SECONDS, callsPerTx: 1, senders: SENDERS })
    await profile.stop()
    const txPerS = tx.executed / tx.seconds
    console.log(`localnet_tx_per_s=${txPerS.toFixed(0)}`)
    console.log(
      `# ${tx.executed} executed, ${tx.failed} failed in ${tx.seconds.toFixed(1)} s with ${SENDERS} senders; ` +
        `node thread busy ${(tx.busy * 100).toFixed(0)}% (≈ ${(txPerS / Math.max(tx.busy, 0.01)).toFixed(0)} tx/s at 100%); ` +
        `${tx.senderBusy.length} sender threads busy ${tx.senderBusy.map((b) => `${(b * 100).toFixed(0)}%`).join(", ")}`
    )

    // 2. The checkpoint stream to one subscriber (read mask transactions.events).
    const arrivals: Array<{ events: number; at: number }> = []
    let ready!: () => void
    const isReady = new Promise<void>((r) => (ready = r))
    const sub = spawnWorker<{ frames: number }>({ role: "subscribe", manifest: net.manifest }, (m) => {
      if (m.frame) arrivals.push(m.frame)
      if (m.ready) ready()
    })
    await Promise.race([isReady, sub.done])
    const eventsBetween = (from: number, to: number) => arrivals.filter((a) => a.at >= from && a.at <= to).reduce((n, a) => n + a.events, 0)

    // 2a. Live: checkpoints every 250 ms while transactions of many create_app_job calls run.
    const liveFrom = now()
    const live = await runLoadWorker({ role: "load", manifest: net.manifest, seconds: EVENTS_SECONDS, callsPerTx: CALLS_PER_TX, senders: SENDERS })
    await new Promise((r) => setTimeout(r, 600))
    const liveEvents = eventsBetween(liveFrom, now())
    const liveFirst = arrivals.find((a) => a.at >= liveFrom && a.events > 0)?.at ?? liveFrom
    const liveLast = [...arrivals].reverse().find((a) => a.events > 0)?.at ?? now()
    const livePerS = liveEvents / Math.max((liveLast - liveFirst) / 1000, 1e-3)

    // 2b. Burst: production paused while transactions execute, then everything is sealed and
    // streamed at once — what the stream itself carries per second, independent of execution speed.
    net.faults.pauseCheckpoints()
    const backlog = await runLoadWorker({ role: "load", manifest: net.manifest, seconds: EVENTS_SECONDS, callsPerTx: CALLS_PER_TX, senders: SENDERS })
    const expected = backlog.executed * CALLS_PER_TX
    const resumedAt = now()
    net.faults.resumeCheckpoints()
    const giveUp = resumedAt + 60_000
    while (eventsBetween(resumedAt, now()) < expected) {
      if (now() > giveUp) throw new Error(`subscriber got ${eventsBetween(resumedAt, now())} of ${expected} events`)
      await Promise.race([new Promise((r) => setTimeout(r, 5)), sub.done])
    }
    const burstLast = [...arrivals].reverse().find((a) => a.events > 0)!.at
    const burstPerS = expected / Math.max((burstLast - resumedAt) / 1000, 1e-3)

    sub.worker.postMessage("stop")
    await sub.done.catch(() => undefined)
    await sub.worker.terminate()
    console.log(`localnet_events_per_s=${burstPerS.toFixed(0)}`)
    console.log(
      `# stream: ${expected} events sealed at once reached the subscriber in ${(burstLast - resumedAt).toFixed(0)} ms; ` +
        `live: ${liveEvents} events at ${livePerS.toFixed(0)} events/s while the node executed ` +
        `${(live.executed / live.seconds).toFixed(0)} tx/s of ${CALLS_PER_TX} create_app_job calls (node thread busy ${(live.busy * 100).toFixed(0)}%)`
    )
    console.log(`localnet_live_events_per_s=${livePerS.toFixed(0)}`)
  } finally {
    await net.close()
  }
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e)
    process.exitCode = 1
  })
}
