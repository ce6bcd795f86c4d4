/**
 * Stored objects as plain data for the state file, and back. Object contents are kept in their
 * JS form (PlainData values by layout name, the AppInstance's own image), so a restart needs no
 * Move decoding.
 */
import { AppInstanceData } from "./coordination/appInstanceData.js"
import { namedLayouts } from "./layouts.js"
import type { MoveLayout } from "./moveValue.js"
import { ClockData, PackageData } from "./objects.js"
import { PlainData, type ObjData, type ObjectStore } from "./store.js"

const layoutNames = new Map<MoveLayout, string>(Object.entries(namedLayouts).map(([k, v]) => [v, k]))

export const objectsToPlain = (store: ObjectStore): unknown[] =>
  [...store.objects.values()].map((rec) => {
    const base = {
      id: rec.id, version: rec.version, digest: rec.digest, owner: rec.owner, type: rec.type,
      previousTransaction: rec.previousTransaction, storageRebate: rec.storageRebate, hasPublicTransfer: rec.hasPublicTransfer,
      ...(rec.dynamicField ? { dynamicField: rec.dynamicField } : {}),
      ...(rec.isPackage ? { isPackage: true } : {})
    }
    const d = rec.data
    if (d instanceof AppInstanceData) return { ...base, data: { kind: "appInstance", value: d.toSnapshot() } }
    if (d instanceof ClockData) return { ...base, data: { kind: "clock" } }
    if (d instanceof PackageData) return { ...base, data: { kind: "package" } }
    const name = layoutNames.get(d.layout)
    if (!name || !(d instanceof PlainData)) throw new Error(`cannot snapshot object ${rec.id} of type ${rec.type}`)
    return { ...base, data: { kind: "plain", layout: name, value: d.v } }
  })

export const objectsFromPlain = (store: ObjectStore, objects: any[], now: () => bigint): void => {
  for (const o of objects) {
    let data: ObjData
    switch (o.data.kind) {
      case "appInstance": data = AppInstanceData.fromSnapshot(o.data.value); break
      case "clock": data = new ClockData(now); break
      case "package": data = new PackageData(); break
      default: {
        const layout = namedLayouts[o.data.layout]
        if (!layout) throw new Error(`unknown layout ${String(o.data.layout)} in state file`)
        data = new PlainData(layout, o.data.value)
      }
    }
    const { data: _d, ...rest } = o
    store.insert({ ...rest, data })
  }
}
