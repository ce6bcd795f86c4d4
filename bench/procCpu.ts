/**
 * CPU time as the benchmarks count it (Linux /proc; elsewhere `undefined`): a process's, this
 * process's own, and the whole machine's. CPU time does not depend on how busy the machine is,
 * which is why the benchmarks report it beside their rates.
 */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"

/** Clock ticks a second, the unit of /proc's CPU times. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  } catch {
    return 100
  }
})()

/** User + system CPU a process has used so far, ms; `undefined` when it has exited or there is no /proc. */
export const processCpuMs = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined
  try {
    // the fields after the command name (which may hold spaces): utime and stime are the 12th and 13th
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

/** This process's own user + system CPU so far, ms. */
export const ownCpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/**
 * The whole machine's busy CPU so far, ms: every core and process, /proc/stat's first line less
 * idle and iowait (guest time is inside user); `undefined` where there is no /proc.
 */
export const machineCpuMs = (): number | undefined => {
  try {
    const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number)
    // user nice system idle iowait irq softirq steal
    const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!
    return (busy * 1000) / CLOCK_TICKS
  } catch {
    return undefined
  }
}
