#!/usr/bin/env node
/**
 * silvana-coordinator — the command line. `start` runs the daemon; `status`, `jobs`, `agents`
 * read a running one over HTTP; `config` prints the effective configuration (`config --help`
 * describes every variable); `localnet` runs a local Sui node.
 *
 * Each command loads only what it needs: the command tree (names, options, help) is small, and a
 * command's implementation is imported when it runs. Reading an HTTP endpoint never loads the
 * daemon (its services, SQLite, gRPC, Docker), so the operator commands answer at once.
 *
 * Exit codes: 0 done; 1 the daemon is unhealthy, unreachable, or stopped on an error; 2 a usage
 * error or a start-up failure (bad configuration, address in use, another instance running, …),
 * always one line on stderr naming what to fix.
 */
import { agentsCommand, configCommand, failedJobsCommand, jobsCommand, statusCommand } from "./cli/commands.js"
import { rootCommand, runCli } from "./cli/run.js"
import { secretsCommand } from "./cli/secrets.js"
import { startCommand } from "./cli/start.js"
import { localnetCommand } from "./localnet/cli.js"
import { ignoreRepeatedStopSignals } from "./signals.js"
import { keepTickShape } from "./tickShape.js"

ignoreRepeatedStopSignals()
// the daemon and the localnet both serve gRPC: process.nextTick is on every call's path (tickShape.ts)
keepTickShape()
runCli(rootCommand([startCommand, configCommand, localnetCommand, statusCommand, jobsCommand, agentsCommand, failedJobsCommand, secretsCommand]))
