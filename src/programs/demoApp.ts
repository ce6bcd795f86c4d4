/** The embedded demo's app: its developer/agent/method and the example agent's image. */
export const DEMO = {
  developer: "silvana-demo",
  agent: "add",
  method: "add",
  image: "silvana/add-agent:dev"
} as const
