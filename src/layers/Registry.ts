/**
 * Registry — which image serves a `(developer, agent, method)` triple. Looks the triple up in the
 * Silvana registry object (developer and agent are dynamic object fields of ObjectTables keyed by
 * name; methods a VecMap on the Agent, with `default_method` as fallback), caches answers for a
 * TTL and remembers missing entries briefly so a bad triple is refused without hammering the node.
 */
import { bcs } from "@mysten/sui/bcs"
import { deriveDynamicFieldID, normalizeSuiAddress } from "@mysten/sui/utils"
import { Clock, Context, Data, Effect, Layer, Option, Schema } from "effect"
import { moveSchema } from "../chain/moveLayout.js"
import { AgentLayout } from "../chain/moveTypes.js"
import { SuiClient } from "./SuiClient.js"

const AgentMethodFields = Schema.Struct({
  dockerImage: Schema.String,
  dockerSha256: Schema.OptionFromSelf(Schema.String),
  minMemoryGb: Schema.Number,
  minCpuCores: Schema.Number,
  requiresTee: Schema.Boolean
})

/** The parts of an `agent::Agent` object the lookup reads, from its BCS contents. */
const AgentFromBcs = moveSchema(
  AgentLayout,
  Schema.Struct({
    methods: Schema.Struct({ contents: Schema.Array(Schema.Struct({ key: Schema.String, value: AgentMethodFields })) }),
    defaultMethod: Schema.OptionFromSelf(AgentMethodFields)
  })
)
const decodeAgent = Schema.decodeSync(AgentFromBcs)

/** `registry::AgentMethod` as the coordinator uses it. */
export class AgentMethod extends Schema.Class<AgentMethod>("AgentMethod")({
  dockerImage: Schema.String,
  dockerSha256: Schema.OptionFromSelf(Schema.String),
  minMemoryGb: Schema.Number,
  minCpuCores: Schema.Number,
  requiresTee: Schema.Boolean,
  /** True when the agent has no entry for the method and its `default_method` answered. */
  isDefault: Schema.Boolean
}) {}

/** A lookup failed: `NotFound` is an answer (cached briefly), `Unavailable` a failed read (not cached). */
export class RegistryError extends Data.TaggedError("RegistryError")<{
  readonly reason: "NotFound" | "Unavailable" | "NotConfigured"
  readonly message: string
}> {}

export interface RegistryOptions {
  /** How long a found method is trusted (default 60 s). */
  readonly ttlMs?: number
  /** How long a missing entry is remembered (default 10 s). */
  readonly negativeTtlMs?: number
}

export interface RegistryService {
  readonly lookup: (developer: string, agent: string, method: string) => Effect.Effect<AgentMethod, RegistryError>
  /** Forgets cached answers (all, or one triple). */
  readonly invalidate: (key?: { developer: string; agent: string; method: string }) => Effect.Effect<void>
  /** Reads from the node and cache hits so far. */
  readonly stats: Effect.Effect<{ readonly fetches: number; readonly hits: number }>
}

const STRING_KEY = "0x2::dynamic_object_field::Wrapper<0x1::string::String>"

type Cached = { readonly until: number; readonly value: AgentMethod } | { readonly until: number; readonly error: RegistryError }

