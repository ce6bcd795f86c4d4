/**
 * The settlement gas-coin pool: coins of the coordinator handed out one at a time (never one coin
 * to two in-flight transactions), split off the richest coin at start, retired when poor, refilled
 * when empty, and small coins ("dust") merged into pool coins through later gas payments.
 *
 * A coin whose version another transaction locked (`ObjectLockConflict`) is retired for the rest
 * of the epoch: the validators keep owned-object locks in a per-epoch table
 * (MystenLabs/sui crates/sui-core/src/authority/authority_per_epoch_store.rs,
 * `AuthorityEpochTables::owned_object_locked_transactions`), so that version is refused until the
 * epoch ends and usable again in the next. The pool leaves such coins out of refills while their
 * epoch lasts and, once the node reports a later epoch, brings them back (to the pool while it is
 * short, else as dust).
 */
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import type { Keypair } from "@mysten/sui/cryptography"
import { Transaction } from "@mysten/sui/transactions"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { Clock, Duration, Effect, Metric, Queue } from "effect"
import { settlementLowBalance } from "./metrics.js"
import { type GasCoin, listSuiCoins } from "./settleTx.js"

/** Counters the pool keeps up to date (part of the settlement stats). */
export interface GasPoolStats {
  coins: number
  merged: number
  lowBalance: boolean
  maxInflightPerCoin: number
  /** Coins out of the pool because another transaction locked their version this epoch. */
  lockedCoins: number
  /** Coins brought back once the epoch of their lock ended. */
  unlockedCoins: number
}

/** The coordinator's account as the pool needs it (the SuiClient service is one). */
export interface GasAccount {
  readonly client: SuiGrpcClient
  readonly keypair: Keypair
  /** `0x` + 64 hex. */
  readonly address: string
}

export interface GasPoolSettings {
  readonly sui: GasAccount
  /** The reference gas price, updated when the node answers a higher one (a new epoch). */
  readonly gasPrice: { readonly current: bigint }
  readonly poolSize: number
  readonly minCoinBalance: bigint
  readonly splitAmount: bigint
  readonly lowBalanceRetryMs: number
  /** Runs a node read, retrying until it answers. */
  readonly patiently: <A>(what: string, f: () => Promise<A>) => Effect.Effect<A>
  readonly stats: GasPoolStats
}

/** How often, at most, the pool asks the node's epoch while it holds coins locked for one. */
const LOCK_CHECK_MS = 2_000

/** Budget of the transaction that splits pool coins off the richest coin. */
const SPLIT_BUDGET = 100_000_000n

const byBalanceDesc = (a: GasCoin, b: GasCoin) => (b.balance > a.balance ? 1 : b.balance < a.balance ? -1 : 0)

/** Splits `count` coins of `each` MIST off `richest`, paying with it; a failure is only logged. */
const splitOff = (s: GasPoolSettings, richest: GasCoin, count: number, each: bigint) =>
  Effect.tryPromise(async () => {
    const { sui } = s
    const tx = new Transaction()
    tx.setSender(sui.address)
    tx.setGasPrice(s.gasPrice.current)
    tx.setGasBudget(SPLIT_BUDGET)
    tx.setGasPayment([{ objectId: richest.objectId, version: richest.version, digest: richest.digest }])
    const parts = tx.splitCoins(tx.gas, Array.from({ length: count }, () => tx.pure.u64(each)))
    tx.transferObjects(
      Array.from({ length: count }, (_, i) => parts[i]!),
      tx.pure.address(sui.address)
    )
    const bytes = await tx.build()
    const { signature } = await sui.keypair.signTransaction(bytes)
    await sui.client.core.executeTransaction({ transaction: bytes, signatures: [signature], include: { effects: true } })
  }).pipe(Effect.catchAll((e) => Effect.logWarning(`cannot split gas coins: ${String(e)}`)))

