/**
 * Programmable transaction interpreter: SplitCoins, MergeCoins, TransferObjects (including the gas
 * coin), MakeMoveVec, MoveCall into the coordination package and into the `0x2` framework
 * functions the SDK's coin helpers use. Failures that are not Move aborts (bad arguments, unknown
 * functions, unused values) raise `ExecFailure` with the execution error kind Sui reports.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { frameworkCall } from "./framework.js"
import { makeMoveVec, mergeCoins, splitCoins, transferObjects } from "./ptbCommands.js"
import { coordinationCall } from "./ptbMoveCall.js"
import { CommandScope, ErrKind, ExecFailure, type CommandOutcome, type PtbEnv, type Val } from "./ptbScope.js"
import { SUI } from "./runtime.js"
import type { TxCommand } from "./txdata.js"

export { ArgErr, ErrKind, ExecFailure, inputObject, inputPure, type PtbEnv } from "./ptbScope.js"

export interface PtbResult {
  readonly commandOutputs: GrpcTypes.CommandResult[]
  readonly moveCalls: number
}

const runCommand = (s: CommandScope, cmd: TxCommand): CommandOutcome => {
  switch (cmd.kind) {
    case "splitCoins": return splitCoins(s, cmd)
    case "mergeCoins": return mergeCoins(s, cmd)
    case "transferObjects": return transferObjects(s, cmd)
    case "makeMoveVec": return makeMoveVec(s, cmd)
    case "unsupported":
      throw new ExecFailure(ErrKind.FEATURE_NOT_YET_SUPPORTED, s.index, `${cmd.name} is not supported by the localnet`)
    case "moveCall":
      if (cmd.package === SUI) return frameworkCall(s, cmd)
      if (cmd.package === s.env.packageId) return coordinationCall(s, cmd)
      throw new ExecFailure(ErrKind.FUNCTION_NOT_FOUND, s.index, `function ${cmd.package}::${cmd.module}::${cmd.function} not found`)
  }
}

export const runPtb = (env: PtbEnv, commands: readonly TxCommand[]): PtbResult => {
  const results: Val[][] = []
  const outputs: GrpcTypes.CommandResult[] = []
  let moveCalls = 0
  const gasVal: Val | undefined = env.gasCoin ? { t: "obj", rec: env.gasCoin, mutable: true, gas: true } : undefined
  commands.forEach((cmd, ci) => {
    env.enterCommand?.(ci, cmd.kind === "moveCall" ? cmd.package : "", cmd.kind === "moveCall" ? cmd.module : "")
    if (cmd.kind === "moveCall") moveCalls++
    const { values, output } = runCommand(new CommandScope(env, results, ci, gasVal), cmd)
    results.push(values)
    outputs.push(output)
  })
  // values without `drop` that nobody consumed abort the transaction, as on Sui
  for (const vals of results) {
    for (const v of vals) {
      if (v.t === "newobj" || (v.t === "struct" && v.sv.object) || (v.t === "vec" && v.items.some((i) => i.t === "newobj" || i.t === "obj"))) {
        throw new ExecFailure(ErrKind.UNUSED_VALUE_WITHOUT_DROP, undefined, "unused value without drop (an object result was never transferred)")
      }
    }
  }
  return { commandOutputs: outputs, moveCalls }
}
