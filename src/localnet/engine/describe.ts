/**
 * Descriptions the SDK asks for: the coordination package and the `0x2` framework, their functions
 * (`GetFunction`, used to resolve argument types while building) and a few datatypes.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { AgentMethodLayout, AppInstanceLayout, AppMethodLayout, JobLayout, RegistryLayout } from "./layouts.js"
import type { MoveLayout } from "./moveValue.js"
import { frameworkFunctions, type FrameworkFunction } from "./framework.js"
import { openSignature, SUI, type MoveFunction } from "./runtime.js"
import { TEST_COIN_PACKAGE } from "./objects.js"

export const describeFunction = (f: MoveFunction): GrpcTypes.FunctionDescriptor => ({
  name: f.name,
  visibility: 2,
  isEntry: false,
  typeParameters: [],
  parameters: f.params.map(openSignature),
  returns: f.returns.map(openSignature)
})

/** A `0x2` framework function, with its type parameters and their ability constraints. */
export const describeFrameworkFunction = (f: FrameworkFunction): GrpcTypes.FunctionDescriptor => ({
  name: f.name,
  visibility: 2,
  isEntry: f.isEntry,
  typeParameters: f.typeParameters.map((constraints) => ({ constraints: [...constraints], isPhantom: false })),
  parameters: f.params.map(openSignature),
  returns: f.returns.map(openSignature)
})

export const describePackage = (packageId: string, functions: ReadonlyMap<string, MoveFunction>): GrpcTypes.Package =>
  packageOf(packageId, [...functions.values()].map((f) => [f.module, describeFunction(f)]))

/** The test coin's package (`0x7e57`): it defines the currency type and no callable function. */
export const describeTestCoinPackage = (): GrpcTypes.Package => packageOf(TEST_COIN_PACKAGE, [])

/** The `0x2` package as far as the localnet implements it. */
export const describeFramework = (): GrpcTypes.Package =>
  packageOf(SUI, [...frameworkFunctions.values()].map((f) => [f.module, describeFrameworkFunction(f)]))

const packageOf = (packageId: string, fns: ReadonlyArray<readonly [string, GrpcTypes.FunctionDescriptor]>): GrpcTypes.Package => {
  const modules = new Map<string, GrpcTypes.FunctionDescriptor[]>()
  for (const [module, f] of fns) {
    const list = modules.get(module) ?? []
    list.push(f)
    modules.set(module, list)
  }
  return {
    storageId: packageId,
    originalId: packageId,
    version: 1n,
    modules: [...modules].map(([name, fns]) => ({ name, datatypes: [], functions: fns })),
    typeOrigins: [],
    linkage: []
  }
}

const datatypeLayouts: Record<string, MoveLayout> = {
  "jobs::Job": JobLayout,
  "app_instance::AppInstance": AppInstanceLayout,
  "registry::SilvanaRegistry": RegistryLayout,
  "agent::AgentMethod": AgentMethodLayout,
  "app_method::AppMethod": AppMethodLayout
}

/** Field names and positions of the package's main structs (types are not described). */
export const describeDatatype = (packageId: string, module: string, name: string): GrpcTypes.DatatypeDescriptor | undefined => {
  const layout = datatypeLayouts[`${module}::${name}`]
  if (!layout || typeof layout === "string" || !("struct" in layout)) return undefined
  return {
    typeName: `${packageId}::${module}::${name}`,
    definingId: packageId,
    module,
    name,
    abilities: [],
    typeParameters: [],
    kind: 1,
    fields: layout.fields.map(([fname], position) => ({ name: fname, position })),
    variants: []
  }
}