/** Re-reads a coin's version, digest and balance; false when it is gone or no longer ours. */
const refreshCoin = (sui: GasAccount, coin: GasCoin) =>
  Effect.tryPromise(() => sui.client.core.getObject({ objectId: coin.objectId, include: { json: true } })).pipe(
    Effect.map(({ object }) => {
      const owner = object.owner as { $kind: string; AddressOwner?: string }
      if (owner.$kind !== "AddressOwner" || normalizeSuiAddress(owner.AddressOwner ?? "") !== sui.address) return false
      coin.version = object.version
      coin.digest = object.digest
      const balance = (object.json as { balance?: unknown } | null)?.balance
      if (typeof balance === "string" || typeof balance === "number") coin.balance = BigInt(balance)
      return true
    }),
    Effect.catchAll(() => Effect.succeed(false))
  )

/** Builds the pool; call `fill` once nothing signed earlier can still consume a coin. */
/**
 * The per-epoch lock table: a coin another transaction locked is kept out (at its locked version)
 * until the node's epoch moves past the one it was refused in, as a full node keeps owned-object
 * locks for the epoch.
 */
const makeLockTable = (sui: GasPoolSettings["sui"], stats: GasPoolSettings["stats"]) =>
  Effect.sync(() => {
    /** Coins retired for a lock: the locked version and the epoch it was refused in. */
    const locked = new Map<string, { readonly coin: GasCoin; readonly version: string; readonly epoch: bigint }>()
    let checkedAt = 0
    let knownEpoch = 0n
    /** The node's current epoch (the last one seen when it does not answer). */
    const nodeEpoch = Effect.tryPromise(() => sui.client.ledgerService.getServiceInfo({})).pipe(
      Effect.map(({ response }) => {
        if (response.epoch !== undefined && response.epoch > knownEpoch) knownEpoch = response.epoch
        return knownEpoch
      }),
      Effect.catchAll(() => Effect.succeed(knownEpoch))
    )
    const isLocked = (c: GasCoin) => locked.get(c.objectId)?.version === c.version

    /** Locks from epochs the node has left: those coins are usable again (returned for reuse). */
    const forgetEnded = Effect.gen(function* () {
      if (locked.size === 0) return [] as GasCoin[]
      checkedAt = yield* Clock.currentTimeMillis
      const epoch = yield* nodeEpoch
      const freed: GasCoin[] = []
      for (const [id, l] of locked) {
        if (l.epoch >= epoch) continue
        locked.delete(id)
        stats.lockedCoins = locked.size
        stats.unlockedCoins++
        freed.push(l.coin)
        yield* Effect.logInfo(`gas coin ${id} usable again: its lock ended with epoch ${l.epoch}`)
      }
      return freed
    })

    /** Retires a coin whose version another transaction locked: left out until the node's epoch changes. */
    const lock = (coin: GasCoin) =>
      Effect.gen(function* () {
        const epoch = yield* nodeEpoch
        locked.set(coin.objectId, { coin, version: coin.version, epoch })
        stats.lockedCoins = locked.size
        checkedAt = yield* Clock.currentTimeMillis
        yield* Effect.logWarning(`gas coin ${coin.objectId} locked by another transaction in epoch ${epoch}: out of the pool until the epoch ends`)
      })

    /** Whether locked coins exist and the epoch was last asked long enough ago. */
    const due = Effect.map(Clock.currentTimeMillis, (now) => locked.size > 0 && now - checkedAt >= LOCK_CHECK_MS)

    return { isLocked, forgetEnded, lock, due, size: () => locked.size }
  })

