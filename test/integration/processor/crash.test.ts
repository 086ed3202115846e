/**
 * The processor as its own process, killed and restarted: nothing is lost (every event ends
 * with an outcome), duplicates are counted; with --exactly-once a read_committed reader sees
 * exactly one outcome per event.
 */
import { Partitioners } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import {
  DEFAULT_PRODUCER_CLIENT,
  type ProducerClient,
  producerClients
} from "../../../src/kafka/producer/ProducerDriver.ts"
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

const produceEvents = async (topic: string, n: number) => {
  const producer = testKafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true })
  await producer.connect()
  for (let i = 0; i < n; i += 500) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
        key: `k${(i + j) % 97}`,
        value: JSON.stringify({ webhook_id: "orders", id: `e${i + j}`, payload: { seq: i + j } })
      }))
    })
  }
  await producer.disconnect()
}

/** Reads the results topic until every event id is there; returns outcomes per event id. */
const outcomesPerEvent = async (topic: string, events: number, readCommitted: boolean) => {
  const kafka = testKafkaClient()
  const counts = new Map<string, number>()
  await waitFor(
    async () => {
      const records = await consumeRecords(kafka, { topic, count: events, readCommitted, timeoutMs: 10_000 }).catch(
        () => []
      )
      counts.clear()
      for (const r of records) {
        const id = JSON.parse(r.value ?? "{}").event_id as string
        counts.set(id, (counts.get(id) ?? 0) + 1)
      }
      return counts.size === events
    },
    {
      timeoutMs: 90_000,
      intervalMs: 500,
      description: () => `all ${events} events have an outcome (have ${counts.size})`
    }
  )
  return counts
}

const killMidRun = async (exactlyOnce: boolean, producerClient: ProducerClient = DEFAULT_PRODUCER_CLIENT) => {
  const kafka = testKafkaClient()
  const topics = await freshTopics(kafka, 3)
  const events = 3_000
  await produceEvents(topics.input, events)
  const env = {
    EXACTLY_ONCE: exactlyOnce ? "1" : "0",
    SINK_DELAY_MS: "20",
    INSTANCE: "one",
    PRODUCER_CLIENT: producerClient
  }
  const first = await startChild(topics, env)
  children.push(first)
  // kill it while it is busy: some results out, most events not yet
  await waitFor(
    async () => {
      const got = await consumeRecords(kafka, {
        topic: topics.results,
        count: 300,
        readCommitted: exactlyOnce,
        timeoutMs: 2_000
      }).catch(() => [])
      return got.length >= 300
    },
    { timeoutMs: 60_000, intervalMs: 200 }
  )
  first.proc.kill("SIGKILL")
  await first.exited
  const second = await startChild(topics, env)
  children.push(second)
  return outcomesPerEvent(topics.results, events, exactlyOnce)
}

describe("crash safety", () => {
  it.each(producerClients)(
    "SIGKILL mid-run, restart: every event ends with an outcome (at-least-once on the %s producer, duplicates counted)",
    async (producerClient) => {
      const counts = await killMidRun(false, producerClient)
      const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0)
      expect(counts.size).toBe(3_000)
      // reported for the issue note; bounded by what was in flight or uncommitted at the kill
      process.stderr.write(`at-least-once SIGKILL (${producerClient}): ${duplicates} duplicate outcomes of 3000\n`)
      expect(duplicates).toBeLessThan(3_000)
    },
    180_000
  )

  it("SIGKILL mid-run with --exactly-once: a read_committed reader sees exactly one outcome per event", async () => {
    const counts = await killMidRun(true)
    expect(counts.size).toBe(3_000)
    expect([...counts.values()].every((c) => c === 1)).toBe(true)
  }, 180_000)
})
