/**
 * `SimulateTransaction`: resolves unresolved inputs, fills the gas price, sizes a missing budget
 * from a probe run (the SDK's formula), picks the sender's gas coins when asked
 * (`do_gas_selection`), then dry-runs the transaction; nothing it does is kept.
 */
import { transactionDigest } from "./crypto.js"
import { LocalnetTxError } from "./errors.js"
import { runTransaction, type ExecEnv, type ExecOutcome } from "./executor.js"
import { budgetFromGasUsed, MAX_GAS_BUDGET } from "./gas.js"
import { coinBalance, isGasCoin } from "./objects.js"
import { resolveInputs } from "./resolve.js"
import type { ObjRecord } from "./store.js"
import { TxDecodeError, txToBcs, type TxData } from "./txdata.js"

export const simulateTransaction = (
  env: ExecEnv,
  input: TxData,
  options: { readonly checks: boolean; readonly doGasSelection: boolean }
): { tx: TxData; bytes: Uint8Array; digest: string; out: ExecOutcome } => {
  let tx = input
  const checks = options.checks
  try {
    tx = resolveInputs(env, tx)
    const price = tx.gas.price ?? env.referenceGasPrice
    const provisionalDigest = (t: TxData) =>
      transactionDigest(txToBcs({ ...t, gas: { ...t.gas, price, budget: t.gas.budget ?? MAX_GAS_BUDGET } }))
    if (tx.gas.budget === undefined) {
      // estimate with no coin, then size the budget like the SDK does
      const probe: TxData = { ...tx, gas: { ...tx.gas, payment: [], price, budget: MAX_GAS_BUDGET } }
      const est = runTransaction(env, probe, { digest: provisionalDigest(probe), simulate: true, checks: false })
      tx = { ...tx, gas: { ...tx.gas, price, budget: budgetFromGasUsed(est.gasUsed, price) } }
    } else tx = { ...tx, gas: { ...tx.gas, price } }
    if (options.doGasSelection && tx.gas.payment.length === 0) {
      const used = new Set(tx.inputs.flatMap((i) => (i.kind === "owned" ? [i.ref.id] : [])))
      const coins = [...env.store.owned(tx.gas.owner)]
        .map((id) => env.store.get(id)!)
        .filter((r) => r.owner.kind === "address" && isGasCoin(r) && !used.has(r.id))
        .sort((a, b) => (coinBalance(b) > coinBalance(a) ? 1 : -1))
      const picked: ObjRecord[] = []
      let sum = 0n
      for (const c of coins) {
        if (sum >= tx.gas.budget!) break
        picked.push(c)
        sum += coinBalance(c)
      }
      if (sum < tx.gas.budget!) {
        // crates/sui-rpc-api/src/grpc/v2/transaction_execution_service/simulate/mod.rs, select_gas: INVALID_ARGUMENT
        throw new LocalnetTxError(
          "BadRequest",
          `Unable to perform gas selection due to insufficient SUI balance (in address balance or coins) for account ${tx.gas.owner} to satisfy required budget ${tx.gas.budget}.`
        )
      }
      tx = { ...tx, gas: { ...tx.gas, payment: picked.map((r) => ({ id: r.id, version: r.version, digest: r.digest })) } }
    }
    const bytes = txToBcs(tx)
    const digest = transactionDigest(bytes)
    const out = runTransaction(env, tx, { digest, simulate: true, checks })
    return { tx, bytes, digest, out }
  } catch (e) {
    if (e instanceof TxDecodeError) throw new LocalnetTxError("BadRequest", `invalid transaction: ${e.message}`)
    throw e
  }
}
