/**
 * Following the chain through the localnet's streams, over native gRPC with SuiGrpcClient:
 * SubscribeEvents (filters, watermarks), ListEvents replay resumed from a watermark,
 * SubscribeCheckpoints with GetCheckpoint/ListCheckpoints gap fill, pruned ranges, slow
 * subscribers dropped, injected subscription drops and the UNIMPLEMENTED switch.
 */
import * as http2 from "node:http2"
import * as grpc from "@grpc/grpc-js"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { JobCreatedEvent } from "../../src/chain/moveTypes.js"
import { createJobs, seedAgentMethod } from "../../src/localnet/client.js"
import { type LocalnetHandle, startLocalnet } from "../../src/localnet/index.js"
import {
  collect,
  compareBytes,
  drain,
  emitModule,
  eventType,
  filterOf,
  grpcClient,
  GrpcTypes,
  sender,
  statusOf
} from "./serverHelpers.js"

let net: LocalnetHandle
let client: ReturnType<typeof grpcClient>
let pkg: string
const METHOD = "stream-add"

const created = (pkgId: string) => `${pkgId}::jobs::JobCreatedEvent`
const jobSeq = (e: GrpcTypes.Event | undefined) => BigInt(JobCreatedEvent.parse(e!.contents!.value!).job_sequence)
const tip = async () => (await client.ledgerService.getServiceInfo({})).response.checkpointHeight!

beforeAll(async () => {
  net = await startLocalnet({ port: 0, checkpointMs: 50 })
  client = grpcClient(net.manifest)
  pkg = net.manifest.packageId
  await seedAgentMethod(net.manifest, { developer: "dev", agent: "agent", method: METHOD, image: "example/add:1" })
})

afterAll(async () => {
  await net?.close()
})

