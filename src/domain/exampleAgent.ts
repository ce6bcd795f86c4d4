/**
 * The image name of the bundled example agent (examples/add-agent). One name everywhere: the image
 * `scripts/build-agent-image.sh` builds, the process runtime's built-in command, the demo app's
 * method and `localnet seed`'s default — so a method seeded with defaults is one this host can run.
 */
export const EXAMPLE_AGENT_IMAGE = "silvana/add-agent:dev"

/** The pipeline example agent (examples/pipeline-agent): prove, merge and settle of the demo app's actions. */
export const PIPELINE_AGENT_IMAGE = "silvana/pipeline-agent:dev"
