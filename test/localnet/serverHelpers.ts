/** Shared helpers of the localnet server/stream/CLI tests: clients, stream collection, status codes, a per-file localnet. */
import { ChannelCredentials } from "@grpc/grpc-js"
import { GrpcTypes, SuiGrpcClient } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { GrpcTransport } from "@protobuf-ts/grpc-transport"
import { afterAll, beforeAll } from "vitest"
import { makeSuiClient } from "../../src/localnet/client.js"
import { type LocalnetHandle, type LocalnetManifest, startLocalnet } from "../../src/localnet/index.js"

/** The production client path: SuiGrpcClient over native gRPC. */
export const grpcClient = (manifest: Pick<LocalnetManifest, "grpcUrl">) =>
  new SuiGrpcClient({
    network: "localnet",
    transport: new GrpcTransport({
      host: manifest.grpcUrl.replace(/^https?:\/\//, ""),
      channelCredentials: ChannelCredentials.createInsecure()
    })
  })

/** The gRPC status name of a failed call (`"NOT_FOUND"`...), or "OK" when it did not fail. */
export const statusOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
    return "OK"
  } catch (e) {
    return String((e as { code?: unknown }).code ?? e)
  }
}

/** Reads a server stream until `done(frames)` holds (or it ends); aborts the call afterwards. */
export const collect = async <T>(
  responses: AsyncIterable<T>,
  done: (frames: T[]) => boolean,
  abort?: AbortController
): Promise<{ frames: T[]; error: unknown }> => {
  const frames: T[] = []
  let error: unknown
  try {
    for await (const frame of responses) {
      frames.push(frame)
      if (done(frames)) break
    }
  } catch (e) {
    error = e
  }
  abort?.abort()
  return { frames, error }
}

/** Reads a whole (finite) server stream, or throws its error. */
export const drain = async <T>(responses: AsyncIterable<T>): Promise<T[]> => {
  const frames: T[] = []
  for await (const frame of responses) frames.push(frame)
  return frames
}

/** An `EventFilter` of one term with the given literals. */
export const filterOf = (...literals: GrpcTypes.EventLiteral["predicate"][]): GrpcTypes.EventFilter => ({
  terms: [{ literals: literals.map((predicate) => ({ negated: false, predicate })) }]
})

export const eventType = (t: string): GrpcTypes.EventLiteral["predicate"] => ({ oneofKind: "eventType", eventType: { eventType: t } })
export const emitModule = (m: string): GrpcTypes.EventLiteral["predicate"] => ({ oneofKind: "emitModule", emitModule: { module: m } })
export const sender = (a: string): GrpcTypes.EventLiteral["predicate"] => ({ oneofKind: "sender", sender: { address: a } })

/** Lexicographic comparison of cursors (the localnet's cursors order like ledger positions). */
export const compareBytes = (a: Uint8Array, b: Uint8Array): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls `probe` until it returns a value (or fails after `timeoutMs`). */
export const eventually = async <T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error("condition not reached in time")
    await sleep(20)
  }
}

/**
 * One per-transaction localnet for a test file, with an SDK client on it and its genesis admin key
 * (which holds the SUI and the test coin): started in the file's `beforeAll`, closed in its
 * `afterAll`. Read the fields inside tests (they are set once `beforeAll` has run).
 */
export const sharedLocalnet = () => {
  const shared = {} as { net: LocalnetHandle; client: SuiGrpcClient; admin: Ed25519Keypair }
  beforeAll(async () => {
    shared.net = await startLocalnet({ port: 0, checkpointMs: "per-transaction" })
    shared.client = makeSuiClient(shared.net.manifest.grpcUrl)
    shared.admin = Ed25519Keypair.fromSecretKey(shared.net.manifest.keys.admin)
  })
  afterAll(async () => {
    await shared.net?.close()
  })
  return shared as Readonly<typeof shared>
}

export { GrpcTypes }
