/** The runtime's pure parts: container names, the bounded log tail, Docker's log framing, digests. */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { agentName, exitMessage, ownerFromLabels, ownerLabels } from "../../src/layers/AgentRuntime.js"
import { demuxInto } from "../../src/layers/runtime/demux.js"
import { imageDigests } from "../../src/layers/runtime/docker.js"
import { TailBuffer } from "../../src/layers/runtime/logTail.js"

const owner = (developer: string, agent: string, agentMethod: string, sessionId = `0x${"ab12".repeat(16)}`) => ({
  coordinatorId: "0xc",
  sessionId,
  developer,
  agent,
  agentMethod
})

describe("agentName", () => {
  it("is silvana-<developer>-<agent>-<method>-<short id>", () => {
    expect(agentName(owner("acme", "adder", "add"))).toBe("silvana-acme-adder-add-ab12ab12ab12")
  })

  it("always satisfies Docker's name rule and stays short", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (d, a, m, s) => {
        const name = agentName(owner(d, a, m, s))
        expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/)
        expect(name.length).toBeLessThanOrEqual(8 + 3 * 41 + 13)
      })
    )
  })

  it("labels round-trip", () => {
    const o = owner("d", "a", "m")
    expect(ownerFromLabels(ownerLabels(o))).toEqual(o)
    expect(ownerFromLabels({ unrelated: "x" })).toBeUndefined()
  })
})

describe("TailBuffer", () => {
  it("keeps exactly the last `capacity` bytes and counts all of them", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 40 }), (cap, chunks) => {
        const t = new TailBuffer(cap)
        for (const c of chunks) t.write(Buffer.from(c))
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)))
        expect(t.total).toBe(all.length)
        expect(t.truncated).toBe(all.length > cap)
        // Compare bytes through a lossless encoding of the tail.
        const tail = all.subarray(Math.max(0, all.length - cap))
        expect(t.text()).toBe(tail.toString("utf8"))
      })
    )
  })
})

describe("demuxInto", () => {
  it("splits framed stdout/stderr however the bytes arrive", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(1, 2), fc.uint8Array({ maxLength: 50 })), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }),
        async (frames, cuts) => {
          const wire = Buffer.concat(
            frames.map(([type, payload]) => {
              const h = Buffer.alloc(8)
              h[0] = type
              h.writeUInt32BE(payload.length, 4)
              return Buffer.concat([h, Buffer.from(payload)])
            })
          )
          const out = new TailBuffer(1 << 20)
          const err = new TailBuffer(1 << 20)
          const sink = demuxInto(out, err)
          let off = 0
          let i = 0
          while (off < wire.length) {
            const n = cuts[i++ % cuts.length]!
            await new Promise<void>((r) => sink.write(wire.subarray(off, off + n), () => r()))
            off += n
          }
          const expected = (t: number) => Buffer.concat(frames.filter(([k]) => k === t).map(([, p]) => Buffer.from(p)))
          expect(out.total).toBe(expected(1).length)
          expect(err.total).toBe(expected(2).length)
          expect(out.text()).toBe(expected(1).toString("utf8"))
          expect(err.text()).toBe(expected(2).toString("utf8"))
        }
      )
    )
  })
})

describe("image digests and exit messages", () => {
  it("lists repo digests and the id", () => {
    expect(imageDigests({ Id: "sha256:aa", RepoDigests: ["r/x@sha256:bb", "q/x@sha256:cc"] })).toEqual(["sha256:bb", "sha256:cc", "sha256:aa"])
    expect(imageDigests({ Id: "sha256:aa" })).toEqual(["sha256:aa"])
  })

  it("says why jobs failed", () => {
    expect(exitMessage({ reason: "exited", exitCode: 2, signal: null })).toBe("container terminated: exit code 2")
    expect(exitMessage({ reason: "timeout", exitCode: 137, signal: null })).toBe("timeout")
  })
})
