/**
 * Job-scoped RPCs about the job's app instance and its agent: GetAppInstance (the whole
 * AppInstance as the chain has it now), RetrieveSecret (the job's own scope in the Secrets store)
 * and ProofEvent (telemetry of the proving pipeline: logged and counted). GetAppInstance and
 * RetrieveSecret answer refusals with `success=false`; ProofEvent with gRPC statuses, as the
 * deployed coordinator does.
 */
import { Effect, Option } from "effect"
import { apiSpan } from "./spans.js"
import type {
  AppInstanceData, GetAppInstanceRequest, GetAppInstanceResponse, ProofEventRequest, ProofEventResponse,
  RetrieveSecretRequest, RetrieveSecretResponse
} from "../../gen/silvana/coordinator/v1/coordinator.js"
import { ProofEventType } from "../../gen/silvana/coordinator/v1/coordinator.js"
import type { AppInstanceFields } from "../AppChain.js"
import * as Metrics from "../Metrics.js"
import { Secrets } from "../Secrets.js"
import { settlementsView } from "./appHandlers.js"
import { InvalidArgument } from "./errors.js"
import { isRefusal, jobScope, scopeOrStatus } from "./jobScope.js"
import * as V from "./validate.js"


export const toAppInstanceData = (inst: AppInstanceFields): AppInstanceData => ({
  id: inst.id,
  silvanaAppName: inst.silvanaAppName,
  ...(inst.description === null ? {} : { description: inst.description }),
  metadata: Object.fromEntries(inst.metadata),
  kv: Object.fromEntries(inst.kv),
  methods: Object.fromEntries(
    [...inst.methods].map(([name, m]) => [
      name,
      { developer: m.developer, agent: m.agent, agentMethod: m.agentMethod, ...(m.description === null ? {} : { description: m.description }) }
    ])
  ),
  sequence: inst.sequence,
  admin: inst.admin,
  blockNumber: inst.blockNumber,
  previousBlockTimestamp: inst.previousBlockTimestamp,
  previousBlockLastSequence: inst.previousBlockLastSequence,
  lastProvedBlockNumber: inst.lastProvedBlockNumber,
  lastSettledBlockNumber: inst.lastSettledBlockNumber,
  lastSettledSequence: inst.lastSettledSequence,
  lastPurgedSequence: inst.lastPurgedSequence,
  settlements: settlementsView(inst),
  isPaused: inst.isPaused,
  minTimeBetweenBlocks: inst.minTimeBetweenBlocks,
  createdAt: inst.createdAt,
  updatedAt: inst.updatedAt
})

export const getAppInstance = (req: GetAppInstanceRequest) =>
  Effect.gen(function* () {
    const s = yield* jobScope("GetAppInstance", req.sessionId, req.jobId)
    if (isRefusal(s)) return { success: false, message: s.message } satisfies GetAppInstanceResponse
    const inst = yield* Effect.either(s.app.chain.instance(s.job.appInstance))
    if (inst._tag === "Left") return { success: false, message: `cannot read app instance: ${inst.left.message}` } satisfies GetAppInstanceResponse
    return { success: true, message: `app instance ${inst.right.id}`, appInstance: toAppInstanceData(inst.right) } satisfies GetAppInstanceResponse
  }).pipe(apiSpan("AgentApi.GetAppInstance"), Effect.annotateLogs({ job_id: req.jobId }))

export const retrieveSecret = (req: RetrieveSecretRequest) =>
  Effect.gen(function* () {
    const name = yield* V.name("name", req.name)
    const s = yield* jobScope("RetrieveSecret", req.sessionId, req.jobId)
    if (isRefusal(s)) return { success: false, message: s.message } satisfies RetrieveSecretResponse
    const secrets = yield* Effect.serviceOption(Secrets)
    if (Option.isNone(secrets)) return { success: false, message: "this coordinator has no secrets store" } satisfies RetrieveSecretResponse
    const job = { developer: s.job.developer, agent: s.job.agent, app: s.job.app, appInstance: `0x${s.job.appInstance}` }
    const found = yield* Effect.either(secrets.value.retrieve(job, name))
    if (found._tag === "Left") {
      if (found.left.reason !== "NotConfigured") yield* Effect.logError(`secrets store: ${found.left.message}`)
      return { success: false, message: found.left.reason === "NotConfigured" ? found.left.message : "the secrets store cannot be read; see the coordinator's log" } satisfies RetrieveSecretResponse
    }
    if (Option.isNone(found.right)) return { success: false, message: `secret ${JSON.stringify(name)} not found` } satisfies RetrieveSecretResponse
    const at = found.right.value.scope
    const level = at.appInstance !== undefined ? "app instance" : at.app !== undefined ? "app" : "agent"
    return { success: true, message: `secret found at the ${level} level`, secretValue: found.right.value.value } satisfies RetrieveSecretResponse
  }).pipe(apiSpan("AgentApi.RetrieveSecret"), Effect.annotateLogs({ job_id: req.jobId }))

const EVENT_NAMES: Partial<Record<ProofEventType, string>> = {
  [ProofEventType.PROOF_SUBMITTED]: "submitted",
  [ProofEventType.PROOF_FETCHED]: "fetched",
  [ProofEventType.PROOF_VERIFIED]: "verified",
  [ProofEventType.PROOF_UNAVAILABLE]: "unavailable",
  [ProofEventType.PROOF_REJECTED]: "rejected"
}
const MAX_SEQUENCES = 10_000

const sequencesOk = (xs: ReadonlyArray<bigint>) => xs.length <= MAX_SEQUENCES && xs.every((x, i) => i === 0 || x > xs[i - 1]!)

export const proofEvent = (req: ProofEventRequest) =>
  Effect.gen(function* () {
    const type = EVENT_NAMES[req.proofEventType]
    if (type === undefined) return yield* Effect.fail(new InvalidArgument({ message: `proof_event_type ${req.proofEventType} is not a known event type` }))
    const da = yield* V.text("data_availability", req.dataAvailability, 512)
    for (const [field, xs] of [["sequences", req.sequences], ["merged_sequences_1", req.mergedSequences1], ["merged_sequences_2", req.mergedSequences2]] as const) {
      if (!sequencesOk(xs)) return yield* Effect.fail(new InvalidArgument({ message: `${field} must be sorted ascending without repeats (at most ${MAX_SEQUENCES})` }))
    }
    const s = yield* scopeOrStatus("ProofEvent", req.sessionId, req.jobId)
    yield* Metrics.proofEvent(type)
    yield* Effect.logInfo(`proof ${type}`).pipe(
      Effect.annotateLogs({
        source: "agent",
        job_id: req.jobId,
        app_instance: s.job.appInstance,
        block_number: req.blockNumber.toString(),
        block_proof: req.blockProof === true,
        sequences: req.sequences.join(","),
        ...(da === "" ? {} : { data_availability: da })
      })
    )
    return { success: true, message: `proof event ${type} recorded` } satisfies ProofEventResponse
  }).pipe(apiSpan("AgentApi.ProofEvent"))
