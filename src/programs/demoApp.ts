/** The embedded demo's app: its developer/agent/method and the example agent's image. */
import { EXAMPLE_AGENT_IMAGE } from "../domain/exampleAgent.js"

export const DEMO = {
  developer: "silvana-demo",
  agent: "add",
  method: "add",
  image: EXAMPLE_AGENT_IMAGE
} as const
