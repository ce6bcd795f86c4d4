/** The pure classifier from a node's answer to settlement's next step. */
import { describe, expect, it } from "@effect/vitest"
import { classifyFailure, classifySubmitError, givesUp, MAX_REFUSED_ATTEMPTS } from "../../src/chain/settlementFailure.js"

describe("classifySubmitError", () => {
  it("resubmits on transient transport codes and takes anything else as the answer", () => {
    for (const code of ["UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "UNKNOWN", "RESOURCE_EXHAUSTED", "CANCELLED"]) {
      expect(classifySubmitError(code)).toBe("resubmit")
    }
    for (const code of ["ABORTED", "FAILED_PRECONDITION", "NOT_FOUND", "INVALID_ARGUMENT"]) {
      expect(classifySubmitError(code)).toBe("refused")
    }
  })
})

describe("classifyFailure", () => {
  it("a refusal for a moved or missing input is stale and never given up", () => {
    for (const code of ["ABORTED", "FAILED_PRECONDITION", "NOT_FOUND"]) {
      const f = classifyFailure({ _tag: "NotExecuted", code, message: "object version" }, 1)
      expect(f._tag).toBe("Stale")
      expect(givesUp(f, 1_000)).toBe(false)
    }
  })

  it("another refusal is given up after MAX_REFUSED_ATTEMPTS tries", () => {
    const f = classifyFailure({ _tag: "NotExecuted", code: "INVALID_ARGUMENT", message: "bad" }, 1)
    expect(f).toEqual({ _tag: "Refused", code: "INVALID_ARGUMENT", message: "bad" })
    expect(givesUp(f, MAX_REFUSED_ATTEMPTS - 2)).toBe(false)
    expect(givesUp(f, MAX_REFUSED_ATTEMPTS - 1)).toBe(true)
  })

  it("a Move abort names the failing command and where it aborted", () => {
    const error = {
      $kind: "MoveAbort",
      command: 1,
      MoveAbort: { abortCode: "7", location: { module: "jobs", functionName: "complete_job" } }
    }
    expect(classifyFailure({ _tag: "Executed", error }, 2)).toEqual({
      _tag: "CommandFailed",
      command: 1,
      detail: "Move abort in jobs::complete_job code 7"
    })
  })

  it("another execution error with a command index fails that command", () => {
    expect(classifyFailure({ _tag: "Executed", error: { $kind: "InsufficientGas", command: 0 } }, 1)).toEqual({
      _tag: "CommandFailed",
      command: 0,
      detail: "execution error in command 0"
    })
  })

  it("an error without a usable command index is unattributed", () => {
    expect(classifyFailure({ _tag: "Executed", error: { $kind: "InsufficientGas" } }, 1)._tag).toBe("Unattributed")
    expect(classifyFailure({ _tag: "Executed", error: { $kind: "X", command: 3 } }, 2)._tag).toBe("Unattributed")
    expect(classifyFailure({ _tag: "Executed", error: null }, 2)._tag).toBe("Unattributed")
  })
})
