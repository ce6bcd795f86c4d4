/**
 * Child process of the SubmitProof crash test: the coordinator side of the agent API (AgentApi,
 * Settlement, Journal and DA store under CRASH_DIR) against the parent's localnet. It starts one
 * job, prints `{"socket", "sessionId"}` on a line, then serves until it is killed.
 */
import type { LocalnetHandle, LocalnetManifest } from "../../src/localnet/index.js"
import { startAppApi } from "./appFixture.js"

const manifest = JSON.parse(process.env["CRASH_MANIFEST"] ?? "") as LocalnetManifest
const dir = process.env["CRASH_DIR"] ?? ""

const main = async () => {
  const f = await startAppApi({ net: { manifest } as LocalnetHandle, dir })
  const { sessionId } = await f.holdJob(undefined, {}, false)
  process.stdout.write(`${JSON.stringify({ socket: f.api.socketPath, sessionId })}\n`)
  await new Promise(() => undefined)
}

main().catch((e) => {
  process.stderr.write(`${String(e)}\n`)
  process.exit(1)
})
