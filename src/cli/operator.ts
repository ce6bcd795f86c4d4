/**
 * The operator commands alone — `status`, `jobs`, `agents`, `config`, `failed-jobs` — as one entry that
 * `npm run build` bundles with esbuild into `dist/operator/` (scripts/build-cli.ts).
 * `bin/silvana-coordinator` runs it for those commands: one file to load instead of the compiled
 * tree and its packages, so an answer takes well under a second of CPU. Same commands, options,
 * output and exit codes as through src/main.ts.
 */
import { agentsCommand, configCommand, failedJobsCommand, jobsCommand, statusCommand } from "./commands.js"
import { rootCommand, runCli } from "./run.js"

runCli(rootCommand([configCommand, statusCommand, jobsCommand, agentsCommand, failedJobsCommand]))
