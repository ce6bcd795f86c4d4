/**
 * In-memory form of `app_instance::AppInstance`. The job bookkeeping (`VecSet`s and the nested
 * `pending_jobs_indexes`) lives in JS Sets/Maps so that every operation is O(1) and a write never
 * re-serialises the instance; the Move value is only built when someone reads the object.
 * Changes made inside a transaction are journaled so a Move abort can undo them.
 */
import { AppInstanceLayout } from "../layouts.js"
import type { ObjData } from "../store.js"

export interface AppMethodValue {
  description: string | null
  developer: string
  agent: string
  agent_method: string
}

export interface SettlementValue {
  chain: string
  last_settled_block_number: bigint
  settlement_address: string | null
  block_settlements: { id: string; size: bigint }
  settlement_job: bigint | null
}

/** Scalar fields of the instance (everything that is not a collection). */
export interface AppInstanceScalars {
  id: string
  silvana_app_name: string
  description: string | null
  stateId: string
  blocksId: string
  proofCalculationsId: string
  sequenceStatesManagerId: string
  sequenceStatesId: string
  sequence: bigint
  admin: string
  block_number: bigint
  previous_block_timestamp: bigint
  previous_block_last_sequence: bigint
  last_proved_block_number: bigint
  last_settled_block_number: bigint
  last_settled_sequence: bigint
  last_purged_sequence: bigint
  isPaused: boolean
  min_time_between_blocks: bigint
  created_at: bigint
  updated_at: bigint
  /** Entries of the `proof_calculations` ObjectTable. */
  proofCalculationsSize: bigint
  /** Entries of the `blocks` ObjectTable. */
  blocksSize: bigint
  /** The `sequence_state_manager`: entries of its table and its bounds. */
  sequenceStatesSize: bigint
  lowestSequence: bigint | null
  highestSequence: bigint | null
}

export interface JobsScalars {
  id: string
  tableId: string
  tableSize: bigint
  failedCount: bigint
  pendingCount: bigint
  nextJobSequence: bigint
  maxAttempts: number
}

export class AppInstanceData implements ObjData {
  readonly layout = AppInstanceLayout
  readonly methods = new Map<string, AppMethodValue>()
  readonly settlements = new Map<string, SettlementValue>()
  /** `kv` and `metadata` VecMaps; JS Maps keep insertion order as a VecMap keeps its vector's. */
  readonly kv = new Map<string, string>()
  readonly metadata = new Map<string, string>()
  readonly failedIndex = new Set<bigint>()
  readonly pending = new Set<bigint>()
  readonly pendingIndexes = new Map<string, Map<string, Map<string, Set<bigint>>>>()
  private log: Array<() => void> | undefined

  constructor(
    readonly s: AppInstanceScalars,
    readonly jobs: JobsScalars
  ) {}

  checkpoint(): () => void {
    const log: Array<() => void> = []
    this.log = log
    return () => {
      for (let i = log.length - 1; i >= 0; i--) log[i]!()
      this.log = undefined
    }
  }

  /** Ends journaling once the transaction committed. */
  commit(): void {
    this.log = undefined
  }

  setScalar<K extends keyof AppInstanceScalars>(k: K, v: AppInstanceScalars[K]): void {
    const before = this.s[k]
    this.s[k] = v
    this.log?.push(() => {
      this.s[k] = before
    })
  }

  setJobs<K extends keyof JobsScalars>(k: K, v: JobsScalars[K]): void {
    const before = this.jobs[k]
    this.jobs[k] = v
    this.log?.push(() => {
      this.jobs[k] = before
    })
  }

  setMethod(name: string, m: AppMethodValue): void {
    const before = this.methods.get(name)
    this.methods.set(name, m)
    this.log?.push(() => {
      if (before === undefined) this.methods.delete(name)
      else this.methods.set(name, before)
    })
  }

  setSettlementJob(chain: string, job: bigint | null): void {
    this.setSettlement(chain, "settlement_job", job)
  }

  setSettlement<K extends keyof SettlementValue>(chain: string, k: K, v: SettlementValue[K]): void {
    const st = this.settlements.get(chain)
    if (!st) return
    const before = st[k]
    st[k] = v
    this.log?.push(() => {
      st[k] = before
    })
  }

