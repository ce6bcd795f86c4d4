/**
 * What the agent API learns from an executed transaction's events (pure): each call's result in
 * command order — the job sequence a `create_app_job` got, the block a `try_create_block` created
 * or why it created none, the "no" of `update_state_for_sequence` — and the Move error named from
 * an abort detail.
 */
import { describe, expect, it } from "@effect/vitest"
import { type AppCall, callResults } from "../../src/chain/appCalls.js"
import { blockEventLayouts, sequenceStateEventLayouts } from "../../src/chain/blockTypes.js"
import { encodeMove, type MoveLayout } from "../../src/chain/moveLayout.js"
import { jobsEventLayouts, OperationFailedEventLayout } from "../../src/chain/moveTypes.js"
import { abortName, isAgentCaused } from "../../src/chain/moveAborts.js"

const PKG = `0x${"ab".repeat(32)}`
const APP = `0x${"cd".repeat(32)}`
const ev = (module: string, name: string, layout: MoveLayout, value: unknown) => ({ eventType: `${PKG}::${module}::${name}`, bcs: encodeMove(layout, value) })
const call = (fn: string): AppCall => ({ fn, args: [], clock: true })
const failed = (operation: string, reason: string) =>
  ev("multicall", "OperationFailedEvent", OperationFailedEventLayout, {
    operation, entity_type: "x", entity_id: 0n, reason, caller: APP, timestamp: 1n, additional_data: null
  })
const created = (seq: bigint) =>
  ev("jobs", "JobCreatedEvent", jobsEventLayouts.JobCreatedEvent, {
    job_sequence: seq, description: null, developer: "d", agent: "a", agent_method: "m", app: "app", app_instance: "i", app_instance_method: "m",
    block_number: null, sequences: null, sequences1: null, sequences2: null, data: new Uint8Array(), status: { $kind: "Pending" }, created_at: 1n
  })

describe("callResults", () => {
  it("matches each call with its own events, in command order", () => {
    const calls = [call("try_create_block"), call("create_app_job"), call("update_state_for_sequence"), call("set_kv"), call("try_create_block"), call("update_state_for_sequence"), call("try_create_block")]
    const events = [
      ev("app_instance", "BlockCreatedEvent", blockEventLayouts.BlockCreatedEvent, { app_instance_address: APP, block_number: 7n, start_sequence: 1n, end_sequence: 4n, timestamp: 5n }),
      created(42n),
      ev("sequence_state", "SequenceStateUpdatedEvent", sequenceStateEventLayouts.SequenceStateUpdatedEvent, {
        manager_address: APP, sequence: 3n, new_state_data: null, new_data_availability_hash: null, timestamp: 5n
      }),
      ev("app_instance", "NoNewSequencesEvent", blockEventLayouts.NoNewSequencesEvent, { app_instance_address: APP, current_sequence: 5n, previous_block_last_sequence: 4n, timestamp: 6n }),
      failed("update_state_for_sequence", "sequence_too_high"),
      ev("app_instance", "InsufficientTimeForBlockEvent", blockEventLayouts.InsufficientTimeForBlockEvent, {
        app_instance_address: APP, current_time: 70n, previous_block_timestamp: 50n, time_since_last_block: 20n, min_time_required: 60_000n
      })
    ]
    expect(callResults(calls, events, PKG)).toEqual([
      { state: "done", outcome: "block_number=7" },
      { state: "done", outcome: "job_sequence=42" },
      { state: "done" },
      { state: "done" },
      { state: "done", outcome: "no_new_sequences" },
      { state: "rejected", outcome: "sequence_too_high" },
      { state: "done", outcome: "insufficient_time=20/60000" }
    ])
  })

  it("ignores the same events from another package and other operations' failures", () => {
    const other = { ...created(9n), eventType: `0x${"ef".repeat(32)}::jobs::JobCreatedEvent` }
    expect(callResults([call("create_app_job"), call("update_state_for_sequence")], [other, failed("start_job", "wrong_status"), failed("create_job", "Method not found")], PKG)).toEqual([
      { state: "rejected", outcome: "none" },
      { state: "done" }
    ])
  })
})

describe("abortName", () => {
  const clever = (i: number) => ((1n << 63n) | (BigInt(i) << 32n)).toString()
  it("names app_instance's #[error] constants from either detail form", () => {
    expect(abortName(`Move abort in app_instance::update_block_settlement_tx_hash code ${clever(3)}`)).toBe("EBlockNotProved")
    expect(abortName(JSON.stringify({ MoveAbort: { abortCode: clever(8), location: { module: "app_instance" } } }))).toBe("EPreviousBlockNotSettled")
    expect(abortName(`Move abort in dynamic_field::borrow_child_object code 1`)).toMatch(/no such entry/)
    expect(abortName(`Move abort in vec_map::insert code 0`)).toBeUndefined()
    expect(abortName(null)).toBeUndefined()
  })
  it("names prover's and sequence_state's constants, and prefers the name a full node rendered", () => {
    expect(abortName(`Move abort in prover::submit_proof code ${clever(7)}`)).toBe("ESequenceOutOfRange")
    expect(abortName(`Move abort in sequence_state::update code ${clever(0)}`)).toBe("ESequenceTooHigh")
    expect(abortName(`Move abort in prover::submit_proof code 5 (EProofNotCalculated)`)).toBe("EProofNotCalculated")
    const rendered = { MoveAbort: { abortCode: clever(40), location: { module: "app_instance" }, cleverError: { constantName: "ENotAuthorized" } } }
    expect(abortName(JSON.stringify(rendered))).toBe("ENotAuthorized")
    expect(abortName(`Move abort in vec_map::get_idx code 1`)).toMatch(/no such entry/)
  })
  it("tells an agent's refusal from a coordinator fault", () => {
    expect(isAgentCaused("EPreviousBlockNotSettled")).toBe(true)
    expect(isAgentCaused("ESequenceOutOfRange")).toBe(true)
    expect(isAgentCaused("ENotAuthorized")).toBe(false)
    expect(isAgentCaused(undefined)).toBe(false)
  })
})
