/**
 * A local fake of the Walrus HTTP API for tests: a publisher (`PUT /v1/blobs?epochs=N`, answering
 * `newlyCreated` or `alreadyCertified` as a real one does) and an aggregator
 * (`GET /v1/blobs/<blob id>`, 404 when unknown) on one loopback port. Blob ids here are
 * base64url(sha256) — a real one derives them from the erasure coding; the client treats them as
 * opaque. `tamper` makes the aggregator answer other bytes; `publisherLimit` answers 413 above it.
 */
import { createHash } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export const startWalrusFake = async (o: { publisherLimit?: number } = {}) => {
  const blobs = new Map<string, Buffer>()
  const stores: Array<{ epochs: string | null; size: number }> = []
  let reads = 0
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake")
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      if (req.method === "PUT" && url.pathname === "/v1/blobs") {
        const body = Buffer.concat(chunks)
        if (o.publisherLimit !== undefined && body.length > o.publisherLimit) {
          res.writeHead(413).end("payload too large")
          return
        }
        stores.push({ epochs: url.searchParams.get("epochs"), size: body.length })
        const blobId = createHash("sha256").update(body).digest("base64url")
        const known = blobs.has(blobId)
        blobs.set(blobId, body)
        res.writeHead(200, { "content-type": "application/json" })
        res.end(
          JSON.stringify(
            known
              ? { alreadyCertified: { blobId, event: { txDigest: "fake", eventSeq: "0" }, endEpoch: 10 } }
              : { newlyCreated: { blobObject: { id: `0x${"0".repeat(63)}1`, blobId, size: body.length, registeredEpoch: 1, deletable: false }, cost: 1 } }
          )
        )
        return
      }
      const m = /^\/v1\/blobs\/([A-Za-z0-9_-]+)$/.exec(url.pathname)
      if (req.method === "GET" && m !== null) {
        reads++
        const body = blobs.get(m[1]!)
        if (body === undefined) res.writeHead(404).end(JSON.stringify({ error: { code: 404, message: "blob not found" } }))
        else res.writeHead(200, { "content-type": "application/octet-stream" }).end(body)
        return
      }
      res.writeHead(404).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    blobs,
    stores,
    reads: () => reads,
    /** Flips a byte of every stored blob. */
    tamper: () => {
      for (const b of blobs.values()) b[0] = b[0]! ^ 1
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
