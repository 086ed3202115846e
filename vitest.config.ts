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
          environment: "node"
        }
      }
    ]
  }
})
