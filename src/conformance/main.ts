/**
 * `npm run conformance -- --url URL [--key suiprivkey…] [--transport grpc|grpc-web|both]`: runs the
 * SDK conformance flows against a node and prints PASS/FAIL per flow; exits 1 when one fails.
 * Without `--key`, SUI_PRIVATE_KEY is used. The key's address needs a few SUI (the flows move small
 * amounts to itself). `grpc` is native gRPC (what the coordinator uses), `grpc-web` the SDK's
 * default `new SuiGrpcClient({ baseUrl })` (what a browser dApp uses); the default runs both.
 */
import { SuiGrpcClient } from "@mysten/sui/grpc"
import { closeGrpcClient, makeGrpcClient, parsePrivateKey } from "../layers/SuiClient.js"
import { runConformance } from "./flows.js"

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const main = async (): Promise<number> => {
  const url = arg("url")
  const rawKey = arg("key") ?? process.env["SUI_PRIVATE_KEY"]
  if (url === undefined || rawKey === undefined) {
    console.error("usage: npm run conformance -- --url https://fullnode.devnet.sui.io:443 --key suiprivkey1… (or SUI_PRIVATE_KEY)")
    return 2
  }
  const transport = arg("transport") ?? "both"
  if (!["grpc", "grpc-web", "both"].includes(transport)) {
    console.error("--transport is grpc, grpc-web or both")
    return 2
  }
  const key = parsePrivateKey(rawKey)
  let failed = 0
  for (const t of transport === "both" ? ["grpc", "grpc-web"] : [transport]) {
    const client = t === "grpc" ? makeGrpcClient(url) : new SuiGrpcClient({ network: "custom", baseUrl: url })
    console.log(`conformance against ${url} over ${t} as ${key.toSuiAddress()}`)
    try {
      const results = await runConformance(client, key, (r) => console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.name}: ${r.detail}`))
      const passed = results.filter((r) => r.ok).length
      console.log(`${passed}/${results.length} flows pass over ${t}`)
      failed += results.length - passed
    } finally {
      closeGrpcClient(client)
    }
  }
  return failed === 0 ? 0 : 1
}

main().then((code) => process.exit(code), (e) => {
  console.error(e)
  process.exit(2)
})
