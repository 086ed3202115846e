/**
 * kafka against the run's real broker (test/support/kafka.ts), a fresh topic per config.
 * `effects` reads the topic from the beginning up to its high watermark and counts records
 * whose `hookstream-event-id` header is the event's: Kafka does not dedupe separate sends (the
 * idempotent producer only drops its own retries), so a redelivery is a second record.
 * A broker cannot be held from outside, so the interruption test interrupts real sends in flight.
 */
import { Cause, Effect, Exit, Schema, Scope } from "effect"
import { describe, expect, it } from "vitest"
import type { DestinationError } from "../../src/domain/DestinationError.ts"
import { freePort } from "../../src/kafka/local/freePort.ts"
import type { Delivery, Destination } from "../../src/modules/Destination.ts"
import type { KafkaConfig, KafkaConnection } from "../../src/modules/kafka/KafkaConfig.ts"
import { EVENT_ID_HEADER } from "../../src/modules/kafka/recordFor.ts"
import { loadDestination } from "../../src/modules/registry.ts"
import {
  type ConsumedRecord,
  consumeRecords,
  createTopics,
  kafkaBrokers,
  testKafka,
  uniqueName,
  withAdmin
} from "../support/kafka.ts"
import { waitFor } from "../support/waitFor.ts"
import { conformance, delivery } from "./conformance.ts"

const kafkaDestination = await loadDestination("kafka")

const kafka = testKafka("kafka-destination-test")
const closedPort = await Effect.runPromise(freePort)

/** Every record on the topic, from the beginning to the high watermark. */
const allRecords = async (topic: string): Promise<Array<ConsumedRecord>> => {
  const offsets = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic))
  const count = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
  return count === 0 ? [] : consumeRecords(kafka, { topic, count })
}

const header = (record: ConsumedRecord, name: string) => record.headers[name]?.toString()

conformance<KafkaConfig, KafkaConnection>({
  name: "kafka",
  spec: kafkaDestination,
  connection: { type: "kafka", brokers: kafkaBrokers() },
  unreachableConnection: { type: "kafka", brokers: `127.0.0.1:${closedPort}` },
  config: () => ({ topic: uniqueName("dest-kafka") }),
  badConfig: { config: { topic: "has spaces" }, path: "topic" },
  dedupes: false,
  setup: (config) => createTopics(kafka, [{ topic: config.topic }]),
  effects: async (config, _connection, eventId) =>
    (await allRecords(config.topic)).filter((r) => header(r, EVENT_ID_HEADER) === eventId).length
})

const decodeConfig = (raw: unknown): KafkaConfig => Schema.decodeUnknownSync(kafkaDestination.config)(raw)
const connection = (): KafkaConnection =>
  Schema.decodeUnknownSync(kafkaDestination.connection?.schema as Schema.Decoder<KafkaConnection>)({
    type: "kafka",
    brokers: kafkaBrokers()
  })

const withKafka = async <A>(use: (destination: Destination<KafkaConfig>) => Promise<A>): Promise<A> => {
  const scope = Effect.runSync(Scope.make())
  try {
    return await use(await Effect.runPromise(kafkaDestination.make(connection()).pipe(Scope.provide(scope))))
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const errorOf = (exit: Exit.Exit<unknown, DestinationError>): DestinationError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag === "None") throw new Error(Cause.pretty(exit.cause))
  return error.value
}

const freshTopic = async (prefix: string) => {
  const topic = uniqueName(prefix)
  await createTopics(kafka, [{ topic, numPartitions: 3 }])
  return topic
}

