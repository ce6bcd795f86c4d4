/**
 * SuiClient — the coordinator's connection to a Sui full node: a `SuiGrpcClient` over native gRPC
 * (HTTP/2 via @grpc/grpc-js, so server streams work), the coordinator's key (Ed25519, Secp256k1 or
 * Secp256r1: keys held in KMS/HSMs are usually one of the latter two) and the ids
 * of the coordination package and registry.
 */
import { ChannelCredentials } from "@grpc/grpc-js"
import { decodeSuiPrivateKey, type Keypair } from "@mysten/sui/cryptography"
import { SuiGrpcClient } from "@mysten/sui/grpc"
import { Secp256k1Keypair } from "@mysten/sui/keypairs/secp256k1"
import { Secp256r1Keypair } from "@mysten/sui/keypairs/secp256r1"
import { fromBase64, fromHex, normalizeSuiAddress } from "@mysten/sui/utils"
import { GrpcTransport } from "@protobuf-ts/grpc-transport"
import { unsafeNodeRequest } from "../chain/metrics.js"
import { NodeEd25519Keypair } from "../chain/nodeKeypair.js"
import { redactUrl } from "../domain/redact.js"
import { Context, Data, Effect, Layer, Option, Redacted, type Scope } from "effect"
import { Config } from "./Config.js"

/** Start-up failure of the chain connection; `message` is the one line printed. */
export class SuiClientError extends Data.TaggedError("SuiClientError")<{ readonly message: string }> {}

/** What the rest of the coordinator needs to talk to the chain. */
export interface SuiClientService {
  readonly client: SuiGrpcClient
  readonly keypair: Keypair
  /** The coordinator's address (`0x` + 64 hex). */
  readonly address: string
  /** Coordination package id (normalised). */
  readonly packageId: string
  /** Registry object id (normalised), when configured. */
  readonly registryId: Option.Option<string>
  readonly url: string
}

/** Connection settings, normally taken from `Config`. */
export interface SuiClientSettings {
  readonly url: string
  readonly privateKey: string
  readonly packageId: string
  readonly registryId?: string | undefined
  /** When given, the key must derive this address. */
  readonly expectedAddress?: string | undefined
}

/** A keypair of the scheme named by a Sui flag byte (0 Ed25519, 1 Secp256k1, 2 Secp256r1). */
const keypairOf = (flag: number, secret: Uint8Array): Keypair => {
  if (flag === 0) return NodeEd25519Keypair.fromSeed(secret)
  if (flag === 1) return Secp256k1Keypair.fromSecretKey(secret)
  if (flag === 2) return Secp256r1Keypair.fromSecretKey(secret)
  throw new Error(`unsupported key scheme flag ${flag} (Ed25519 = 0, Secp256k1 = 1, Secp256r1 = 2)`)
}

const SCHEME_FLAG: Record<string, number> = { ED25519: 0, Secp256k1: 1, Secp256r1: 2 }

/**
 * Parses a Sui private key: bech32 `suiprivkey1…` (its flag byte names the scheme: Ed25519,
 * Secp256k1 or Secp256r1), base64 (32 bytes, or 33 with the scheme flag) or hex (with or without
 * `0x`; 33 bytes with the flag). A bare 32-byte key is Ed25519.
 */
export const parsePrivateKey = (raw: string): Keypair => {
  const v = raw.trim()
  if (v.startsWith("suiprivkey")) {
    const parsed = decodeSuiPrivateKey(v)
    const flag = SCHEME_FLAG[parsed.scheme]
    if (flag === undefined) throw new Error(`unsupported key scheme ${parsed.scheme} (Ed25519, Secp256k1 and Secp256r1 are supported)`)
    return keypairOf(flag, parsed.secretKey)
  }
  let bytes: Uint8Array
  if (/^(0x)?[0-9a-fA-F]+$/.test(v) && (v.replace(/^0x/, "").length === 64 || v.replace(/^0x/, "").length === 66)) {
    bytes = fromHex(v.replace(/^0x/, ""))
  } else {
    try {
      bytes = fromBase64(v)
    } catch {
      throw new Error("not a suiprivkey, hex or base64 key")
    }
  }
  // A leading scheme flag byte may precede the 32-byte secret.
  let flag = 0
  if (bytes.length === 33) {
    flag = bytes[0]!
    bytes = bytes.slice(1)
  }
  if (bytes.length !== 32) throw new Error(`expected a 32-byte secret key, got ${bytes.length} bytes`)
  return keypairOf(flag, bytes)
}

