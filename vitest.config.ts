import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Once per run: a Docker engine (started when none answers and the machine allows it) and the
    // example agent image, or one loud line saying why the Docker suites are skipped.
    globalSetup: ["test/setup/globalSetup.ts"],
    // Backstops for a hang, not deadlines: tests wait for events and states (test/support/wait.ts),
    // and a machine at load 30 runs them many times slower than a quiet one. The heavy suites set
    // their own, longer ones. Longer than a wait's own backstop (STALL_MS, 180 s), so a stuck wait
    // fails with its name ("no progress toward …") rather than as an anonymous test timeout.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Integration suites own sockets, child processes and containers: isolate them in forks.
    pool: "forks",
    // No retries: a test that needs one depends on the machine being idle and must be fixed.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