describe("SubscribeEvents", () => {
  it("streams only matching events, each with a watermark, plus a watermark frame per checkpoint", async () => {
    const admin = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin).toSuiAddress()
    const byType = new AbortController()
    const byModule = new AbortController()
    const bySenderAndType = new AbortController()
    const otherSender = new AbortController()
    const streams = {
      type: client.subscriptionService.subscribeEvents({ filter: filterOf(eventType(created(pkg))) }, { abort: byType.signal }),
      // emit_module is the module of the Move call that emitted (as on Sui): app_instance here.
      module: client.subscriptionService.subscribeEvents({ filter: filterOf(emitModule(`${pkg}::app_instance`)) }, { abort: byModule.signal }),
      senderAndType: client.subscriptionService.subscribeEvents(
        { filter: filterOf(sender(admin), eventType(created(pkg))), readMask: { paths: ["event_type", "contents", "checkpoint"] } },
        { abort: bySenderAndType.signal }
      ),
      otherSender: client.subscriptionService.subscribeEvents(
        { filter: filterOf(sender("0x" + "42".repeat(32))) },
        { abort: otherSender.signal }
      )
    }
    // Subscriptions start at the live tip: wait until each has seen a checkpoint boundary.
    const iterators = Object.fromEntries(
      Object.entries(streams).map(([k, s]) => [k, s.responses[Symbol.asyncIterator]()])
    ) as Record<keyof typeof streams, AsyncIterator<GrpcTypes.SubscribeEventsResponse>>
    for (const it of Object.values(iterators)) {
      const first = await it.next()
      expect(first.done).toBe(false)
      expect(first.value.watermark?.cursor?.length).toBeGreaterThan(0)
    }
    const { jobSequences } = await createJobs(net.manifest, { count: 5, method: METHOD })
    expect(jobSequences).toHaveLength(5)

    const readUntil = async (it: AsyncIterator<GrpcTypes.SubscribeEventsResponse>, enough: (f: GrpcTypes.SubscribeEventsResponse[]) => boolean) => {
      const frames: GrpcTypes.SubscribeEventsResponse[] = []
      while (!enough(frames)) {
        const r = await it.next()
        if (r.done) break
        frames.push(r.value)
      }
      return frames
    }
    const createdCount = (f: GrpcTypes.SubscribeEventsResponse[]) => f.filter((x) => x.event?.eventType === created(pkg)).length
    const typeFrames = await readUntil(iterators.type, (f) => createdCount(f) >= 5)
    const moduleFrames = await readUntil(iterators.module, (f) => createdCount(f) >= 5)
    const senderFrames = await readUntil(iterators.senderAndType, (f) => createdCount(f) >= 5)
    // The foreign-sender stream keeps moving (watermark frames) but never carries an event.
    const lastSeq = typeFrames.filter((f) => f.event).at(-1)!.event!.checkpoint!
    const otherFrames = await readUntil(iterators.otherSender, (f) => (f.at(-1)?.watermark?.checkpoint ?? -1n) >= lastSeq)
    for (const c of [byType, byModule, bySenderAndType, otherSender]) c.abort()

    const typeEvents = typeFrames.filter((f) => f.event !== undefined)
    expect(typeEvents.every((f) => f.event!.eventType === created(pkg))).toBe(true)
    expect(typeEvents.map((f) => jobSeq(f.event))).toEqual(jobSequences)
    expect(moduleFrames.filter((f) => f.event).every((f) => f.event!.module === "app_instance" && f.event!.packageId === pkg)).toBe(true)
    expect(moduleFrames.filter((f) => f.event?.eventType === created(pkg)).map((f) => jobSeq(f.event))).toEqual(jobSequences)
    expect(senderFrames.filter((f) => f.event).map((f) => jobSeq(f.event))).toEqual(jobSequences)
    // The read mask is honoured: only the asked fields come back.
    const masked = senderFrames.find((f) => f.event)!.event!
    expect(masked.sender).toBeUndefined()
    expect(masked.packageId).toBeUndefined()
    expect(masked.checkpoint).toBeDefined()
    expect(otherFrames.some((f) => f.event)).toBe(false)
    expect(otherFrames.length).toBeGreaterThan(0)

    // Watermarks: cursors strictly increase; an event frame's covered checkpoint is below the
    // event's, a boundary frame covers its checkpoint.
    for (const frames of [typeFrames, moduleFrames, otherFrames]) {
      for (let i = 1; i < frames.length; i++) {
        expect(compareBytes(frames[i - 1]!.watermark!.cursor!, frames[i]!.watermark!.cursor!)).toBeLessThan(0)
      }
      for (const f of frames) {
        if (f.event) expect(f.watermark!.checkpoint!).toBeLessThan(f.event.checkpoint!)
      }
    }
  })

  it("keeps a reading subscriber when one checkpoint carries more matching events than the buffer's 256", async () => {
    // A full node's per-subscriber buffer holds checkpoints: a transaction of 600 matching events
    // is one checkpoint's frames, handed over at once, not a reader falling behind.
    const abort = new AbortController()
    const stream = client.subscriptionService.subscribeEvents({ filter: filterOf(eventType(created(pkg))) }, { abort: abort.signal })
    const it = stream.responses[Symbol.asyncIterator]()
    await it.next() // the subscription is live (the first checkpoint's closing watermark)
    const { jobSequences } = await createJobs(net.manifest, { count: 600, method: METHOD, perTransaction: 600 })
    const got = new Set<bigint>()
    while (got.size < jobSequences.length) {
      const r = await it.next()
      expect(r.done).toBe(false)
      if (r.value.event !== undefined && jobSequences.includes(jobSeq(r.value.event))) got.add(jobSeq(r.value.event))
    }
    expect(got.size).toBe(600)
    // still live: the next checkpoint's closing watermark arrives
    const after = await tip()
    for (;;) {
      const r = await it.next()
      expect(r.done).toBe(false)
      if (r.value.event === undefined && (r.value.watermark?.checkpoint ?? 0n) > after) break
    }
    abort.abort()
  })

  it("rejects an empty filter with INVALID_ARGUMENT", async () => {
    const call = client.subscriptionService.subscribeEvents({ filter: { terms: [] } })
    expect(await statusOf(drain(call.responses))).toBe("INVALID_ARGUMENT")
  })
})

