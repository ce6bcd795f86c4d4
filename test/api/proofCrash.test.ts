/**
 * kill -9 of the coordinator between an agent's SubmitProof reply and the proof's chain
 * transaction: the reply means the proof and its `submit_proof` are durable (DA store + settlement
 * outbox), so a restart on the same STATE_DIR puts the proof on chain, exactly once, and its
 * descriptor still resolves to the agent's bytes.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { fileURLToPath } from "node:url"
import { bcs } from "@mysten/sui/bcs"
import { deriveDynamicFieldID } from "@mysten/sui/utils"
import { Effect, Layer, Option } from "effect"
import { createChannel, createClient } from "nice-grpc"
import { afterEach, describe, expect, it } from "vitest"
import { decodeProofCalculation, ProofStatus, ProofSubmittedEvent } from "../../src/chain/appTypes.js"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { makeFileStore } from "../../src/layers/DataAvailability.js"
import { Journal } from "../../src/layers/Journal.js"
import { Settlement } from "../../src/layers/Settlement.js"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { startNet, suiLayer } from "../chain/fixture.js"
import { proveTriple } from "./appFixture.js"

let net: LocalnetHandle | undefined
let dir: string | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

const child = fileURLToPath(new URL("./proofCrashChild.ts", import.meta.url))

/** The proofs of `seq` submitted on the whole (unpruned) chain. */
const submissions = (n: LocalnetHandle, seq: bigint) => {
  let count = 0
  const tip = n.chain.latestCheckpoint().sequenceNumber ?? 0n
  for (let s = 0n; s <= tip; s++) {
    for (const tx of n.chain.getCheckpoint(s)?.transactions ?? []) {
      for (const ev of tx.events?.events ?? []) {
        if (ev.eventType?.endsWith("::prover::ProofSubmittedEvent") !== true || ev.contents?.value === undefined) continue
        if (ProofSubmittedEvent.parse(ev.contents.value).sequences.map(BigInt).join(",") === String(seq)) count++
      }
    }
  }
  return count
}

const openCalls = (file: string) => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return Number((db.prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'call' AND state IN ('queued','inflight')").get() as { n: number }).n)
  } finally {
    db.close()
  }
}

describe("kill -9 between SubmitProof's reply and its transaction", () => {
  it("after restart the proof is on chain exactly once and its bytes still resolve", async () => {
    net = await startNet()
    const n = net
    dir = mkdtempSync(join(tmpdir(), "proof-crash-"))
    const proc = spawn(process.execPath, ["--import", "tsx", child], {
      env: { ...process.env, CRASH_MANIFEST: JSON.stringify(n.manifest), CRASH_DIR: dir },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()))
    const ready = await new Promise<{ socket: string; sessionId: string }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child did not start: ${stderr}`)), 90_000)
      let out = ""
      proc.stdout.on("data", (d: Buffer) => {
        out += d.toString()
        const line = out.split("\n").find((l) => l.startsWith("{"))
        if (line !== undefined && out.includes("}\n")) {
          clearTimeout(t)
          resolve(JSON.parse(line) as { socket: string; sessionId: string })
        }
      })
    })

    // The agent: takes its job, submits a proof; the node is slowed so the kill lands first.
    const channel = createChannel(`unix://${ready.socket}`)
    const agent = createClient(CoordinatorServiceDefinition, channel)
    const got = await agent.getJob({ ...proveTriple, sessionId: ready.sessionId })
    const jobId = got.job!.jobId
    n.faults.setLatencyMs(1_000)
    const proof = `crash-proof:${"z".repeat(4096)}`
    const reply = await agent.submitProof({ sessionId: ready.sessionId, jobId, blockNumber: 1n, sequences: [5n], mergedSequences1: [], mergedSequences2: [], proof, cpuTime: 9n })
    proc.kill("SIGKILL")
    await exited
    channel.close()
    expect(reply.success).toBe(true)
    expect(submissions(n, 5n)).toBe(0)
    const journal = join(dir, "journal.sqlite")
    expect(openCalls(journal)).toBe(1)

    // Restart on the same journal: the outbox settles the queued submit_proof.
    n.faults.setLatencyMs(0)
    await Effect.runPromise(
      Effect.scoped(Effect.flatMap(Settlement, (s) => s.awaitIdle)).pipe(
        Effect.provide(Layer.provideMerge(Settlement.layer({ lingerMs: 5 }), Layer.merge(suiLayer(n), Journal.layerFile(journal))))
      )
    )
    expect(openCalls(journal)).toBe(0)
    expect(submissions(n, 5n)).toBe(1)

    const sui = (await import("../../src/localnet/client.js")).makeSuiClient(n.manifest.grpcUrl)
    const inst = (await sui.core.getObject({ objectId: n.manifest.appInstanceId, include: { json: true } })).object.json as { proof_calculations: { id: string } }
    const fieldId = deriveDynamicFieldID(inst.proof_calculations.id, "0x2::dynamic_object_field::Wrapper<u64>", bcs.u64().serialize(1n).toBytes())
    const field = await sui.core.getObject({ objectId: fieldId, include: { json: true } })
    const pc = decodeProofCalculation((await sui.core.getObject({ objectId: (field.object.json as { value: string }).value, include: { content: true } })).object.content)
    const mine = pc.proofs.filter((p) => p.sequences.join(",") === "5")
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({ status: ProofStatus.Calculated, daHash: reply.daHash, jobId })

    const store = await Effect.runPromise(makeFileStore({ dir: join(dir, "da"), network: "localnet" }))
    const bytes = await Effect.runPromise(store.get(reply.daHash))
    expect(Option.map(bytes, (b) => Buffer.from(b).toString("utf8"))).toEqual(Option.some(proof))
  }, 180_000)
})
