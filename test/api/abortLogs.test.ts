/**
 * How Settlement logs a Move abort: a refusal an agent's own call caused is logged at WARN with the
 * deployed constant's name (never ERROR), while the same abort of a call the coordinator made on
 * its own account stays an ERROR (a coordinator fault). A localnet over real gRPC, the real
 * AgentApi on its socket, and a logger that keeps every line.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { arg } from "../../src/chain/appCalls.js"
import { increaseSequence } from "../../src/localnet/appSeeding.js"
import { Settlement } from "../../src/layers/Settlement.js"
import { shortSecret } from "../../src/domain/redact.js"
import { type LoggedLine } from "./appFixture.js"
import { appApiForSuite } from "./appSuite.js"

describe("Settlement's log level for Move aborts", () => {
  const logs: Array<LoggedLine> = []
  const f = appApiForSuite({ logs }, (f) => increaseSequence(f.net.manifest, { count: 2 }))
  const aborts = () => logs.filter((l) => /EBlockNotProved/.test(l.message))

  it("an agent's refused call is a WARN naming the constant, not an ERROR", async () => {
    const { sessionId, jobId, seq } = await f.holdJob()
    f.net.chain.advanceClock(61_000)
    expect((await f.client.tryCreateBlock({ sessionId, jobId })).blockNumber).toBe(1n)
    const r = await f.client.updateBlockSettlementTxHash({ sessionId, jobId, blockNumber: 1n, settlementTxHash: "0xabc", chain: "l2" })
    expect(r).toMatchObject({ success: false })
    expect(r.message).toMatch(/EBlockNotProved/)
    const lines = aborts()
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.map((l) => l.level)).not.toContain("ERROR")
    // the session by its prefix only: a whole session id is a secret (#12)
    expect(lines.find((l) => l.level === "WARN")).toMatchObject({ annotations: { abort: "EBlockNotProved", job: seq.toString(), session_id: shortSecret(sessionId) } })
    expect(JSON.stringify(lines)).not.toContain(sessionId)
  })

  it("the same abort of the coordinator's own call stays an ERROR", async () => {
    logs.length = 0
    const call = { fn: "update_block_settlement_tx_hash", args: [arg.string("l2"), arg.u64(1n), arg.string("0xdef")], clock: true }
    const outcome = await f.runtime.runPromise(Effect.flatten(Effect.flatMap(Settlement, (s) => s.coordinatorCall(f.appInstance, call))))
    expect(outcome.result).toBe("aborted")
    expect(aborts().map((l) => l.level)).toContain("ERROR")
    expect(aborts().map((l) => l.level)).not.toContain("WARN")
  })
})