describe("ListEvents", () => {
  it("replays a range page by page, resuming from the last watermark, ending with QueryEnd", async () => {
    const from = (await tip()) + 1n
    const { jobSequences } = await createJobs(net.manifest, { count: 5, method: METHOD })
    // Wait until every job is in a checkpoint.
    let all: GrpcTypes.ListEventsResponse[] = []
    for (;;) {
      all = await drain(
        client.ledgerService.listEvents({ startCheckpoint: from, filter: filterOf(eventType(created(pkg))), options: { limit: 100 } }).responses
      )
      if (all.filter((f) => f.event).length >= 5) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(all.at(-1)!.end?.reason).toBe(GrpcTypes.QueryEndReason.LEDGER_TIP)
    expect(all.filter((f) => f.end).length).toBe(1)

    const seen: bigint[] = []
    let after: Uint8Array | undefined
    const reasons: GrpcTypes.QueryEndReason[] = []
    for (let page = 0; page < 10; page++) {
      const frames = await drain(
        client.ledgerService.listEvents({
          startCheckpoint: from,
          filter: filterOf(eventType(created(pkg))),
          options: { limit: 2, ...(after ? { after } : {}) }
        }).responses
      )
      for (const f of frames) {
        expect(f.watermark?.cursor).toBeDefined()
        if (f.event) seen.push(jobSeq(f.event))
      }
      const end = frames.at(-1)!
      expect(end.end).toBeDefined()
      reasons.push(end.end!.reason!)
      after = end.watermark!.cursor!
      if (end.end!.reason !== GrpcTypes.QueryEndReason.ITEM_LIMIT) break
    }
    expect(seen).toEqual(jobSequences)
    expect(reasons.slice(0, 2)).toEqual([GrpcTypes.QueryEndReason.ITEM_LIMIT, GrpcTypes.QueryEndReason.ITEM_LIMIT])
    expect(reasons.at(-1)).toBe(GrpcTypes.QueryEndReason.LEDGER_TIP)

    // Resuming from the final watermark yields nothing new until the chain moves.
    const again = await drain(
      client.ledgerService.listEvents({ filter: filterOf(eventType(created(pkg))), options: { after: after! } }).responses
    )
    expect(again.filter((f) => f.event)).toHaveLength(0)

    // A closed range ends with CHECKPOINT_BOUND.
    const lastCp = all.filter((f) => f.event).at(-1)!.event!.checkpoint!
    const bounded = await drain(
      client.ledgerService.listEvents({ startCheckpoint: from, endCheckpoint: lastCp + 1n, filter: filterOf(eventType(created(pkg))) }).responses
    )
    expect(bounded.filter((f) => f.event).map((f) => jobSeq(f.event))).toEqual(jobSequences)
    expect(bounded.at(-1)!.end!.reason).toBe(GrpcTypes.QueryEndReason.CHECKPOINT_BOUND)
    expect(bounded.at(-1)!.watermark!.checkpoint).toBe(lastCp)
  })

  it("resumes from a SubscribeEvents watermark without gaps or duplicates", async () => {
    const abort = new AbortController()
    const call = client.subscriptionService.subscribeEvents({ filter: filterOf(eventType(created(pkg))) }, { abort: abort.signal })
    const it = call.responses[Symbol.asyncIterator]()
    await it.next()
    const first = await createJobs(net.manifest, { count: 2, method: METHOD })
    const frames: GrpcTypes.SubscribeEventsResponse[] = []
    while (frames.filter((f) => f.event).length < 1) frames.push((await it.next()).value)
    abort.abort()
    const watermark = frames.at(-1)!.watermark!.cursor!
    const gotLive = frames.filter((f) => f.event).map((f) => jobSeq(f.event))
    const second = await createJobs(net.manifest, { count: 2, method: METHOD })
    const expected = [...first.jobSequences, ...second.jobSequences].filter((s) => !gotLive.includes(s))
    let replayed: bigint[] = []
    for (let i = 0; i < 200 && replayed.length < expected.length; i++) {
      const page = await drain(
        client.ledgerService.listEvents({ filter: filterOf(eventType(created(pkg))), options: { after: watermark } }).responses
      )
      replayed = page.filter((f) => f.event).map((f) => jobSeq(f.event))
      if (replayed.length < expected.length) await new Promise((r) => setTimeout(r, 50))
    }
    expect(replayed).toEqual(expected)
  })
})

describe("SubscribeCheckpoints", () => {
  it("streams from the live tip; GetCheckpoint and ListCheckpoints fill a reconnect gap", async () => {
    const mask = { paths: ["sequence_number", "digest", "transactions.events"] }
    const a1 = new AbortController()
    const s1 = client.subscriptionService.subscribeCheckpoints({ readMask: mask }, { abort: a1.signal })
    const { frames: before } = await collect(s1.responses, (f) => f.length >= 2, a1)
    expect(before[1]!.cursor).toBe(before[0]!.cursor! + 1n)
    expect(before[0]!.checkpoint!.sequenceNumber).toBe(before[0]!.cursor)
    const lastSeen = before.at(-1)!.cursor!

    // Disconnected while jobs are created and a few checkpoints pass.
    const { jobSequences } = await createJobs(net.manifest, { count: 3, method: METHOD })
    while ((await tip()) < lastSeen + 3n) await new Promise((r) => setTimeout(r, 20))
    const a2 = new AbortController()
    const s2 = client.subscriptionService.subscribeCheckpoints({ readMask: mask }, { abort: a2.signal })
    const { frames: after } = await collect(s2.responses, (f) => f.length >= 1, a2)
    const resumedAt = after[0]!.cursor!
    expect(resumedAt).toBeGreaterThan(lastSeen + 1n)

    const jobsIn = (cps: GrpcTypes.Checkpoint[]) =>
      cps.flatMap((cp) =>
        cp.transactions.flatMap((t) => (t.events?.events ?? []).filter((e) => e.eventType === created(pkg)).map((e) => jobSeq(e)))
      )
    const gap: GrpcTypes.Checkpoint[] = []
    for (let s = lastSeen + 1n; s < resumedAt; s++) {
      const r = await client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: s }, readMask: mask })
      expect(r.response.checkpoint!.sequenceNumber).toBe(s)
      gap.push(r.response.checkpoint!)
    }
    const recovered = [...jobsIn(gap), ...jobsIn(after.map((f) => f.checkpoint!))]
    for (const seq of jobSequences) expect(recovered).toContain(seq)

    // ListCheckpoints covers the same gap in pages.
    const listed: GrpcTypes.Checkpoint[] = []
    let afterCursor: Uint8Array | undefined
    for (;;) {
      const frames = await drain(
        client.ledgerService.listCheckpoints({
          startCheckpoint: lastSeen + 1n,
          endCheckpoint: resumedAt,
          readMask: mask,
          options: { limit: 3, ...(afterCursor ? { after: afterCursor } : {}) }
        }).responses
      )
      listed.push(...frames.flatMap((f) => (f.checkpoint ? [f.checkpoint] : [])))
      const end = frames.at(-1)!
      afterCursor = end.watermark!.cursor!
      if (end.end!.reason !== GrpcTypes.QueryEndReason.ITEM_LIMIT) {
        expect(end.end!.reason).toBe(GrpcTypes.QueryEndReason.CHECKPOINT_BOUND)
        break
      }
    }
    expect(listed.map((c) => c.sequenceNumber)).toEqual(gap.map((c) => c.sequenceNumber))
    expect(listed.map((c) => c.digest)).toEqual(gap.map((c) => c.digest))
  })

  it("drops a subscriber that stops reading, while a reading one keeps up", async () => {
    // A raw HTTP/2 gRPC client that pauses its stream: flow control then backs up into the node's
    // per-subscriber buffer. (grpc-js clients keep draining the socket, so they cannot be slow.)
    const session = http2.connect(net.manifest.grpcUrl)
    const slow = session.request({
      ":method": "POST",
      ":path": "/sui.rpc.v2.SubscriptionService/SubscribeCheckpoints",
      "content-type": "application/grpc",
      te: "trailers"
    })
    const body = GrpcTypes.SubscribeCheckpointsRequest.toBinary({ readMask: { paths: ["sequence_number", "digest", "summary", "transactions"] } })
    const frame = Buffer.alloc(5 + body.length)
    frame.writeUInt32BE(body.length, 1)
    Buffer.from(body).copy(frame, 5)
    slow.end(frame)
    const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => slow.on("trailers", resolve))
    await new Promise<void>((resolve) => slow.once("data", () => resolve()))
    slow.pause()

    // The reading subscriber records the last checkpoint it received; the producer below waits
    // for it, so its pace is guaranteed by construction, not by how busy the machine is.
    const fastAbort = new AbortController()
    const fast = client.subscriptionService.subscribeCheckpoints({}, { abort: fastAbort.signal })
    let fastSeen = -1n
    let fastError: unknown
    let wake = () => {}
    const fastDone = (async () => {
      try {
        for await (const r of fast.responses) {
          fastSeen = r.cursor ?? fastSeen
          wake()
        }
      } catch (e) {
        fastError = e
      }
      wake()
    })()
    const fastReaches = async (seq: bigint) => {
      while (fastSeen < seq && fastError === undefined) await new Promise<void>((r) => (wake = r))
      expect(fastError).toBeUndefined()
    }
    await fastReaches(0n)
    const subscriptions = async () => ((await (await fetch(`${net.adminUrl}/status`)).json()) as { subscriptions: number }).subscriptions
    expect(await subscriptions()).toBe(2)

    // Seal checkpoints in batches, each only once the reading subscriber has received the previous
    // one: its buffer never holds more than a batch, while the paused one fills its transport
    // window, then its buffer of 256 checkpoints, and is dropped.
    let sealed = 0
    while (sealed < 20_000) {
      let last = 0n
      for (let i = 0; i < 5; i++) last = net.chain.sealCheckpoint().sequenceNumber ?? 0n
      sealed += 5
      await fastReaches(last)
      if (sealed % 50 === 0 && (await subscriptions()) < 2) break
    }
    expect(await subscriptions()).toBe(1)
    slow.resume()
    slow.on("data", () => {})
    const status = await trailers
    expect(status["grpc-status"]).toBe(String(grpc.status.UNAVAILABLE))
    expect(decodeURIComponent(String(status["grpc-message"]))).toMatch(/fell behind/)
    session.close()
    // The reading subscriber is still live: it receives the next checkpoint.
    await fastReaches(net.chain.sealCheckpoint().sequenceNumber ?? 0n)
    expect(fastError).toBeUndefined()
    fastAbort.abort()
    await fastDone
  })
})

