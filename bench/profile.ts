/**
 * A V8 CPU profile of this process over one measured part of a benchmark, through the inspector
 * (BENCH_CPU_PROF=<file> in the benchmarks). `startCpuProfile` returns the function that stops it
 * and writes the `.cpuprofile` (readable by Chrome DevTools and scripts/profile-top.ts).
 * `startAllocationProfile` does the same for allocations, counting the objects the garbage
 * collector has already freed too: where the GC's work comes from, which a `--heap-prof` of what
 * is still alive at exit does not show.
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"

export type StopProfile = () => Promise<string>

export const startCpuProfile = async (file: string): Promise<StopProfile> => {
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.start")
  return async () => {
    const { profile } = await session.post("Profiler.stop")
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
    return file
  }
}

export const startAllocationProfile = async (file: string): Promise<StopProfile> => {
  const session = new Session()
  session.connect()
  await session.post("HeapProfiler.enable")
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 32 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true
  })
  return async () => {
    const { profile } = await session.post("HeapProfiler.stopSampling")
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
    return file
  }
}

/** Starts a profile when BENCH_CPU_PROF names a file; the stop function does nothing otherwise. */
export const profileIfAsked = async (): Promise<{ readonly on: boolean; readonly stop: () => Promise<void> }> => {
  const file = process.env["BENCH_CPU_PROF"]
  if (file === undefined) return { on: false, stop: async () => {} }
  const stop = await startCpuProfile(file)
  return { on: true, stop: async () => void (await stop()) }
}