  /** Adds a settlement chain (journaled); `vec_map::insert` appends. */
  addSettlement(st: SettlementValue): void {
    this.settlements.set(st.chain, st)
    this.log?.push(() => this.settlements.delete(st.chain))
  }

  /** Sets `key` in a string map (journaled); a new key goes last, as `vec_map::insert` appends. */
  putEntry(map: Map<string, string>, key: string, value: string): void {
    const had = map.has(key)
    const order = had ? [...map] : undefined
    if (had) map.delete(key)
    map.set(key, value)
    this.log?.push(() => {
      if (order === undefined) {
        map.delete(key)
        return
      }
      map.clear()
      for (const [k, v] of order) map.set(k, v)
    })
  }

  /** Removes `key` (journaled); `vec_map::remove` keeps the order of the others. */
  removeEntry(map: Map<string, string>, key: string): boolean {
    if (!map.has(key)) return false
    const order = [...map]
    map.delete(key)
    this.log?.push(() => {
      map.clear()
      for (const [k, v] of order) map.set(k, v)
    })
    return true
  }

  addToSet(set: Set<bigint>, v: bigint): boolean {
    if (set.has(v)) return false
    set.add(v)
    this.log?.push(() => set.delete(v))
    return true
  }

  removeFromSet(set: Set<bigint>, v: bigint): boolean {
    if (!set.delete(v)) return false
    this.log?.push(() => set.add(v))
    return true
  }

  /** The index set for (developer, agent, method), created on demand like the Move code does. */
  indexSet(developer: string, agent: string, method: string, create: boolean): Set<bigint> | undefined {
    let d = this.pendingIndexes.get(developer)
    if (!d) {
      if (!create) return undefined
      const fresh = new Map<string, Map<string, Set<bigint>>>()
      this.pendingIndexes.set(developer, fresh)
      this.log?.push(() => this.pendingIndexes.delete(developer))
      d = fresh
    }
    let a = d.get(agent)
    if (!a) {
      if (!create) return undefined
      const fresh = new Map<string, Set<bigint>>()
      const dm = d
      dm.set(agent, fresh)
      this.log?.push(() => dm.delete(agent))
      a = fresh
    }
    let m = a.get(method)
    if (!m) {
      if (!create) return undefined
      const fresh = new Set<bigint>()
      const am = a
      am.set(method, fresh)
      this.log?.push(() => am.delete(method))
      m = fresh
    }
    return m
  }

  value(): unknown {
    const s = this.s
    const j = this.jobs
    return {
      id: s.id,
      silvana_app_name: s.silvana_app_name,
      description: s.description,
      metadata: { contents: [...this.metadata].map(([key, value]) => ({ key, value })) },
      kv: { contents: [...this.kv].map(([key, value]) => ({ key, value })) },
      methods: { contents: [...this.methods].map(([key, value]) => ({ key, value })) },
      state: { id: s.stateId, sequence: s.sequence },
      blocks: { id: s.blocksId, size: s.blocksSize },
      settlements: { contents: [...this.settlements].map(([key, value]) => ({ key, value })) },
      proof_calculations: { id: s.proofCalculationsId, size: s.proofCalculationsSize },
      sequence_state_manager: {
        id: s.sequenceStatesManagerId,
        sequence_states: { id: s.sequenceStatesId, size: s.sequenceStatesSize },
        lowest_sequence: s.lowestSequence,
        highest_sequence: s.highestSequence
      },
      jobs: {
        id: j.id,
        jobs: { id: j.tableId, size: j.tableSize },
        failed_jobs_count: j.failedCount,
        failed_jobs_index: { contents: [...this.failedIndex] },
        pending_jobs: { contents: [...this.pending] },
        pending_jobs_count: j.pendingCount,
        pending_jobs_indexes: {
          contents: [...this.pendingIndexes].map(([dev, agents]) => ({
            key: dev,
            value: {
              contents: [...agents].map(([agent, methods]) => ({
                key: agent,
                value: {
                  contents: [...methods].map(([method, set]) => ({ key: method, value: { contents: [...set] } }))
                }
              }))
            }
          }))
        },
        next_job_sequence: j.nextJobSequence,
        max_attempts: j.maxAttempts
      },
      sequence: s.sequence,
      admin: s.admin,
      block_number: s.block_number,
      previous_block_timestamp: s.previous_block_timestamp,
      previous_block_last_sequence: s.previous_block_last_sequence,
      previous_block_actions_state: { bytes: new Uint8Array(32) },
      last_proved_block_number: s.last_proved_block_number,
      last_settled_block_number: s.last_settled_block_number,
      last_settled_sequence: s.last_settled_sequence,
      last_purged_sequence: s.last_purged_sequence,
      isPaused: s.isPaused,
      min_time_between_blocks: s.min_time_between_blocks,
      created_at: s.created_at,
      updated_at: s.updated_at
    }
  }