describe("pruning", () => {
  it("answers pruned history distinctly and reports lowest_available_checkpoint", async () => {
    const abort = new AbortController()
    const call = client.subscriptionService.subscribeEvents({ filter: filterOf(eventType(created(pkg))) }, { abort: abort.signal })
    const it = call.responses[Symbol.asyncIterator]()
    const oldCursor = (await it.next()).value.watermark!.cursor!
    abort.abort()
    await createJobs(net.manifest, { count: 1, method: METHOD })
    const oldSeq = new DataView(oldCursor.buffer, oldCursor.byteOffset).getBigUint64(0)
    while ((await tip()) < oldSeq + 5n) await new Promise((r) => setTimeout(r, 20))
    const height = await tip()
    const cut = height - 1n
    net.faults.pruneBelow(cut)
    const info = (await client.ledgerService.getServiceInfo({})).response
    expect(info.lowestAvailableCheckpoint).toBe(cut)

    const pruned = client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: cut - 1n } })
    expect(await statusOf(pruned.response)).toBe("NOT_FOUND")
    const err = await pruned.response.catch((e: Error) => e)
    expect(String((err as Error).message)).toMatch(/pruned/)
    expect(await statusOf(client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: cut } }).response)).toBe("OK")
    expect(await statusOf(drain(client.ledgerService.listEvents({ startCheckpoint: cut - 1n }).responses))).toBe("OUT_OF_RANGE")
    expect(await statusOf(drain(client.ledgerService.listCheckpoints({ startCheckpoint: 0n }).responses))).toBe("OUT_OF_RANGE")
    // Resuming from a watermark below the pruning point is a replay gap, not an empty answer.
    expect(await statusOf(drain(client.ledgerService.listEvents({ options: { after: oldCursor } }).responses))).toBe("OUT_OF_RANGE")
    // Without a start, a replay starts at the lowest available checkpoint.
    const frames = await drain(client.ledgerService.listEvents({ options: { limit: 1000 } }).responses)
    expect(frames.every((f) => !f.event || f.event.checkpoint! >= cut)).toBe(true)
  })
})

