/** Shared set-up of the chain tests: a localnet over real gRPC and the chain layers on top of it. */
import { Effect, Layer } from "effect"
import { type LocalnetHandle, type LocalnetOptions, startLocalnet } from "../../src/localnet/index.js"
import { seedAgentMethod } from "../../src/localnet/client.js"
import { ChainEvents, type ChainEventsOptions } from "../../src/layers/ChainEvents.js"
import { Journal } from "../../src/layers/Journal.js"
import { SuiClient } from "../../src/layers/SuiClient.js"

export const METHOD = "prove"

/** Starts a localnet on a free port with one seeded agent method. */
export const startNet = async (options: LocalnetOptions = {}): Promise<LocalnetHandle> => {
  const net = await startLocalnet({ port: 0, checkpointMs: "per-transaction", ...options })
  await seedAgentMethod(net.manifest, {
    developer: "dev",
    agent: "agent",
    method: METHOD,
    image: "docker.io/example/agent:1",
    memoryGb: 1,
    cpus: 1
  })
  return net
}

/** SuiClient for the coordinator key of a localnet. */
export const suiLayer = (net: LocalnetHandle) =>
  SuiClient.layerFrom({
    url: net.manifest.grpcUrl.startsWith("http") ? net.manifest.grpcUrl : `http://${net.manifest.grpcUrl}`,
    privateKey: net.manifest.keys.coordinator,
    packageId: net.manifest.packageId,
    registryId: net.manifest.registryId
  })

/** SuiClient + Journal (in memory unless a file is given) + ChainEvents. */
export const eventsLayer = (net: LocalnetHandle, options: ChainEventsOptions, journalFile?: string) => {
  const base = Layer.merge(suiLayer(net), journalFile === undefined ? Journal.layerMemory : Journal.layerFile(journalFile))
  return Layer.provideMerge(ChainEvents.layer(options), base)
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Runs an async function as an Effect (for test bodies mixing both). */
export const promise = <A>(f: () => Promise<A>) => Effect.promise(f)