export const makeRegistry = (options: RegistryOptions = {}) =>
  Effect.gen(function* () {
    const sui = yield* SuiClient
    const ttl = options.ttlMs ?? 60_000
    const negativeTtl = options.negativeTtlMs ?? 10_000
    const cache = new Map<string, Cached>()
    const counters = { fetches: 0, hits: 0 }
    const client = sui.client

    const notFound = (message: string) => new RegistryError({ reason: "NotFound", message })

    /** The object id stored in the dynamic object field `name` of `tableId`, if any. */
    const child = async (tableId: string, name: string): Promise<string | undefined> => {
      const fieldId = deriveDynamicFieldID(tableId, STRING_KEY, bcs.string().serialize(name).toBytes())
      const { objects } = await client.core.getObjects({ objectIds: [fieldId], include: { json: true } })
      const f = objects[0]
      if (f === undefined || f instanceof Error) return undefined
      const value = (f.json as { value?: unknown } | null)?.value
      return typeof value === "string" ? normalizeSuiAddress(value) : undefined
    }

    const tableIdOf = (json: unknown, field: string): string => {
      const t = (json as Record<string, { id?: unknown } | undefined> | null)?.[field]
      if (t === undefined || typeof t.id !== "string") throw new Error(`object has no ObjectTable field ${field}`)
      return normalizeSuiAddress(t.id)
    }

    const fetch = (developer: string, agent: string, method: string) =>
      Effect.gen(function* () {
        const registryId = yield* Option.match(sui.registryId, {
          onNone: () => Effect.fail(new RegistryError({ reason: "NotConfigured", message: "SILVANA_REGISTRY is not set" })),
          onSome: Effect.succeed
        })
        const found = yield* Effect.tryPromise({
          try: async () => {
            const { object: registry } = await client.core.getObject({ objectId: registryId, include: { json: true } })
            const developerId = await child(tableIdOf(registry.json, "developers"), developer)
            if (developerId === undefined) return { missing: `developer ${JSON.stringify(developer)} is not in the registry` }
            const { object: dev } = await client.core.getObject({ objectId: developerId, include: { json: true } })
            const agentId = await child(tableIdOf(dev.json, "agents"), agent)
            if (agentId === undefined) return { missing: `agent ${JSON.stringify(agent)} of developer ${JSON.stringify(developer)} is not in the registry` }
            const { object: ag } = await client.core.getObject({ objectId: agentId, include: { content: true } })
            const decoded = decodeAgent(ag.content)
            const entry = decoded.methods.contents.find((e) => e.key === method)
            const m = entry !== undefined ? Option.some(entry.value) : decoded.defaultMethod
            if (Option.isNone(m)) {
              return { missing: `method ${JSON.stringify(method)} of ${developer}/${agent} is not in the registry and the agent has no default method` }
            }
            return { value: new AgentMethod({ ...m.value, isDefault: entry === undefined }) }
          },
          catch: (e) =>
            new RegistryError({ reason: "Unavailable", message: `registry read failed: ${e instanceof Error ? e.message : String(e)}` })
        })
        if ("missing" in found) return yield* Effect.fail(notFound(found.missing!))
        return found.value
      })

    const lookup = (developer: string, agent: string, method: string) =>
      Effect.gen(function* () {
        const key = `${developer}\u0000${agent}\u0000${method}`
        const now = yield* Clock.currentTimeMillis
        const hit = cache.get(key)
        if (hit !== undefined && hit.until > now) {
          counters.hits++
          if ("value" in hit) return hit.value
          return yield* Effect.fail(hit.error)
        }
        counters.fetches++
        const r = yield* Effect.either(fetch(developer, agent, method))
        if (r._tag === "Right") {
          cache.set(key, { until: (yield* Clock.currentTimeMillis) + ttl, value: r.right })
          return r.right
        }
        if (r.left.reason === "NotFound") {
          cache.set(key, { until: (yield* Clock.currentTimeMillis) + negativeTtl, error: r.left })
          yield* Effect.logWarning(`registry: ${r.left.message}; refusing jobs of this triple for ${negativeTtl} ms`)
        }
        return yield* Effect.fail(r.left)
      }).pipe(Effect.withSpan("Registry.lookup", { attributes: { developer, agent, method } }))

    const service: RegistryService = {
      lookup,
      invalidate: (key) =>
        Effect.sync(() => {
          if (key === undefined) cache.clear()
          else cache.delete(`${key.developer}\u0000${key.agent}\u0000${key.method}`)
        }),
      stats: Effect.sync(() => ({ ...counters }))
    }
    return service
  })

/** Agent-method lookup with cache. */
export class Registry extends Context.Tag("silvana/Registry")<Registry, RegistryService>() {
  static readonly layer = (options: RegistryOptions = {}) => Layer.effect(Registry, makeRegistry(options))
}
