/**
 * A job loop for an agent that runs several jobs at once. One loop asks the coordinator for jobs
 * (GetJob) whenever a run slot is free and hands each to `run`; while nothing is offered it asks
 * again every `pollMs`, or as soon as a running job ends (an ended job often makes the next one:
 * a merge after a proof). It returns once nothing has run and nothing has been offered for
 * `lingerMs`: the agent as a whole is idle. A job loop per slot would poll the coordinator once
 * per idle slot and could stop slots one by one, leaving a busy agent running its jobs one at a time.
 *
 * A `run` that throws ends the loop: it stops asking, waits for the other jobs and throws that
 * error; so does a failing `next`. `run` reports its job's outcome itself (CompleteJob / FailJob).
 */

export interface ServeJobsOptions {
  /** Jobs run at once (default 1). */
  readonly concurrency?: number
  /** Return after this long with no job running or offered (default 1,000 ms). */
  readonly lingerMs?: number
  /** Time between asks while no job is offered (default 50 ms). */
  readonly pollMs?: number
  /** The clock (tests). */
  readonly now?: () => number
  /** Waiting (tests). */
  readonly sleep?: (ms: number) => Promise<void>
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export const serveJobs = async <J>(next: () => Promise<J | undefined>, run: (job: J) => Promise<void>, options: ServeJobsOptions = {}): Promise<void> => {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1))
  const lingerMs = options.lingerMs ?? 1_000
  const pollMs = options.pollMs ?? 50
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? realSleep
  const running = new Set<Promise<void>>()
  let failure: { readonly error: unknown } | undefined
  let idleSince: number | undefined
  const fail = async (error: unknown): Promise<never> => {
    await Promise.allSettled(running)
    throw error
  }
  for (;;) {
    if (failure !== undefined) return fail(failure.error)
    if (running.size >= concurrency) {
      await Promise.race(running)
      continue
    }
    let job: J | undefined
    try {
      job = await next()
    } catch (error) {
      return fail(error)
    }
    if (job !== undefined) {
      idleSince = undefined
      const done: Promise<void> = run(job)
        .then(
          () => undefined,
          (error: unknown) => {
            failure ??= { error }
          }
        )
        .finally(() => running.delete(done))
      running.add(done)
      continue
    }
    if (running.size > 0) idleSince = undefined
    else {
      const t = now()
      idleSince ??= t
      if (t - idleSince >= lingerMs) return
    }
    await Promise.race([sleep(pollMs), ...running])
  }
}
