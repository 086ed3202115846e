/**
 * Dead letters that do not fit the broker's record limit (found by the chaos suite's poison
 * scenario: one ~900 KB undecodable record, whose dead letter carries its bytes as base64,
 * made every publish of the processor fail with MESSAGE_TOO_LARGE and retry forever: no
 * outcome and no commit for any partition after it). Now a dead letter over the DLQ topic's
 * limit keeps everything but the event (`event_omitted` says how large it was, `source` where
 * the original sits; read from the broker's max.message.bytes), and outcome records go to Kafka in requests under the limit, so two
 * large dead letters that each fit are never refused together.
 */
import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import { Partitioners } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import { SOURCE_OFFSET } from "../../../src/domain/KafkaHeaders.ts"
import { ensureTopics, recordLimit } from "../../../src/kafka/topics.ts"
import { consumeRecords, uniqueName } from "../../support/kafka.ts"
import { freshTopics, plan, type Running, runProcessor, testKafkaClient } from "./harness.ts"

const running: Array<Running> = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop()
})

/** bytes that are not JSON (0xff never starts a JSON text) */
const garbage = (n: number) => {
  const b = randomBytes(n)
  b[0] = 0xff
  return b
}

describe("oversized outcomes", () => {
  it("a dead letter over the record limit is kept without its event; large ones that fit are sent apart; nothing stalls", async () => {
    const kafka = testKafkaClient()
    const topics = await freshTopics(kafka, 1)
    running.push(await runProcessor(topics, [plan("orders", ["store"])], { send: () => Effect.succeed({}) }))
    const huge = garbage(900_000) // base64 in its dead letter: ~1.2 MB, over the 1 MB default
    const large = [garbage(500_000), garbage(500_000)] // ~670 KB dead letters: each fits, two together do not
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true })
    await producer.connect()
    for (const value of [huge, ...large]) await producer.send({ topic: topics.input, acks: -1, messages: [{ value }] })
    await producer.send({
      topic: topics.input,
      acks: -1,
      messages: [{ value: JSON.stringify({ webhook_id: "orders", id: "after-the-big-ones", payload: {} }) }]
    })
    await producer.disconnect()

    const dead = await consumeRecords(kafka, { topic: topics.dlq, count: 3, timeoutMs: 30_000 })
    const bySource = new Map(dead.map((r) => [String(r.headers[SOURCE_OFFSET]), JSON.parse(r.value ?? "{}")]))
    const stub = bySource.get("0")
    expect(stub.reason).toBe("invalid_event")
    expect(stub.event).toEqual({ raw: "" })
    expect(stub.event_omitted.limit).toBe(1_048_588)
    expect(stub.event_omitted.bytes).toBeGreaterThan(stub.event_omitted.limit)
    expect(stub.event_omitted.reason).toContain(`the original record is at ${topics.input}:0:0`)
    expect(stub.source).toEqual({ topic: topics.input, partition: 0, offset: "0" })
    expect(stub.error.reason).toBe("not_json")
    for (const [i, value] of large.entries()) {
      const full = bySource.get(String(i + 1))
      expect(full.event_omitted).toBeUndefined()
      expect(Buffer.from(full.event.raw, "base64").equals(value)).toBe(true)
    }
    const results = await consumeRecords(kafka, { topic: topics.results, count: 1, timeoutMs: 30_000 })
    expect(JSON.parse(results[0]?.value ?? "{}")).toMatchObject({ event_id: "after-the-big-ones", status: "succeeded" })
  }, 90_000)

  it("the limit is the outcome topics' own max.message.bytes (the smallest), else Kafka's default", async () => {
    const kafka = testKafkaClient()
    const base = uniqueName("limit")
    await Effect.runPromise(
      ensureTopics(kafka, [
        { topic: `${base}.results`, partitions: 1 },
        { topic: `${base}.dlq`, partitions: 1, configs: { "max.message.bytes": "300000" } }
      ])
    )
    const limit = (topics: ReadonlyArray<string>) => Effect.runPromise(recordLimit(kafka, topics, 123))
    expect(await limit([`${base}.results`, `${base}.dlq`])).toBe(300_000)
    expect(await limit([`${base}.results`])).toBe(1_048_588)
    expect(await limit([`${base}.missing`])).toBe(123)
  })
})
