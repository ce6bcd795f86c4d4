/**
 * The agent service's definition for the server, keeping each request's bytes as received: a
 * signed call's signature covers them (callAuth.ts), and re-encoding the decoded message is not
 * guaranteed to give the same bytes back (unknown fields, another client's encoder).
 */
import type { ServiceDefinition } from "nice-grpc"
import { CoordinatorServiceDefinition } from "../../gen/silvana/coordinator/v1/coordinator.js"

interface Codec {
  decode(input: Uint8Array): object
  encode(message: unknown): { finish(): Uint8Array }
  fromPartial(object: unknown): unknown
}

export interface RequestBytes {
  /** The definition to serve (the same RPCs and messages as CoordinatorServiceDefinition). */
  readonly definition: ServiceDefinition
  /** The bytes a decoded request was read from. */
  readonly bytesOf: (request: object) => Uint8Array | undefined
  /** The gRPC path of an RPC by its key (`getJob` → `/silvana.coordinator.v1.CoordinatorService/GetJob`). */
  readonly pathOf: (key: string) => string
}

/**
 * Where a decoded request keeps its bytes: a property of the message itself under a private symbol
 * (a WeakMap entry per call cost the collector more than the lookup saved).
 */
const RECEIVED: unique symbol = Symbol("silvana.requestBytes")
type Received = { [RECEIVED]?: Uint8Array }

export const coordinatorRequestBytes = (): RequestBytes => {
  const paths = new Map<string, string>()
  const definition: ServiceDefinition = {}
  for (const [key, method] of Object.entries(CoordinatorServiceDefinition.methods)) {
    const request = method.requestType as unknown as Codec
    const response = method.responseType as unknown as Codec
    const path = `/${CoordinatorServiceDefinition.fullName}/${method.name}`
    paths.set(key, path)
    definition[key] = {
      path,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestDeserialize: (bytes: Uint8Array) => {
        const message = request.decode(bytes) as Received
        message[RECEIVED] = bytes
        return message
      },
      requestSerialize: (value: unknown) => request.encode(request.fromPartial(value)).finish(),
      responseDeserialize: (bytes: Uint8Array) => response.decode(bytes),
      responseSerialize: (value: unknown) => response.encode(response.fromPartial(value)).finish(),
      options: {}
    }
  }
  return {
    definition,
    bytesOf: (request) => (request as Received)[RECEIVED],
    pathOf: (key) => paths.get(key) ?? `/${CoordinatorServiceDefinition.fullName}/${key}`
  }
}