export const makeGasPool = (s: GasPoolSettings) =>
  Effect.gen(function* () {
    const { sui, stats, minCoinBalance } = s
    const client = sui.client
    const free = yield* Queue.unbounded<GasCoin>()
    const inflight = new Map<string, number>()
    const dust = new Map<string, GasCoin>()
    const locks = yield* makeLockTable(sui, stats)
    const isLocked = locks.isLocked
    const forgetEndedLocks = locks.forgetEnded

    /**
     * Lists the coordinator's coins and splits more off the richest until the pool is full. Only
     * called while no pool coin is in use (at start, or once every coin has been retired).
     */
    const fill = Effect.gen(function* () {
      yield* forgetEndedLocks
      let all = yield* s.patiently("listing gas coins", () => listSuiCoins(client, sui.address))
      let usable = all.filter((c) => c.balance >= minCoinBalance && !isLocked(c)).sort(byBalanceDesc)
      if (usable.length < s.poolSize && usable.length > 0) {
        const richest = usable[0]!
        const count = s.poolSize - usable.length
        // A node holds the budget back from the gas coin while the commands run: the splits can
        // only use the rest of it (more fails with InsufficientCoinBalance).
        const spendable = richest.balance > SPLIT_BUDGET ? richest.balance - SPLIT_BUDGET : 0n
        const each = [s.splitAmount, richest.balance / BigInt(s.poolSize + 1), spendable / BigInt(count)].reduce((a, b) => (a < b ? a : b))
        if (each >= minCoinBalance * 2n) {
          yield* splitOff(s, richest, count, each)
          all = yield* s.patiently("listing gas coins", () => listSuiCoins(client, sui.address))
          usable = all.filter((c) => c.balance >= minCoinBalance && !isLocked(c)).sort(byBalanceDesc)
        }
      }
      const pool = usable.slice(0, s.poolSize)
      for (const c of all) if (c.balance < minCoinBalance && !isLocked(c)) dust.set(c.objectId, c)
      stats.coins = pool.length
      stats.lowBalance = pool.length === 0
      yield* Metric.set(settlementLowBalance, pool.length === 0 ? 1 : 0)
      if (pool.length === 0) {
        yield* Effect.logWarning(
          `LOW BALANCE: coordinator ${sui.address} has no gas coin with at least ${minCoinBalance} MIST; settlement waits for funds`
        )
      }
      yield* Queue.offerAll(free, pool)
      return pool.length
    })

    /** Coins whose lock ended with its epoch go back: to the pool while it is short, else to the dust. */
    const reclaimLocked = Effect.gen(function* () {
      for (const coin of yield* forgetEndedLocks) {
        if (!(yield* refresh(coin))) continue
        if (coin.balance >= minCoinBalance && stats.coins < s.poolSize) {
          stats.coins++
          yield* Queue.offer(free, coin)
        } else dust.set(coin.objectId, coin)
      }
    })

    const lock = locks.lock

    /** Waits for a free coin; while none is usable, looks for funds again (ops wait, never lost). */
    const acquire = Effect.gen(function* () {
      while ((yield* Queue.size(free)) === 0 && stats.coins === 0) {
        const n = yield* fill.pipe(Effect.catchAllCause(() => Effect.succeed(0)))
        if (n > 0) break
        yield* Effect.sleep(Duration.millis(s.lowBalanceRetryMs))
      }
      if (yield* locks.due) yield* reclaimLocked
      const coin = yield* Queue.take(free)
      const n = (inflight.get(coin.objectId) ?? 0) + 1
      inflight.set(coin.objectId, n)
      stats.maxInflightPerCoin = Math.max(stats.maxInflightPerCoin, n)
      return coin
    })

    const refresh = (coin: GasCoin) => refreshCoin(sui, coin)

    /** Gives a coin back after its transaction: to the pool, or retired (kept as dust if it still exists). */
    const release = (coin: GasCoin, alive: boolean) =>
      Effect.gen(function* () {
        inflight.set(coin.objectId, (inflight.get(coin.objectId) ?? 1) - 1)
        if (alive && coin.balance >= minCoinBalance) {
          yield* Queue.offer(free, coin)
          return
        }
        stats.coins--
        if (alive) dust.set(coin.objectId, coin)
        yield* Effect.logWarning(`gas coin ${coin.objectId} retired (balance ${coin.balance} MIST)`)
        if (stats.coins <= 0) {
          stats.coins = 0
          yield* fill.pipe(Effect.catchAllCause(() => Effect.succeed(0)))
        }
      })

    /** Takes up to `n` dust coins to merge into the next transaction's gas. */
    const takeDust = (n: number): GasCoin[] => {
      const picked = [...dust.values()].slice(0, n)
      for (const d of picked) dust.delete(d.objectId)
      return picked
    }

    /** Dust coins whose transaction did not execute go back (after a refresh). */
    const returnDust = (coins: ReadonlyArray<GasCoin>, check: boolean) =>
      Effect.forEach(
        coins,
        (d) => Effect.map(check ? refresh(d) : Effect.succeed(true), (ok) => void (ok && dust.set(d.objectId, d))),
        { discard: true }
      )

    return { fill, acquire, release, refresh, lock, takeDust, returnDust, lockedCoins: locks.size }
  })
