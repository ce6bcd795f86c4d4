/** The library surface of the Silvana Coordinator. */

// Agent SDK — for agent authors.
export * from "./sdk/index.js"
