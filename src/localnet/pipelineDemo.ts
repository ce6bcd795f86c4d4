/**
 * Client side of the pipeline demo on a localnet (localnet only): set an app instance up for the
 * pipeline — the `prove` / `merge` / `settle` methods served by the pipeline example agent, a
 * settlement chain, optionally a shorter `min_time_between_blocks` — create more instances of the
 * same app, and send `demo_add::add` actions (engine/coordination/demoApp.ts).
 */
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { PIPELINE_AGENT_IMAGE } from "../domain/exampleAgent.js"
import { addSettlementChain } from "./appSeeding.js"
import { type ManifestLike, openClient, runAsAdmin, seedAgentMethod, signAndRun } from "./client.js"

export const PIPELINE = {
  developer: "silvana-demo",
  agent: "pipeline",
  methods: ["prove", "merge", "settle"] as const,
  image: PIPELINE_AGENT_IMAGE,
  /** The file ledger the settle agent writes to. */
  chain: "ledger",
  app: "pipeline-demo"
} as const

const run = runAsAdmin

/** Localnet only: lets blocks close every `ms` (the deployed package refuses less than 60 s). */
export const setMinTimeBetweenBlocks = (manifest: ManifestLike, appInstanceId: string, ms: number) =>
  run(manifest, (tx) => {
    tx.moveCall({ target: `${manifest.packageId}::demo_add::set_min_time_between_blocks`, arguments: [tx.object(appInstanceId), tx.pure.u64(ms)] })
  })

/**
 * `app_instance::restart_failed_app_jobs`: brings the instance's jobs that failed for good (all of
 * them, or `jobs`) back to pending — what the deployed operator CLI's restart does.
 */
export const restartFailedJobs = (manifest: ManifestLike, appInstanceId: string, jobs?: ReadonlyArray<bigint>) =>
  run(manifest, (tx) => {
    tx.moveCall({
      target: `${manifest.packageId}::app_instance::restart_failed_app_jobs`,
      arguments: [tx.object(appInstanceId), tx.pure.option("vector<u64>", jobs === undefined ? null : [...jobs]), tx.object.clock()]
    })
  })

/** Prepares the manifest's genesis instance for the pipeline (idempotent except the chain: call once). */
export const seedPipeline = async (manifest: ManifestLike, o: { readonly blockIntervalMs?: number } = {}) => {
  for (const method of PIPELINE.methods) {
    await seedAgentMethod(manifest, { developer: PIPELINE.developer, agent: PIPELINE.agent, method, image: PIPELINE.image, memoryGb: 0, cpus: 0 })
  }
  await addSettlementChain(manifest, PIPELINE.chain)
  if (o.blockIntervalMs !== undefined) await setMinTimeBetweenBlocks(manifest, manifest.appInstanceId, o.blockIntervalMs)
}

/**
 * A further instance of the pipeline app (registry app `pipeline-demo`, created on first use),
 * with the ledger settlement chain; the instance id. With `proveMethod`, the actions' jobs go to
 * that method of the instance (app `pipeline-demo-<method>`), served by the agent's `prove`. Call `seedPipeline` first (it registers the agent).
 */
export const createPipelineInstance = async (
  manifest: ManifestLike,
  o: { readonly blockIntervalMs?: number; readonly proveMethod?: string } = {}
): Promise<string> => {
  const { client, close } = openClient(manifest.grpcUrl)
  const admin = Ed25519Keypair.fromSecretKey(manifest.keys.admin)
  const pkg = manifest.packageId
  // An app whose prove method has another name (served by the agent's `prove`) is an app of its own.
  const proveMethod = o.proveMethod ?? "prove"
  const appName = proveMethod === "prove" ? PIPELINE.app : `${PIPELINE.app}-${proveMethod}`
  try {
    const app = new Transaction()
    app.moveCall({
      target: `${pkg}::registry::add_app`,
      arguments: [app.object(manifest.registryId), app.pure.string(appName), app.pure.address(admin.toSuiAddress()), app.pure.option("string", "pipeline demo"), app.object.clock()]
    })
    for (const method of PIPELINE.methods) {
      const m = app.moveCall({
        target: `${pkg}::app_method::new`,
        arguments: [app.pure.option("string", null), app.pure.string(PIPELINE.developer), app.pure.string(PIPELINE.agent), app.pure.string(method)]
      })
      const name = method === "prove" ? proveMethod : method
      app.moveCall({ target: `${pkg}::registry::add_method_to_app`, arguments: [app.object(manifest.registryId), app.pure.string(appName), app.pure.string(name), m] })
    }
    // The app exists after the first call: a second one aborts, which is fine.
    await signAndRun(client, admin, app).catch(() => undefined)
    const tx = new Transaction()
    const cap = tx.moveCall({
      target: `${pkg}::registry::create_app_instance_from_registry`,
      arguments: [
        tx.object(manifest.registryId), tx.pure.string(appName), tx.pure.option("string", "pipeline demo instance"),
        tx.pure.vector("string", [PIPELINE.chain]), tx.pure.vector("option<string>", [null]), tx.pure.u64(60_000), tx.object.clock()
      ]
    })
    tx.transferObjects([cap], tx.pure.address(admin.toSuiAddress()))
    tx.setSender(admin.toSuiAddress())
    const r = await client.signAndExecuteTransaction({ transaction: tx, signer: admin, include: { effects: true, objectTypes: true } })
    if (r.$kind !== "Transaction") throw new Error(`creating a pipeline instance failed: ${r.FailedTransaction.status.error?.message ?? "unknown"}`)
    const t = r.Transaction
    const id = t.effects!.changedObjects.find((c) => c.idOperation === "Created" && t.objectTypes![c.objectId]?.endsWith("::app_instance::AppInstance"))?.objectId
    if (id === undefined) throw new Error("no AppInstance created")
    if (o.blockIntervalMs !== undefined) await setMinTimeBetweenBlocks(manifest, id, o.blockIntervalMs)
    if (proveMethod !== "prove") {
      await run(manifest, (t) => {
        t.moveCall({ target: `${pkg}::demo_add::set_prove_method`, arguments: [t.object(id), t.pure.string(proveMethod)] })
      })
    }
    return id
  } finally {
    close()
  }
}

const addTx = (packageId: string, appInstanceId: string, values: ReadonlyArray<bigint>) => (tx: Transaction) => {
  // the dry run's estimate can fall short when a concurrent action grew the instance meanwhile
  tx.setGasBudget(2_000_000_000)
  for (const v of values) {
    tx.moveCall({ target: `${packageId}::demo_add::add`, arguments: [tx.object(appInstanceId), tx.pure.u64(v), tx.object.clock()] })
  }
}

/** One transaction of `demo_add::add(value)` calls on `appInstanceId`, one per value. */
export const demoAdd = (manifest: ManifestLike, appInstanceId: string, values: ReadonlyArray<bigint>) =>
  run(manifest, addTx(manifest.packageId, appInstanceId, values))

/**
 * A sender of `demo_add::add` transactions that keeps its client and key (a load generator sends
 * many; `demoAdd` opens a connection per transaction). One transaction at a time: they share the
 * admin's gas coin.
 */
export const demoAdder = (manifest: ManifestLike) => {
  const { client, close } = openClient(manifest.grpcUrl)
  const admin = Ed25519Keypair.fromSecretKey(manifest.keys.admin)
  return {
    add: (appInstanceId: string, values: ReadonlyArray<bigint>) => {
      const tx = new Transaction()
      addTx(manifest.packageId, appInstanceId, values)(tx)
      return signAndRun(client, admin, tx)
    },
    close
  }
}
