/**
 * The SDK conformance suite (src/conformance) passes against the localnet, over real gRPC and over
 * gRPC-web on the same port (the SDK's default transport, `new SuiGrpcClient({ baseUrl })`).
 */
import { SuiGrpcClient } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { afterAll, beforeAll, expect, it } from "vitest"
import { runConformance } from "../../src/conformance/flows.js"
import { makeSuiClient } from "../../src/localnet/client.js"
import { startLocalnet, type LocalnetHandle } from "../../src/localnet/index.js"

let net: LocalnetHandle

beforeAll(async () => {
  // epochs that end, so the expired-transaction flow has a past epoch to name
  net = await startLocalnet({ port: 0, epochMs: 2_000 })
})

afterAll(async () => {
  await net?.close()
})

const clients = {
  grpc: () => makeSuiClient(net.manifest.grpcUrl),
  "grpc-web": () => new SuiGrpcClient({ network: "localnet", baseUrl: net.manifest.grpcUrl })
}

it.each(Object.keys(clients) as Array<keyof typeof clients>)("every conformance flow passes on the localnet over %s", async (transport) => {
  const results = await runConformance(clients[transport](), Ed25519Keypair.fromSecretKey(net.manifest.keys.admin))
  const failed = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`)
  expect(failed).toEqual([])
  expect(results.length).toBeGreaterThanOrEqual(20)
}, 180_000)
