/**
 * One `JobData` from whichever the coordinator learns a job by: its `JobCreatedEvent` (a new job,
 * no attempt yet) or its `Job` object (reconciliation, with attempts and schedule). Both carry the
 * shared `JobFields` (chain/events.ts); this is the one place their shape becomes the domain's.
 */
import { Option, type Schema } from "effect"
import type { JobData } from "../domain/job.js"
import type { JobFields } from "./events.js"

/** What a job's source tells beyond the shared fields (absent in a creation event). */
export interface JobProgress {
  readonly attempts?: number
  readonly updatedAt?: bigint
  /** When a periodic or retried job may start next. */
  readonly nextScheduledAt?: Option.Option<bigint>
}

export const jobDataOf = (job: Schema.Struct.Type<typeof JobFields> & { readonly createdAt: bigint } & JobProgress): JobData => ({
  appInstance: job.appInstance,
  jobSequence: job.jobSequence,
  developer: job.developer,
  agent: job.agent,
  agentMethod: job.agentMethod,
  app: job.app,
  appInstanceMethod: job.appInstanceMethod,
  ...(Option.isSome(job.description) ? { description: job.description.value } : {}),
  ...(Option.isSome(job.blockNumber) ? { blockNumber: job.blockNumber.value } : {}),
  sequences: Option.getOrElse(job.sequences, () => []),
  sequences1: Option.getOrElse(job.sequences1, () => []),
  sequences2: Option.getOrElse(job.sequences2, () => []),
  data: job.data,
  attempts: job.attempts ?? 0,
  createdAt: job.createdAt,
  updatedAt: job.updatedAt ?? job.createdAt,
  ...(job.nextScheduledAt !== undefined && Option.isSome(job.nextScheduledAt) ? { dueAt: job.nextScheduledAt.value } : {})
})
