/**
 * Ctrl-C on `npm start` in a real terminal stops the daemon gracefully, every time (the 10-try
 * version is `npm run check:ctrl-c`). See test/ops/terminal.ts.
 */
import { describe, expect, it } from "vitest"
import { ctrlCOnce } from "./terminal.js"

describe("Ctrl-C on npm start in a terminal", () => {
  it("drains gracefully three times in a row: shutdown lines, no socket, agent record or WAL left", { timeout: 600_000 }, async () => {
    for (let i = 0; i < 3; i++) {
      const r = await ctrlCOnce()
      expect(r.problems, r.output.split("\n").slice(-30).join("\n")).toEqual([])
    }
  })
})
