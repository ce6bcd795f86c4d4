/**
 * Ctrl-C in a terminal sends SIGINT to every process of the foreground group, and `npm start`
 * forwards its own copy to the daemon as well: one key press, two signals. `NodeRuntime.runMain`
 * interrupts the main fiber on the first and removes its listener, which would leave the second to
 * Node's default action — exit 130 in the middle of the graceful stop (stale socket, agents left
 * running). This keeps a listener for the life of the process: once a graceful stop has begun,
 * further SIGINT/SIGTERM are ignored (said once); SIGQUIT (Ctrl-\) or SIGKILL still end it at once.
 * A signal that no one else handles (no stop in progress to protect) ends the process as usual.
 */
import { constants } from "node:os"

export const ignoreRepeatedStopSignals = (): void => {
  let stopping = false
  let told = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (!told) console.error(`${signal} while stopping: ignored, the graceful stop goes on (Ctrl-\\ or kill -KILL ends it at once)`)
      told = true
      return
    }
    // Registered first, this listener runs before the runtime's: another listener means the
    // runtime takes this signal as the start of its graceful stop.
    if (process.listenerCount(signal) > 1) stopping = true
    else process.exit(128 + constants.signals[signal])
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
}
