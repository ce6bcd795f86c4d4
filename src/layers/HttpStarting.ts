/**
 * HttpStarting — the operator endpoint while the daemon cannot start its services yet (its Sui
 * node does not answer): a listener on HTTP_ADDRESS that answers every request 503 with what
 * start-up waits for, so `/ready` and `/health` say "not yet" instead of refusing connections.
 * The daemon closes it just before the real endpoint (HttpApi) binds the same address.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import type { HostPort } from "./Config.js"
import { HttpApiStartError } from "./HttpApi.js"

/** What a starting daemon answers: not ready, and why. */
export interface StartingView {
  readonly waitingFor: string
  readonly attempts: number
}

/** Listens on `address` until the scope closes; resolves with the address bound (the real port for 0). */
export const startingListener = (address: HostPort, view: () => StartingView) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: ReturnType<typeof createServer>; readonly address: HostPort }, HttpApiStartError>((resume) => {
      const server = createServer((_req, res) => {
        const { waitingFor, attempts } = view()
        res.writeHead(503, { "content-type": "application/json" })
        res.end(JSON.stringify({ ready: false, healthy: false, starting: `waiting for ${waitingFor}`, attempts }))
      })
      server.once("error", (e) =>
        resume(Effect.fail(new HttpApiStartError({ message: `HTTP_ADDRESS: cannot listen on ${address.host}:${address.port}: ${e.message}` })))
      )
      server.listen(address.port, address.host, () =>
        resume(Effect.succeed({ server, address: { host: address.host, port: (server.address() as AddressInfo).port } }))
      )
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  ).pipe(Effect.map(({ address }) => address))
