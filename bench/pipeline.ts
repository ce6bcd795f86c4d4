/**
 * `npm run bench:pipeline`: the proving pipeline sustained on the localnet with real agent
 * processes and 4 agent permits — demo-app actions over 2 app instances, sent as fast as the
 * localnet takes them, measured until every action is in a block that is proved and settled on the
 * ledger. Prints pipeline_actions_per_s= (actions / time from the first action to the last
 * settlement) and the p50 / p99 from an action's transaction to the settlement of its block.
 *
 * Env: BENCH_ACTIONS (default 2000), BENCH_BATCH (actions per transaction, 20), BENCH_BLOCK_MS
 * (the localnet-only min_time_between_blocks, 1000).
 */
import { decodeProof } from "../examples/pipeline-agent/hashProof.js"
import { normalizeAppInstance } from "../src/domain/ids.js"
import { startPipeline } from "../test/support/pipeline.js"
import { waitUntil } from "../test/support/wait.js"

const ACTIONS = Number(process.env.BENCH_ACTIONS ?? 2000)
const BATCH = Number(process.env.BENCH_BATCH ?? 20)
const BLOCK_MS = Number(process.env.BENCH_BLOCK_MS ?? 1000)

const pct = (xs: ReadonlyArray<number>, q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN
}

const main = async () => {
  const p = await startPipeline({ instances: 2, blockIntervalMs: BLOCK_MS, maxAgents: 4 })
  try {
    // when each (instance, sequence) was sent; sequence k is the instance's k-th action
    const sentAt = new Map<string, Array<number>>(p.instances.map((i) => [normalizeAppInstance(i), [0]]))
    const latencies: Array<number> = []
    let seen = 0
    let lastSettled = 0
    const poll = () => {
      const entries = p.ledger.entries()
      const now = Date.now()
      for (const e of entries.slice(seen)) {
        const proof = decodeProof(e.proof)
        const times = sentAt.get(normalizeAppInstance(e.appInstance))
        if (proof === undefined || times === undefined) continue
        for (let s = Number(proof.first); s <= Number(proof.last); s++) if (times[s] !== undefined) latencies.push(now - times[s]!)
        lastSettled = now
      }
      seen = entries.length
    }
    const timer = setInterval(poll, 20)
    const t0 = Date.now()
    let sent = 0
    let k = 0
    while (sent < ACTIONS) {
      const ai = p.instances[k++ % p.instances.length]!
      const n = Math.min(BATCH, ACTIONS - sent)
      const before = Date.now()
      await p.add(ai, n)
      const times = sentAt.get(normalizeAppInstance(ai))!
      for (let i = 0; i < n; i++) times.push(before)
      sent += n
    }
    const sendSecs = (Date.now() - t0) / 1000
    await waitUntil("every action settled", async () => (await Promise.all(p.instances.map((ai) => p.settledAll(ai)))).every(Boolean), {
      progress: () => p.ledger.entries().length,
      pollMs: 50
    })
    poll()
    clearInterval(timer)
    const secs = (lastSettled - t0) / 1000
    console.log(`actions=${ACTIONS} batch=${BATCH} block_ms=${BLOCK_MS} instances=2 agent_permits=4 offered_actions_per_s=${(ACTIONS / sendSecs).toFixed(1)}`)
    console.log(`blocks_settled=${p.ledger.entries().length} ledger_intact=${p.ledger.intact()}`)
    console.log(`pipeline_actions_per_s=${(ACTIONS / secs).toFixed(1)}`)
    console.log(`action_to_settled_p50_ms=${pct(latencies, 0.5)}`)
    console.log(`action_to_settled_p99_ms=${pct(latencies, 0.99)}`)
  } finally {
    await p.close()
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e)
    process.exit(1)
  }
)
