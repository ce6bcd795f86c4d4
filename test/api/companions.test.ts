/** Health, reflection (v1 and v1alpha) and graceful drain on the agent API's listeners. */
import * as grpc from "@grpc/grpc-js"
import { ClientError, createChannel, createClient, Status } from "nice-grpc"
import { HealthDefinition } from "nice-grpc-server-health"
import { ServerReflectionService } from "nice-grpc-server-reflection"
import { ServerReflectionRequest } from "nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js"
import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { startApi, tripleA } from "./fixture.js"

/** Lists services through server reflection with a real grpc-js client on the given version. */
const listServices = (address: string, version: "v1" | "v1alpha") =>
  new Promise<Array<string>>((resolve, reject) => {
    const def = Object.fromEntries(
      Object.entries(ServerReflectionService).map(([k, m]) => [k, { ...m, path: m.path.replace(".v1.", `.${version}.`) }])
    ) as unknown as grpc.ServiceDefinition
    const Client = grpc.makeGenericClientConstructor(def, "ServerReflection")
    const client = new Client(address, grpc.credentials.createInsecure()) as unknown as {
      serverReflectionInfo: () => grpc.ClientDuplexStream<ServerReflectionRequest, { getListServicesResponse(): { getServiceList(): Array<{ getName(): string }> } }>
      close(): void
    }
    const call = client.serverReflectionInfo()
    call.on("data", (res: { getListServicesResponse(): { getServiceList(): Array<{ getName(): string }> } }) => {
      resolve(res.getListServicesResponse().getServiceList().map((s: { getName(): string }) => s.getName()))
      call.end()
      client.close()
    })
    call.on("error", reject)
    const req = new ServerReflectionRequest()
    req.setListServices("*")
    call.write(req)
  })

describe("companion services", () => {
  it("grpc.health.v1 answers SERVING for the server and the coordinator service", async () => {
    const api = await startApi()
    const ch = createChannel(api.socketUrl)
    const health = createClient(HealthDefinition, ch)
    expect((await health.check({ service: "" })).status).toBe(1)
    expect((await health.check({ service: "silvana.coordinator.v1.CoordinatorService" })).status).toBe(1)
    ch.close()
    await api.close()
  })

  it("reflection v1 and v1alpha list the coordinator and health services", async () => {
    const api = await startApi()
    for (const version of ["v1", "v1alpha"] as const) {
      const names = await listServices(`unix://${api.options.socketPath}`, version)
      expect(names).toEqual(expect.arrayContaining(["silvana.coordinator.v1.CoordinatorService", "grpc.health.v1.Health"]))
    }
    await api.close()
  })

  it("the socket is created with mode 0660 and a stale socket file is replaced", async () => {
    const api = await startApi()
    expect(fs.statSync(api.options.socketPath).mode & 0o777).toBe(0o660)
    const socketPath = api.options.socketPath
    await api.close()
    expect(fs.existsSync(socketPath)).toBe(false)
  })

  it("refuses to start over a live socket", async () => {
    const api = await startApi()
    await expect(startApi({ socketPath: api.options.socketPath })).rejects.toThrow(/another process is serving/)
    await api.close()
  })

  it("drain: new calls get UNAVAILABLE while the server closes", async () => {
    const api = await startApi()
    const ch = createChannel(api.socketUrl)
    const client = createClient(CoordinatorServiceDefinition, ch)
    const s = await api.newSession(tripleA)
    expect((await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: s.id })).success).toBe(true)
    await api.run(api.api.drain)
    const err = await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: s.id }).catch((e) => e)
    expect(err).toBeInstanceOf(ClientError)
    expect((err as ClientError).code).toBe(Status.UNAVAILABLE)
    ch.close()
    await api.close()
  })
})