/** A `SuiGrpcClient` over native gRPC; `https:` URLs use TLS. Close it with `closeGrpcClient`. */
export const makeGrpcClient = (url: string): SuiGrpcClient => {
  const u = new URL(url)
  const tls = u.protocol === "https:"
  const port = u.port !== "" ? u.port : tls ? "443" : "80"
  const transport = new GrpcTransport({
    host: `${u.hostname}:${port}`,
    channelCredentials: tls ? ChannelCredentials.createSsl() : ChannelCredentials.createInsecure(),
    clientOptions: {
      "grpc.max_receive_message_length": 256 * 1024 * 1024,
      "grpc.keepalive_time_ms": 30_000,
      "grpc.keepalive_timeout_ms": 10_000
    },
    // every unary request counted by method (`silvana_node_requests_total`): what a public full
    // node's rate limit sees of this coordinator
    interceptors: [
      {
        interceptUnary: (next, method, input, options) => {
          unsafeNodeRequest(method.name)
          return next(method, input, options)
        }
      }
    ]
  })
  const client = new SuiGrpcClient({ network: "localnet", transport })
  transports.set(client, transport)
  return client
}

const transports = new WeakMap<SuiGrpcClient, GrpcTransport>()

/** Closes the gRPC channel under a client made by `makeGrpcClient`. */
export const closeGrpcClient = (client: SuiGrpcClient): void => {
  try {
    transports.get(client)?.close()
  } catch {
    // already closed
  }
}

/** Builds the service from explicit settings, failing with one clear line. */
export const makeSuiClient = (settings: SuiClientSettings): Effect.Effect<SuiClientService, SuiClientError, Scope.Scope> =>
  Effect.gen(function* () {
    const keypair = yield* Effect.try({
      try: () => parsePrivateKey(settings.privateKey),
      catch: (e) => new SuiClientError({ message: `SUI_PRIVATE_KEY: ${(e as Error).message}` })
    })
    const address = normalizeSuiAddress(keypair.toSuiAddress())
    if (settings.expectedAddress !== undefined && normalizeSuiAddress(settings.expectedAddress) !== address) {
      return yield* new SuiClientError({
        message: `SUI_ADDRESS: the private key derives ${address}, not ${normalizeSuiAddress(settings.expectedAddress)}`
      })
    }
    const client = yield* Effect.acquireRelease(
      Effect.try({
        try: () => makeGrpcClient(settings.url),
        catch: (e) => new SuiClientError({ message: `SUI_RPC_URL: ${(e as Error).message}` })
      }),
      (c) => Effect.sync(() => closeGrpcClient(c))
    )
    return {
      client,
      keypair,
      address,
      packageId: normalizeSuiAddress(settings.packageId),
      registryId: Option.map(Option.fromNullable(settings.registryId), normalizeSuiAddress),
      // for display only (logs, /health): credentials in the node URL never leave this module
      url: redactUrl(settings.url)
    }
  })

/** The chain connection. */
export class SuiClient extends Context.Tag("silvana/SuiClient")<SuiClient, SuiClientService>() {
  /** From `Config`: SUI_RPC_URL, SUI_PRIVATE_KEY, SUI_ADDRESS, SILVANA_REGISTRY_PACKAGE, SILVANA_REGISTRY. */
  static readonly layer = Layer.scoped(
    SuiClient,
    Effect.gen(function* () {
      const c = yield* Config
      const url = yield* Option.match(c.suiRpcUrl, {
        onNone: () => new SuiClientError({ message: "SUI_RPC_URL: not set (use SuiClient.layerFromUrl for an embedded localnet)" }),
        onSome: Effect.succeed
      })
      return yield* SuiClient.fromConfig(url)
    })
  )

  /** From `Config`, but with a node URL given by the program (the embedded localnet). */
  static readonly layerFromUrl = (url: string) => Layer.scoped(SuiClient, SuiClient.fromConfig(url))

  /** From explicit settings (tests, tools). */
  static readonly layerFrom = (settings: SuiClientSettings) => Layer.scoped(SuiClient, makeSuiClient(settings))

  private static fromConfig(url: string) {
    return Effect.gen(function* () {
      const c = yield* Config
      const key = yield* Option.match(c.suiPrivateKey, {
        onNone: () => new SuiClientError({ message: "SUI_PRIVATE_KEY: not set" }),
        onSome: (k) => Effect.succeed(Redacted.value(k))
      })
      const packageId = yield* Option.match(c.registryPackage, {
        onNone: () => new SuiClientError({ message: "SILVANA_REGISTRY_PACKAGE: not set" }),
        onSome: Effect.succeed
      })
      return yield* makeSuiClient({
        url,
        privateKey: key,
        packageId,
        registryId: Option.getOrUndefined(c.registry),
        expectedAddress: Option.getOrUndefined(c.suiAddress)
      })
    })
  }
}
