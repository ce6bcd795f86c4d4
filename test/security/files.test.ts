/**
 * What the daemon leaves on disk is private: the state directory 0700 and every file in it 0600
 * (whatever an earlier run left), and the agent socket 0660 owned by GRPC_SOCKET_GROUP.
 */
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { resolveGroup } from "../../src/layers/AgentApi.js"
import { secureStateDir } from "../../src/layers/StateDir.js"
import { startApi } from "../api/fixture.js"

const mode = (p: string) => statSync(p).mode & 0o777

describe("files of the daemon", () => {
  it("secureStateDir makes the directory 0700 and every file below it 0600", async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "silvana-state-")), "state")
    mkdirSync(path.join(dir, "agents"), { recursive: true, mode: 0o755 })
    chmodSync(dir, 0o755)
    for (const f of ["journal.sqlite", "journal.sqlite-wal", "agents/123.json"]) writeFileSync(path.join(dir, f), "x", { mode: 0o644 })
    await Effect.runPromise(secureStateDir(dir))
    expect(mode(dir)).toBe(0o700)
    expect(mode(path.join(dir, "agents"))).toBe(0o700)
    for (const f of ["journal.sqlite", "journal.sqlite-wal", "agents/123.json"]) expect(mode(path.join(dir, f))).toBe(0o600)
    // a directory that does not exist yet is created private
    const fresh = path.join(dir, "..", "fresh")
    await Effect.runPromise(secureStateDir(fresh))
    expect(mode(fresh)).toBe(0o700)
  })

  it("the agent socket is 0660 and belongs to GRPC_SOCKET_GROUP", async () => {
    const gid = await Effect.runPromise(resolveGroup("nogroup").pipe(Effect.orElse(() => resolveGroup("65534"))))
    const api = await startApi({ socketGroup: gid })
    try {
      const st = statSync(api.options.socketPath)
      expect(st.isSocket()).toBe(true)
      expect(st.mode & 0o777).toBe(0o660)
      expect(st.gid).toBe(gid)
    } finally {
      await api.close()
    }
    expect(await Effect.runPromise(Effect.either(resolveGroup("no-such-group-here")))).toMatchObject({
      _tag: "Left",
      left: { message: "GRPC_SOCKET_GROUP: no group named no-such-group-here" }
    })
  })
})
