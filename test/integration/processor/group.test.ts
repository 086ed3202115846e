/**
 * Group behaviour with processes: two instances share the partitions and a stopped one
 * hands its partitions over with nothing lost; SIGTERM during long chains drains (or leaves
 * the rest uncommitted for redelivery) and exits 0.
 */
import { Partitioners } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import { consumeRecords } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { type Child, startChild } from "./child.ts"
import { freshTopics, testKafkaClient } from "./harness.ts"

const children: Array<Child> = []
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null) c.proc.kill("SIGKILL")
    await c.exited
  }
})

const produce = async (topic: string, from: number, n: number) => {
  const producer = testKafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true })
  await producer.connect()
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: n }, (_, j) => ({
      key: `k${(from + j) % 31}`,
      value: JSON.stringify({ webhook_id: "orders", id: `e${from + j}`, payload: { seq: from + j } })
    }))
  })
  await producer.disconnect()
}

const eventIds = async (topic: string, count: number) => {
  const records = await consumeRecords(testKafkaClient(), { topic, count, timeoutMs: 60_000 })
  return new Set(records.map((r) => JSON.parse(r.value ?? "{}").event_id as string))
}

describe("consumer group", () => {
  it("two instances share the partitions; stopping one hands its partitions over with nothing lost", async () => {
    const topics = await freshTopics(testKafkaClient(), 4)
    const a = await startChild(topics, { INSTANCE: "a", SINK_DELAY_MS: "5" })
    children.push(a)
    const b = await startChild(topics, { INSTANCE: "b", SINK_DELAY_MS: "5" }, false)
    children.push(b)
    // both end up owning a share of the 4 partitions
    await waitFor(() => /ready \d/.test(b.output()), { timeoutMs: 30_000, description: () => b.output() })
    const bPartitions = /ready ([\d,]+)/.exec(b.output())?.[1]?.split(",") ?? []
    expect(bPartitions.length).toBeGreaterThan(0)
    expect(bPartitions.length).toBeLessThan(4)
    await produce(topics.input, 0, 400)
    expect((await eventIds(topics.results, 400)).size).toBe(400)
    a.proc.kill("SIGTERM")
    expect(await a.exited).toBe(0)
    await produce(topics.input, 400, 400)
    const ids = await eventIds(topics.results, 800)
    for (let i = 0; i < 800; i++) expect(ids.has(`e${i}`)).toBe(true)
  }, 120_000)

  it("SIGTERM during long chains: the chains finish, their outcomes are committed, exit code 0", async () => {
    const topics = await freshTopics(testKafkaClient(), 1)
    const child = await startChild(topics, { SINK_DELAY_MS: "3000", SHUTDOWN_MS: "20000" })
    children.push(child)
    await produce(topics.input, 0, 20)
    // wait until all 20 chains are in flight (none can have finished: each takes 3 s)
    await waitFor(() => child.output().includes("inflight 20"), { description: () => child.output() })
    child.proc.kill("SIGTERM")
    expect(await child.exited).toBe(0)
    expect((await eventIds(topics.results, 20)).size).toBe(20)
    // and they were committed: a new instance in the same group redoes nothing
    const next = await startChild(topics, { SINK_DELAY_MS: "1" })
    children.push(next)
    await produce(topics.input, 20, 1)
    const records = await consumeRecords(testKafkaClient(), { topic: topics.results, count: 21, timeoutMs: 30_000 })
    expect(records.length).toBe(21)
  }, 120_000)

  it("SIGTERM with chains longer than the shutdown timeout: exit 0, unfinished events redelivered", async () => {
    const topics = await freshTopics(testKafkaClient(), 1)
    const child = await startChild(topics, { SINK_DELAY_MS: "10000", SHUTDOWN_MS: "500" })
    children.push(child)
    await produce(topics.input, 0, 5)
    await waitFor(() => child.output().includes("inflight 5"), { description: () => child.output() })
    child.proc.kill("SIGTERM")
    expect(await child.exited).toBe(0)
    const next = await startChild(topics, { SINK_DELAY_MS: "1" })
    children.push(next)
    expect((await eventIds(topics.results, 5)).size).toBe(5)
  }, 120_000)
})
