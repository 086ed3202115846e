/**
 * A command whose Kafka does not answer stops within seconds with one line naming the address,
 * where it came from and how to set another, instead of printing KafkaJS's connection retries
 * for half a minute. (No broker is involved: the address is a loopback port nobody listens on.)
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { freePort } from "../../../src/kafka/local/freePort.ts"
import { hookstream } from "../../unit/cli/hookstreamProcess.ts"

describe("a command whose brokers do not answer", () => {
  it.each([
    ["dlq", "stats"],
    ["event", "some-id"],
    ["send", "orders", "{}"],
    ["replay", "--dry-run"],
    ["topics", "create"],
    ["run", "--ops-port", "0"],
    ["ingress", "--port", "0", "--ops-port", "0"],
    ["console", "--port", "0"]
  ])("%s %s: exit 1 with one line naming the address and how to set another", async (...args) => {
    const address = `127.0.0.1:${await Effect.runPromise(freePort)}`
    const run = await hookstream(args, { KAFKA_BROKERS: address })
    expect(run.code).toBe(1)
    expect(run.stdout).toBe("")
    const lines = run.stderr.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`no Kafka broker answered at ${address}`)
    expect(lines[0]).toContain("ECONNREFUSED")
    expect(lines[0]).toContain("--brokers host:port or KAFKA_BROKERS=host:port")
  })
})
