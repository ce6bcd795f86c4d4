/** The SDK conformance suite (src/conformance) passes against the localnet, over real gRPC. */
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { afterAll, beforeAll, expect, it } from "vitest"
import { runConformance } from "../../src/conformance/flows.js"
import { makeSuiClient } from "../../src/localnet/client.js"
import { startLocalnet, type LocalnetHandle } from "../../src/localnet/index.js"

let net: LocalnetHandle

beforeAll(async () => {
  net = await startLocalnet({ port: 0 })
})

afterAll(async () => {
  await net?.close()
})

it("every conformance flow passes on the localnet", async () => {
  const results = await runConformance(makeSuiClient(net.manifest.grpcUrl), Ed25519Keypair.fromSecretKey(net.manifest.keys.admin))
  const failed = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`)
  expect(failed).toEqual([])
  expect(results.length).toBeGreaterThanOrEqual(12)
}, 180_000)
