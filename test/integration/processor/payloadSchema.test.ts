/**
 * payload_schema in the processor against a real broker: events written straight to the input
 * topic (never through the ingress) are checked against the stream's schema; one that does not
 * match is an invalid_payload dead letter naming the paths (never the values) and no module
 * sees it. Its replay (what `hookstream replay` publishes for it) is checked again.
 */
import { Effect } from "effect"
import { Partitioners } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import { compilePayloadSchema } from "../../../src/config/payloadSchema.ts"
import { decodeDlqEntry } from "../../../src/dlq/DlqEntry.ts"
import type { Destination } from "../../../src/modules/Destination.ts"
import { decideReplay } from "../../../src/replay/replayRecord.ts"
import { consumeRecords } from "../../support/kafka.ts"
import { freshTopics, plan, type Running, runProcessor, testKafkaClient } from "./harness.ts"

const running: Array<Running> = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop()
})

const produce = async (topic: string, messages: ReadonlyArray<{ value: string; headers?: Record<string, string> }>) => {
  const producer = testKafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  try {
    await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m })) })
  } finally {
    await producer.disconnect()
  }
}

const compiled = compilePayloadSchema({
  type: "object",
  required: ["order_id"],
  properties: { order_id: { type: "string", pattern: "^ord_" }, total: { type: "number", minimum: 0 } }
})
if (!compiled.ok) throw new Error(compiled.problem)

describe("payload_schema in the processor", () => {
  it("a matching event runs; one that does not is dead-lettered invalid_payload, and so is its replay", async () => {
    const kafka = testKafkaClient()
    const topics = await freshTopics(kafka, 1)
    const sent: Array<unknown> = []
    const sink: Destination = {
      send: (d) =>
        Effect.sync(() => {
          sent.push(d.payload)
          return {}
        })
    }
    running.push(
      await runProcessor(
        topics,
        [plan("orders", ["store"])],
        sink,
        {},
        { orders: { payloadContract: compiled.contract } }
      )
    )
    await produce(topics.input, [
      { value: JSON.stringify({ webhook_id: "orders", id: "good-1", payload: { order_id: "ord_1", total: 5 } }) },
      { value: JSON.stringify({ webhook_id: "orders", id: "bad-1", payload: { order_id: "ORD-SECRET", total: -1 } }) }
    ])
    const results = await consumeRecords(kafka, { topic: topics.results, count: 1 })
    expect(JSON.parse(results[0]?.value ?? "")).toMatchObject({ event_id: "good-1", status: "succeeded" })
    const [dead] = await consumeRecords(kafka, { topic: topics.dlq, count: 1 })
    const record = JSON.parse(dead?.value ?? "")
    expect(record).toMatchObject({ reason: "invalid_payload", event_id: "bad-1", replay_count: 0 })
    expect(record.error.message).toBe(
      `the payload does not match the stream's payload_schema: /order_id: must match pattern "^ord_"; /total: must be >= 0`
    )
    expect(dead?.headers["hookstream-dlq-reason"]?.toString()).toBe("invalid_payload")
    expect(sent).toEqual([{ order_id: "ord_1", total: 5 }])

    // the replay of that dead letter, as `hookstream replay` would publish it: checked again
    const headers = Object.fromEntries(Object.entries(dead?.headers ?? {}).map(([k, v]) => [k, String(v)]))
    const entry = decodeDlqEntry({
      topic: topics.dlq,
      partition: 0,
      offset: dead?.offset ?? "0",
      key: null,
      value: Buffer.from(dead?.value ?? ""),
      headers,
      timestamp: 0
    })
    const decision = decideReplay(entry, { inputTopic: topics.input, allModules: true })
    if (decision._tag !== "Publish") throw new Error(decision._tag)
    await produce(topics.input, [
      { value: decision.message.value.toString(), headers: { ...decision.message.headers } }
    ])
    const dlq = await consumeRecords(kafka, { topic: topics.dlq, count: 2 })
    const again = dlq.map((r) => JSON.parse(r.value ?? "")).find((r) => r.replay_count === 1)
    expect(again).toMatchObject({ reason: "invalid_payload", event_id: "bad-1" })
    expect(sent).toHaveLength(1)
  })
})