describe("faults on streams", () => {
  it("dropSubscriptions ends every stream with UNAVAILABLE; new subscriptions work", async () => {
    const c = client.subscriptionService.subscribeCheckpoints({})
    const e = client.subscriptionService.subscribeEvents({ filter: filterOf(emitModule(pkg)) })
    const ci = c.responses[Symbol.asyncIterator]()
    const ei = e.responses[Symbol.asyncIterator]()
    await ci.next()
    await ei.next()
    net.faults.dropSubscriptions()
    const rest = async (i: AsyncIterator<unknown>) => {
      try {
        for (;;) if ((await i.next()).done) return "OK"
      } catch (err) {
        return String((err as { code?: unknown }).code)
      }
    }
    expect(await rest(ci)).toBe("UNAVAILABLE")
    expect(await rest(ei)).toBe("UNAVAILABLE")
    const again = new AbortController()
    const { frames } = await collect(client.subscriptionService.subscribeCheckpoints({}, { abort: again.signal }).responses, (f) => f.length >= 1, again)
    expect(frames).toHaveLength(1)
  })

  it("the UNIMPLEMENTED switch turns off filtered events (live streams too) but not checkpoints", async () => {
    const live = client.subscriptionService.subscribeEvents({ filter: filterOf(emitModule(pkg)) })
    const li = live.responses[Symbol.asyncIterator]()
    await li.next()
    net.faults.setFilteredEventsUnimplemented(true)
    try {
      let code = "OK"
      try {
        while (!(await li.next()).done);
      } catch (err) {
        code = String((err as { code?: unknown }).code)
      }
      expect(code).toBe("UNIMPLEMENTED")
      expect(await statusOf(drain(client.ledgerService.listEvents({}).responses))).toBe("UNIMPLEMENTED")
      expect(await statusOf(drain(client.subscriptionService.subscribeEvents({}).responses))).toBe("UNIMPLEMENTED")
      const a = new AbortController()
      const { frames, error } = await collect(client.subscriptionService.subscribeCheckpoints({}, { abort: a.signal }).responses, (f) => f.length >= 1, a)
      expect(error).toBeUndefined()
      expect(frames).toHaveLength(1)
    } finally {
      net.faults.setFilteredEventsUnimplemented(false)
    }
    const frames = await drain(client.ledgerService.listEvents({ options: { limit: 1 } }).responses)
    expect(frames.at(-1)!.end).toBeDefined()
  })
})
