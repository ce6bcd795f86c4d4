/**
 * The proto is the wire contract with agents in the wild: it must match spec agent-api.json field
 * for field, and the committed generated code must be what the proto generates today.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fromBinary } from "@bufbuild/protobuf"
import {
  type DescriptorProto,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorSetSchema
} from "@bufbuild/protobuf/wkt"
import { describe, expect, it } from "vitest"

interface ContractField {
  name: string
  number: number
  type: string
  label?: "optional" | "repeated"
}
interface Contract {
  package: string
  services: Record<string, Record<string, { request: string; response: string; requestStream: boolean; responseStream: boolean }>>
  messages: Record<string, Array<ContractField>>
  enums: Record<string, Record<string, number>>
}

const contract = JSON.parse(readFileSync("test/contract/agent-api.json", "utf8")) as Contract
const set = fromBinary(FileDescriptorSetSchema, readFileSync("src/gen/descriptor.binpb"))
const file = set.file.find((f) => f.name === "silvana/coordinator/v1/coordinator.proto")!

const scalar: Partial<Record<FieldDescriptorProto_Type, string>> = {
  [FieldDescriptorProto_Type.STRING]: "string",
  [FieldDescriptorProto_Type.BYTES]: "bytes",
  [FieldDescriptorProto_Type.BOOL]: "bool",
  [FieldDescriptorProto_Type.UINT64]: "uint64",
  [FieldDescriptorProto_Type.UINT32]: "uint32",
  [FieldDescriptorProto_Type.INT64]: "int64",
  [FieldDescriptorProto_Type.INT32]: "int32",
  [FieldDescriptorProto_Type.DOUBLE]: "double"
}
const shortName = (typeName: string) => typeName.replace(/^\.silvana\.coordinator\.v1\./, "")

/** Renders a descriptor field in the contract's notation (maps as `map<k,v>`). */
const describeField = (msg: DescriptorProto, f: DescriptorProto["field"][number]): ContractField => {
  const base = { name: f.name, number: f.number }
  if (f.type === FieldDescriptorProto_Type.MESSAGE) {
    const entry = msg.nestedType.find((n) => n.options?.mapEntry === true && `${msg.name}.${n.name}` === shortName(f.typeName))
    if (entry !== undefined) {
      const [k, v] = entry.field
      const t = (x: typeof k) => (x!.type === FieldDescriptorProto_Type.MESSAGE || x!.type === FieldDescriptorProto_Type.ENUM ? shortName(x!.typeName) : scalar[x!.type]!)
      return { ...base, type: `map<${t(k)},${t(v)}>` }
    }
  }
  const type =
    f.type === FieldDescriptorProto_Type.MESSAGE || f.type === FieldDescriptorProto_Type.ENUM ? shortName(f.typeName) : scalar[f.type]!
  const label = f.proto3Optional ? "optional" : f.label === FieldDescriptorProto_Label.REPEATED ? "repeated" : undefined
  return label === undefined ? { ...base, type } : { ...base, type, label }
}

describe("proto/silvana/coordinator/v1/coordinator.proto", () => {
  it("has the contract's package, service and 31 RPCs with their request/response types", () => {
    expect(file.package).toBe(contract.package)
    const svc = file.service.find((s) => s.name === "CoordinatorService")!
    const rpcs = Object.fromEntries(
      svc.method.map((m) => [
        m.name,
        {
          request: shortName(m.inputType),
          response: shortName(m.outputType),
          requestStream: m.clientStreaming,
          responseStream: m.serverStreaming
        }
      ])
    )
    expect(Object.keys(rpcs)).toHaveLength(31)
    expect(rpcs).toEqual(contract.services["CoordinatorService"])
  })

  it("has every message with every field's name, number, type and label", () => {
    const messages = Object.fromEntries(
      file.messageType.map((m) => [m.name, m.field.map((f) => describeField(m, f))])
    )
    expect(Object.keys(messages).sort()).toEqual(Object.keys(contract.messages).sort())
    for (const [name, fields] of Object.entries(contract.messages)) {
      const sortByNumber = (a: ContractField, b: ContractField) => a.number - b.number
      expect({ name, fields: [...messages[name]!].sort(sortByNumber) }).toEqual({ name, fields: [...fields].sort(sortByNumber) })
    }
  })

  it("has every enum with its values", () => {
    const enums = Object.fromEntries(file.enumType.map((e) => [e.name, Object.fromEntries(e.value.map((v) => [v.name, v.number]))]))
    expect(enums).toEqual(contract.enums)
  })

  // buf runs the code generators as child processes: on a loaded machine that takes minutes, so
  // the wait is asynchronous (the worker stays responsive) and only a hang hits the backstop
  it("generated code is up to date with the proto", { timeout: 600_000 }, async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), "silvana-gen-"))
    const bin = path.resolve("node_modules/.bin/buf")
    await promisify(execFile)(bin, ["generate", "-o", out])
    await promisify(execFile)(bin, ["build", "proto", "-o", path.join(out, "src/gen/descriptor.binpb")])
    const files = (dir: string): Array<string> =>
      readdirSync(dir).flatMap((n) => {
        const p = path.join(dir, n)
        return statSync(p).isDirectory() ? files(p) : [p]
      })
    const generated = [...files(path.join(out, "src/gen")), ...files(path.join(out, "test/gen"))]
    expect(generated.length).toBeGreaterThanOrEqual(3)
    for (const g of generated) {
      const rel = path.relative(out, g)
      expect({ file: rel, same: readFileSync(g).equals(readFileSync(rel)) }).toEqual({ file: rel, same: true })
    }
  })
})
