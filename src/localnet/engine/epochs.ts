/**
 * Epochs: with `--epoch-ms`, the first checkpoint sealed once an epoch has lasted that long opens
 * the next epoch (a full node's epochs last a fixed duration too, 24 h on the public networks).
 * Each epoch may raise the reference gas price by a fixed step (`--epoch-gas-price-step`), so
 * clients that keep the price of an old epoch meet the node's `GasPriceUnderRGP` refusal. The
 * whole history lives in the chain state, so a replay of the write-ahead log at its recorded
 * times opens the same epochs. Checkpoints carry no end-of-epoch data (no validator committee).
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { toTimestamp } from "./checkpoints.js"

export interface EpochRecord {
  readonly epoch: bigint
  readonly startMs: bigint
  readonly firstCheckpoint: bigint
  readonly referenceGasPrice: bigint
}

export interface EpochRules {
  /** Length of an epoch in ms; undefined: the chain stays in its first epoch. */
  readonly epochMs?: number | undefined
  /** MIST added to the reference gas price at each new epoch. */
  readonly gasPriceStep: bigint
}

export const firstEpoch = (genesisMs: bigint, referenceGasPrice: bigint): EpochRecord => ({
  epoch: 0n, startMs: genesisMs, firstCheckpoint: 0n, referenceGasPrice
})

/** The epoch the checkpoint `seq` sealed at `nowMs` opens, if the current one is over. */
export const nextEpochAt = (current: EpochRecord, rules: EpochRules, nowMs: bigint, seq: bigint): EpochRecord | undefined => {
  if (rules.epochMs === undefined || rules.epochMs <= 0) return undefined
  if (nowMs - current.startMs < BigInt(rules.epochMs)) return undefined
  return {
    epoch: current.epoch + 1n,
    startMs: nowMs,
    firstCheckpoint: seq,
    referenceGasPrice: current.referenceGasPrice + rules.gasPriceStep
  }
}

/** The `Epoch` message of `e` (`next`: the epoch after it, when it has ended), with the system state fields `getCurrentSystemState` reads. */
export const epochMessage = (e: EpochRecord, rules: EpochRules, next?: EpochRecord): GrpcTypes.Epoch => ({
  epoch: e.epoch,
  firstCheckpoint: e.firstCheckpoint,
  start: toTimestamp(e.startMs),
  ...(next !== undefined ? { lastCheckpoint: next.firstCheckpoint - 1n, end: toTimestamp(next.startMs) } : {}),
  referenceGasPrice: e.referenceGasPrice,
  systemState: {
    version: 2n,
    epoch: e.epoch,
    protocolVersion: 1n,
    referenceGasPrice: e.referenceGasPrice,
    epochStartTimestampMs: e.startMs,
    safeMode: false,
    safeModeStorageRewards: 0n,
    safeModeComputationRewards: 0n,
    safeModeStorageRebates: 0n,
    safeModeNonRefundableStorageFee: 0n,
    parameters: {
      epochDurationMs: BigInt(rules.epochMs ?? 86_400_000), stakeSubsidyStartEpoch: 0n, maxValidatorCount: 1n,
      minValidatorJoiningStake: 0n, validatorLowStakeThreshold: 0n, validatorLowStakeGracePeriod: 0n
    },
    storageFund: { totalObjectStorageRebates: 0n, nonRefundableBalance: 0n },
    stakeSubsidy: { balance: 0n, distributionCounter: 0n, currentDistributionAmount: 0n, stakeSubsidyPeriodLength: 0n, stakeSubsidyDecreaseRate: 0 },
    validatorReportRecords: []
  },
  protocolConfig: { protocolVersion: 1n, featureFlags: {}, attributes: {}, configs: {} }
})
