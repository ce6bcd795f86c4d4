/**
 * Epochs: with `--epoch-ms`, the first checkpoint sealed once an epoch has lasted that long is the
 * epoch's last one, and the next checkpoint opens the next epoch (a full node's epochs last a fixed
 * duration too, 24 h on the public networks). As on Sui, that last checkpoint's summary carries
 * the `EndOfEpochData` (crates/sui-types/src/messages_checkpoint.rs: `next_epoch_committee` is set
 * if and only if the checkpoint is the last of its epoch; sui-rpc renders it as
 * `CheckpointSummary.end_of_epoch_data`): the next epoch's committee (the localnet's one
 * validator), its protocol version, and no epoch commitments (the localnet keeps no ECMH
 * accumulator of the live object set); the next epoch starts at that checkpoint's timestamp.
 * Each epoch may raise the reference gas price by a fixed step (`--epoch-gas-price-step`), so
 * clients that keep the price of an old epoch meet the node's `GasPriceUnderRGP` refusal. The
 * whole history lives in the chain state, so a replay of the write-ahead log at its recorded
 * times opens the same epochs. The end-of-epoch system transaction itself is not modelled.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { sha512 } from "@noble/hashes/sha2.js"
import { toTimestamp } from "./checkpoints.js"

/** The protocol version every localnet epoch runs. */
export const PROTOCOL_VERSION = 1n

/**
 * The localnet's single validator, as committees list it: a 96-byte BLS12-381 public key slot
 * (derived from a fixed seed; the localnet signs nothing with it) and all the voting power, the
 * 10,000 units a committee's stakes add up to.
 */
const VALIDATOR_KEY = (() => {
  const seed = new TextEncoder().encode("silvana localnet validator")
  const a = sha512(seed)
  const b = sha512(a)
  const key = new Uint8Array(96)
  key.set(a, 0)
  key.set(b.subarray(0, 32), 64)
  return key
})()
export const committeeMembers = (): GrpcTypes.ValidatorCommitteeMember[] => [{ publicKey: VALIDATOR_KEY, weight: 10_000n }]

/** What the last checkpoint of an epoch carries about the next one. */
export const endOfEpochData = (): GrpcTypes.EndOfEpochData => ({
  nextEpochCommittee: committeeMembers(),
  nextEpochProtocolVersion: PROTOCOL_VERSION,
  epochCommitments: []
})

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

/**
 * The epoch that follows `current` when a checkpoint sealed at `nowMs` is its last one (it has
 * lasted its length); `seq` is the next epoch's first checkpoint.
 */
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
  committee: { epoch: e.epoch, members: committeeMembers() },
  firstCheckpoint: e.firstCheckpoint,
  start: toTimestamp(e.startMs),
  ...(next !== undefined ? { lastCheckpoint: next.firstCheckpoint - 1n, end: toTimestamp(next.startMs) } : {}),
  referenceGasPrice: e.referenceGasPrice,
  systemState: {
    version: 2n,
    epoch: e.epoch,
    protocolVersion: PROTOCOL_VERSION,
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
  protocolConfig: { protocolVersion: PROTOCOL_VERSION, featureFlags: {}, attributes: {}, configs: {} }
})
