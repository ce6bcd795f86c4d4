/**
 * The objects every localnet starts with: the coordination package, the Clock `0x6`, the
 * registry, one AppInstance administered by the admin key, and funded gas coins for both keys —
 * all at version 1, created by a synthetic genesis transaction — and, last, the test coin's
 * package with one `Coin<TEST_COIN>` for the admin key (a currency other than SUI).
 */
import { toBase58 } from "@mysten/sui/utils"
import { newAppInstanceData } from "./coordination/appInstanceData.js"
import { appInstanceType, registryType } from "./coordination/types.js"
import { objectDigest } from "./crypto.js"
import { RegistryLayout } from "./layouts.js"
import { CLOCK_ID, ClockData, coinData, coinTypeOf, GAS_COIN_TYPE, PackageData, TEST_COIN, TEST_COIN_PACKAGE } from "./objects.js"
import { addBlock } from "./coordination/blocks.js"
import { addProofCalculation } from "./coordination/prover.js"
import { SUI, type MoveCtx } from "./runtime.js"
import { PlainData, type ObjectStore, type ObjRecord } from "./store.js"

export interface GenesisInput {
  readonly seed: Uint8Array
  readonly newId: () => string
  readonly packageId: string
  readonly registryId: string
  readonly startMs: bigint
  readonly admin: string
  readonly coordinator: string
  readonly coinsPerKey: number
  readonly coinBalance: bigint
  /** Chain time, for the Clock's contents. */
  readonly now: () => bigint
}

/**
 * The `0x2` framework package object (immutable, version 1), added at genesis and to a state saved
 * before the localnet had it.
 */
export const ensureFrameworkPackage = (store: ObjectStore, genesisTx = toBase58(new Uint8Array(32))): void => {
  if (store.get(SUI) !== undefined) return
  store.insert({
    id: SUI, type: "package", owner: { kind: "immutable" }, hasPublicTransfer: false, data: new PackageData(), isPackage: true,
    version: 1n, digest: objectDigest(SUI, 1n, genesisTx), previousTransaction: genesisTx, storageRebate: 0n
  })
}

export const populateGenesis = (store: ObjectStore, g: GenesisInput): { appInstanceId: string } => {
  const { newId, packageId, registryId } = g
  const genesisTx = toBase58(g.seed)
  const put = (rec: Omit<ObjRecord, "version" | "digest" | "previousTransaction" | "storageRebate">) =>
    store.insert({ ...rec, version: 1n, digest: objectDigest(rec.id, 1n, genesisTx), previousTransaction: genesisTx, storageRebate: 0n })
  ensureFrameworkPackage(store, genesisTx)
  put({ id: packageId, type: "package", owner: { kind: "immutable" }, hasPublicTransfer: false, data: new PackageData(), isPackage: true })
  put({ id: CLOCK_ID, type: `${SUI}::clock::Clock`, owner: { kind: "shared", initialVersion: 1n }, hasPublicTransfer: false, data: new ClockData(g.now) })
  put({
    id: registryId,
    type: registryType(packageId),
    owner: { kind: "shared", initialVersion: 1n },
    hasPublicTransfer: true,
    data: new PlainData(RegistryLayout, {
      id: registryId, name: "silvana-localnet", version: 1, admin: g.admin,
      developers: { id: newId(), size: 0n }, developers_index: { id: newId(), size: 0n },
      apps: { id: newId(), size: 0n }, apps_index: { id: newId(), size: 0n }
    })
  })
  const app = newAppInstanceData({ newId, nowMs: g.startMs }, { appName: "silvana-localnet", description: "localnet app instance", admin: g.admin, minTimeBetweenBlocks: 60_000n })
  // The genesis instance gets the proof calculation of block 1 and block 0, as `create_app_instance` does.
  const genesisCtx = {
    packageId, sender: g.admin, nowMs: g.startMs, store, newId,
    createObject: ({ dynamicField, ...args }: Parameters<MoveCtx["createObject"]>[0]) => {
      put(dynamicField === undefined ? args : { ...args, dynamicField })
      return store.get(args.id)!
    },
    emit: () => undefined,
    abort: (_m: string, _f: string, _c: bigint, message: string) => {
      throw new Error(`genesis: ${message}`)
    }
  } as unknown as MoveCtx
  addProofCalculation(genesisCtx, app, 1n, 1n, null)
  addBlock(genesisCtx, app, 0n, 0n, 0n, null)
  put({ id: app.s.id, type: appInstanceType(packageId), owner: { kind: "shared", initialVersion: 1n }, hasPublicTransfer: true, data: app })
  for (const owner of [g.admin, g.coordinator]) {
    for (let i = 0; i < g.coinsPerKey; i++) {
      const id = newId()
      put({ id, type: GAS_COIN_TYPE, owner: { kind: "address", address: owner }, hasPublicTransfer: true, data: coinData(id, g.coinBalance) })
    }
  }
  put({ id: TEST_COIN_PACKAGE, type: "package", owner: { kind: "immutable" }, hasPublicTransfer: false, data: new PackageData(), isPackage: true })
  const testCoin = newId()
  put({ id: testCoin, type: coinTypeOf(TEST_COIN), owner: { kind: "address", address: g.admin }, hasPublicTransfer: true, data: coinData(testCoin, 1_000_000_000_000n) })
  return { appInstanceId: app.s.id }
}
