import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites own sockets, child processes and containers: isolate them in forks.
    pool: "forks",
    // Integration suites race real processes, containers and a chain on a small shared machine: one
    // retry absorbs a scheduling hiccup; a real failure fails twice and still fails the run.
    retry: 1,
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
