/** `sui.rpc.v2.MovePackageService`: the package, datatype and function descriptors the SDK reads. */
import type { GrpcTypes } from "@mysten/sui/grpc"
import type { ServerContext } from "./context.js"
import type { ServiceHandlers } from "./rpc.js"
import { invalidArgument, notFound } from "./status.js"

const required = (value: string | undefined, what: string): string => {
  if (value === undefined || value.length === 0) throw invalidArgument(`missing ${what}`)
  return value
}

export const movePackageHandlers = (ctx: ServerContext): ServiceHandlers => {
  const chain = ctx.chain
  return {
    GetPackage: (req: GrpcTypes.GetPackageRequest): GrpcTypes.GetPackageResponse => {
      const id = required(req.packageId, "package_id")
      const pkg = chain.getPackage(id)
      if (pkg === undefined) throw notFound(`package ${id} not found`)
      return { package: pkg }
    },
    GetDatatype: (req: GrpcTypes.GetDatatypeRequest): GrpcTypes.GetDatatypeResponse => {
      const id = required(req.packageId, "package_id")
      const module = required(req.moduleName, "module_name")
      const name = required(req.name, "name")
      const datatype = chain.getDatatype(id, module, name)
      if (datatype === undefined) throw notFound(`datatype ${id}::${module}::${name} not found`)
      return { datatype }
    },
    GetFunction: (req: GrpcTypes.GetFunctionRequest): GrpcTypes.GetFunctionResponse => {
      const id = required(req.packageId, "package_id")
      const module = required(req.moduleName, "module_name")
      const name = required(req.name, "name")
      const fn = chain.getFunction(id, module, name)
      if (fn === undefined) throw notFound(`function ${id}::${module}::${name} not found`)
      return { function: fn }
    },
    ListPackageVersions: (req: GrpcTypes.ListPackageVersionsRequest): GrpcTypes.ListPackageVersionsResponse => {
      const id = required(req.packageId, "package_id")
      const pkg = chain.getPackage(id)
      if (pkg === undefined) throw notFound(`package ${id} not found`)
      // Packages on the localnet are never upgraded: each is its own only version.
      return { versions: [{ packageId: pkg.storageId ?? id, version: pkg.version ?? 1n }] }
    }
  }
}
