/**
 * The import graph of `src/` has no circle, and imports point one way between the tiers:
 * domain (and the generated code) ← chain, web (the status page's assets) ← localnet / layers / sdk ←
 * programs ← cli ← main, index.
 * A circle anywhere, even a type-only one, fails here with the files that form it.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { importCircles, importGraph } from "./importGraph.js"

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src")
const graph = importGraph(src)

/** Lower imports nothing higher; folders of one tier do not import each other. */
const tiers: Record<string, number> = {
  gen: 0,
  domain: 0,
  chain: 1,
  // the status page's bundler and browser code: they import nothing of the daemon
  web: 1,
  localnet: 2,
  layers: 2,
  sdk: 2,
  programs: 3,
  cli: 4,
  // the conformance program runs against any node through the public SDK
  conformance: 4,
  // keeps process.nextTick on V8's fast path: process-level, imports nothing of the daemon, used by
  // main and by the agent API layer (for embedders)
  "tickShape.ts": 1,
  // process-level signal handling, used by main only
  "signals.ts": 4,
  "main.ts": 5,
  "index.ts": 5
}
const folder = (file: string) => file.split("/")[1]!

describe("src import graph", () => {
  it("reads the graph (sanity: known edges are there)", () => {
    expect(graph.size).toBeGreaterThan(50)
    expect(graph.get("src/programs/coordinator.ts")).toContain("src/layers/JobStore.ts")
    expect(graph.get("src/layers/runtime/index.ts")).toContain("src/layers/runtime/docker.ts")
  })

  it("has no import circle", () => {
    expect(importCircles(graph)).toEqual([])
  })

  it("finds a circle when there is one (the checker itself can fail)", () => {
    const circular = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]]
    ])
    expect(importCircles(circular)).toEqual([["a.ts", "b.ts", "c.ts"]])
  })

  it("imports point one way between the tiers", () => {
    const wrongWay: Array<string> = []
    for (const [from, targets] of graph) {
      for (const to of targets) {
        const a = folder(from)
        const b = folder(to)
        if (a === b) continue
        const ta = tiers[a]
        const tb = tiers[b]
        if (ta === undefined || tb === undefined || tb >= ta) wrongWay.push(`${from} -> ${to}`)
      }
    }
    expect(wrongWay).toEqual([])
  })
})
