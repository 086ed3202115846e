import { defineConfig } from "vitest/config"

// Two projects: `unit` needs no sockets; `integration` talks to a real Kafka broker
// (started once per run by globalSetup, or KAFKA_BROKERS) and the machine's services.
// `npm test` runs both.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          // the CLI tests start the real executable (~1.5 s each on a loaded 2-core machine)
          testTimeout: 30_000
        }
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/conformance/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/support/globalSetup.ts"],
          // Consumer group joins, transaction markers and a second broker's start all take
          // seconds on a 2-core machine; waits inside tests are bounded by waitFor.
          testTimeout: 60_000,
          hookTimeout: 90_000
        }
      }
    ]
  }
})
