/**
 * The tag of the example agent image the Docker suites run: one per checkout (a hash of its path),
 * so that the suites of two checkouts running at once — a worktree beside a clone of another
 * commit — never rebuild the image under each other's feet with other agent code. `AGENT_IMAGE`
 * overrides it. No vitest here: child processes and benchmarks import it too.
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")

export const checkoutAgentImage = (root: string = repoRoot): string =>
  `silvana/add-agent:test-${createHash("sha256").update(root).digest("hex").slice(0, 12)}`

export const TEST_AGENT_IMAGE = process.env["AGENT_IMAGE"] ?? checkoutAgentImage()
