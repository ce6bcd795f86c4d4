/**
 * gRPC-web on the gRPC port: the SDK's default transport in both wire formats, status trailers
 * identical to native gRPC, a server stream, the CORS preflight a browser sends, and plain HTTP
 * requests that are not gRPC-web.
 */
import { SuiGrpcClient } from "@mysten/sui/grpc"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startLocalnet, type LocalnetHandle } from "../../src/localnet/index.js"
import { grpcClient, statusOf } from "./serverHelpers.js"

let net: LocalnetHandle

beforeAll(async () => {
  net = await startLocalnet({ port: 0, checkpointMs: 50 })
})

afterAll(async () => {
  await net?.close()
})

const webClient = (format: "text" | "binary") => new SuiGrpcClient({ network: "localnet", baseUrl: net.manifest.grpcUrl, format })

const errorOf = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
  try {
    await p
  } catch (e) {
    return { code: String((e as { code?: unknown }).code), message: (e as Error).message }
  }
  return { code: "OK", message: "" }
}

describe.each(["text", "binary"] as const)("gRPC-web, %s format", (format) => {
  it("reads the same objects as native gRPC", async () => {
    const web = webClient(format)
    const clock = normalizeSuiAddress("0x6")
    const viaWeb = await web.ledgerService.getObject({ objectId: clock, readMask: { paths: ["object_id", "version", "owner"] } }).response
    const viaGrpc = await grpcClient(net.manifest).ledgerService.getObject({ objectId: clock, readMask: { paths: ["object_id", "version", "owner"] } }).response
    expect(viaWeb.object?.objectId).toBe(clock)
    expect(viaWeb.object).toEqual(viaGrpc.object)
  })

  it("answers a rejection with the status code and message native gRPC answers", async () => {
    const missing = normalizeSuiAddress("0xdead")
    const web = await errorOf(webClient(format).ledgerService.getObject({ objectId: missing }).response)
    const native = await errorOf(grpcClient(net.manifest).ledgerService.getObject({ objectId: missing }).response)
    expect(web.code).toBe("NOT_FOUND")
    expect(native.code).toBe("NOT_FOUND")
    expect(web.message).toBe(native.message)
  })

  it("streams checkpoints", async () => {
    const ac = new AbortController()
    const call = webClient(format).subscriptionService.subscribeCheckpoints({ readMask: { paths: ["sequence_number"] } }, { abort: ac.signal })
    const seen: bigint[] = []
    try {
      for await (const m of call.responses) {
        seen.push(m.cursor!)
        if (seen.length === 3) break
      }
    } finally {
      ac.abort()
    }
    expect(seen[1]).toBe(seen[0]! + 1n)
    expect(seen[2]).toBe(seen[1]! + 1n)
  })
})

it("answers UNIMPLEMENTED for SuiNS (not configured on this chain) and for a method the node does not serve", async () => {
  expect(await statusOf(webClient("text").nameService.lookupName({ name: "x.sui" }).response)).toBe("UNIMPLEMENTED")
  // a service outside sui.rpc.v2 (the fork tool's): not served at all
  const res = await fetch(`${net.manifest.grpcUrl}/sui.forking.v1alpha.ForkingService/GetStatus`, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
    body: new Uint8Array([0, 0, 0, 0, 0])
  })
  const body = new Uint8Array(await res.arrayBuffer())
  const trailers = res.headers.get("grpc-status") ?? new TextDecoder().decode(body)
  expect(trailers).toMatch(/(^|grpc-status:)12\b/)
})

it("answers a browser's CORS preflight", async () => {
  const res = await fetch(`${net.manifest.grpcUrl}/sui.rpc.v2.LedgerService/GetServiceInfo`, {
    method: "OPTIONS",
    headers: { origin: "https://dapp.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-grpc-web" }
  })
  expect(res.status).toBe(204)
  expect(res.headers.get("access-control-allow-origin")).toBe("*")
  expect(res.headers.get("access-control-allow-headers")).toBe("content-type,x-grpc-web")
})

it("refuses plain HTTP that is not gRPC-web, and keeps serving", async () => {
  const res = await fetch(`${net.manifest.grpcUrl}/`)
  expect(res.status).toBe(415)
  await res.text()
  const info = await webClient("binary").ledgerService.getServiceInfo({}).response
  expect(info.chainId).toBe(net.manifest.chainId)
})