describe("kafka destination", () => {
  it("the record: default key = the input key, JSON value, hookstream and trace headers, forwarded headers", async () => {
    const topic = await freshTopic("dest-kafka-shape")
    const config = decodeConfig({ topic, headers: { "x-team": "payments" }, forward_headers: ["x-request-id"] })
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    const d = delivery(config, {
      traceparent,
      headers: { "x-request-id": "r-1", "x-other": "no", "hookstream-event-id": "forged" }
    })
    const exit = await withKafka((destination) => Effect.runPromiseExit(destination.send(d)))
    expect(Exit.isSuccess(exit) && exit.value.detail).toMatch(new RegExp(`^${topic}/\\d@0$`))
    const [record, ...rest] = await allRecords(topic)
    expect(rest).toEqual([])
    expect(record?.key).toBe(d.key)
    expect(JSON.parse(record?.value ?? "")).toEqual(d.payload)
    expect(header(record as ConsumedRecord, "hookstream-idempotency-key")).toBe(d.idempotencyKey)
    expect(header(record as ConsumedRecord, EVENT_ID_HEADER)).toBe(d.eventId)
    expect(header(record as ConsumedRecord, "hookstream-webhook-id")).toBe("conformance")
    expect(header(record as ConsumedRecord, "traceparent")).toBe(traceparent)
    expect(header(record as ConsumedRecord, "x-team")).toBe("payments")
    expect(header(record as ConsumedRecord, "x-request-id")).toBe("r-1")
    expect(record?.headers).not.toHaveProperty("x-other")
  })

  it("keys from a template or a JSON Pointer; a base64 event is written as its bytes", async () => {
    const topic = await freshTopic("dest-kafka-keys")
    const bytes = Buffer.from([0, 1, 254, 255])
    const sends: Array<Delivery<KafkaConfig>> = [
      delivery(decodeConfig({ topic, key: "{webhook_id}/{event_id}" }), { eventId: "evt-t" }),
      delivery(decodeConfig({ topic, key_from: "/customer/id" }), {
        eventId: "evt-p",
        payload: { customer: { id: 42 } }
      }),
      delivery(decodeConfig({ topic }), {
        eventId: "evt-b",
        payload: bytes.toString("base64"),
        payloadEncoding: "base64"
      })
    ]
    await withKafka(async (destination) => {
      for (const d of sends) expect(Exit.isSuccess(await Effect.runPromiseExit(destination.send(d)))).toBe(true)
    })
    const records = await allRecords(topic)
    const byEvent = (id: string) => records.find((r) => header(r, EVENT_ID_HEADER) === id)
    expect(byEvent("evt-t")?.key).toBe("conformance/evt-t")
    expect(byEvent("evt-p")?.key).toBe("42")
    const raw = await consumeRaw(topic)
    expect(raw.some((value) => value.equals(bytes))).toBe(true)
  })

  it("a key_from that the payload lacks is invalid_payload, not retryable, and writes nothing", async () => {
    const topic = await freshTopic("dest-kafka-keyfrom")
    const d = delivery(decodeConfig({ topic, key_from: "/customer/id" }), { payload: { customer: {} } })
    const error = errorOf(await withKafka((destination) => Effect.runPromiseExit(destination.send(d))))
    expect([error.reason, error.retryable]).toEqual(["invalid_payload", false])
    expect(await allRecords(topic)).toEqual([])
  })

  it("a topic that does not exist is misconfigured, not retryable, and answered promptly", async () => {
    const d = delivery(decodeConfig({ topic: uniqueName("dest-kafka-missing") }))
    const started = Date.now()
    const error = errorOf(await withKafka((destination) => Effect.runPromiseExit(destination.send(d))))
    expect([error.reason, error.retryable]).toEqual(["misconfigured", false])
    expect(error.message).toContain("UNKNOWN_TOPIC_OR_PARTITION")
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it("32 concurrent deliveries share requests and each lands exactly once", async () => {
    const topic = await freshTopic("dest-kafka-batch")
    const config = decodeConfig({ topic })
    const sends = Array.from({ length: 32 }, () => delivery(config))
    await withKafka((destination) =>
      Effect.runPromise(Effect.forEach(sends, (d) => destination.send(d), { concurrency: 32, discard: true }))
    )
    const records = await allRecords(topic)
    expect(records.map((r) => header(r, EVENT_ID_HEADER)).sort()).toEqual(sends.map((d) => d.eventId).sort())
  })
})

/** Raw values (Buffers) of every record on the topic. */
const consumeRaw = async (topic: string): Promise<Array<Buffer>> => {
  const consumer = kafka.consumer({ groupId: uniqueName("raw"), maxWaitTimeInMs: 250 })
  const values: Array<Buffer> = []
  const offsets = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic))
  const count = offsets.reduce((sum, p) => sum + Number(p.high), 0)
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value !== null) values.push(message.value)
      }
    })
    await waitFor(() => values.length >= count, { description: `${count} raw records from ${topic}` })
    return values
  } finally {
    await consumer.disconnect()
  }
}
