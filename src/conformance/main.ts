/**
 * `npm run conformance -- --url URL [--key suiprivkey…]`: runs the SDK conformance flows against
 * a node and prints PASS/FAIL per flow; exits 1 when one fails. Without `--key`, SUI_PRIVATE_KEY
 * is used. The key's address needs a few SUI (the flows move small amounts to itself).
 */
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
  const key = parsePrivateKey(rawKey)
  const client = makeGrpcClient(url)
  console.log(`conformance against ${url} as ${key.toSuiAddress()}`)
  try {
    const results = await runConformance(client, key, (r) => console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.name}: ${r.detail}`))
    const passed = results.filter((r) => r.ok).length
    console.log(`${passed}/${results.length} flows pass`)
    return passed === results.length ? 0 : 1
  } finally {
    closeGrpcClient(client)
  }
}

main().then((code) => process.exit(code), (e) => {
  console.error(e)
  process.exit(2)
})