  /** Plain-data image for snapshots. */
  toSnapshot(): unknown {
    return {
      s: this.s,
      jobs: this.jobs,
      methods: [...this.methods],
      settlements: [...this.settlements],
      kv: [...this.kv],
      metadata: [...this.metadata],
      failedIndex: [...this.failedIndex],
      pending: [...this.pending],
      pendingIndexes: [...this.pendingIndexes].map(([d, a]) => [d, [...a].map(([ag, m]) => [ag, [...m].map(([mm, set]) => [mm, [...set]])])])
    }
  }

  static fromSnapshot(x: any): AppInstanceData {
    const d = new AppInstanceData(
      { proofCalculationsSize: 0n, blocksSize: 0n, sequenceStatesSize: 0n, lowestSequence: null, highestSequence: null, ...x.s },
      x.jobs
    )
    for (const [k, v] of x.kv ?? []) d.kv.set(k, v)
    for (const [k, v] of x.metadata ?? []) d.metadata.set(k, v)
    for (const [k, v] of x.methods) d.methods.set(k, v)
    for (const [k, v] of x.settlements) d.settlements.set(k, v)
    for (const v of x.failedIndex) d.failedIndex.add(v)
    for (const v of x.pending) d.pending.add(v)
    for (const [dev, agents] of x.pendingIndexes) {
      const am = new Map<string, Map<string, Set<bigint>>>()
      for (const [ag, methods] of agents) {
        const mm = new Map<string, Set<bigint>>()
        for (const [m, set] of methods) mm.set(m, new Set(set))
        am.set(ag, mm)
      }
      d.pendingIndexes.set(dev, am)
    }
    return d
  }
}

/** A fresh, empty AppInstance (used by genesis and `create_app_instance_from_registry`). */
export const newAppInstanceData = (
  ids: { newId(): string; nowMs: bigint },
  o: { appName: string; description: string | null; admin: string; minTimeBetweenBlocks: bigint }
): AppInstanceData =>
  new AppInstanceData(
    {
      id: ids.newId(),
      silvana_app_name: o.appName,
      description: o.description,
      stateId: ids.newId(),
      blocksId: ids.newId(),
      proofCalculationsId: ids.newId(),
      sequenceStatesManagerId: ids.newId(),
      sequenceStatesId: ids.newId(),
      sequence: 0n,
      admin: o.admin,
      block_number: 1n,
      previous_block_timestamp: ids.nowMs,
      previous_block_last_sequence: 0n,
      last_proved_block_number: 0n,
      last_settled_block_number: 0n,
      last_settled_sequence: 0n,
      last_purged_sequence: 0n,
      isPaused: false,
      min_time_between_blocks: o.minTimeBetweenBlocks,
      created_at: ids.nowMs,
      updated_at: ids.nowMs,
      proofCalculationsSize: 0n,
      blocksSize: 0n,
      sequenceStatesSize: 0n,
      lowestSequence: null,
      highestSequence: null
    },
    {
      id: ids.newId(),
      tableId: ids.newId(),
      tableSize: 0n,
      failedCount: 0n,
      pendingCount: 0n,
      nextJobSequence: 1n,
      maxAttempts: 3
    }
  )
