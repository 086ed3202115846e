/**
 * Scenario child `naive_noop` / `slow_sink_naive`: a consumer in the style the design review
 * criticised. `eachMessage`, so each partition is processed one record at a time (partitions
 * run concurrently); per record: parse, `Promise.all` over the chain's modules, produce the
 * result record and wait for its ack, commit that record's offset. The modules are the same
 * as hookstream's in the matching scenario (three no-ops, or the real `http` destination).
 */
import { Effect, Schema, Scope } from "effect"
import { Kafka, logLevel, Partitioners } from "kafkajs"
import { idempotencyKey } from "../../../src/domain/IdempotencyKey.ts"
import type { Delivery } from "../../../src/modules/Destination.ts"
import { loadDestination } from "../../../src/modules/registry.ts"
import { childReporter, childSettings } from "../childProtocol.ts"

const httpDestination = await loadDestination("http")

const settings = childSettings()
const scope = Effect.runSync(Scope.make())

type Module = (eventId: string, payload: unknown) => Promise<unknown>
let modules: ReadonlyArray<Module>
if (settings.chain === "http") {
  const config = Schema.decodeUnknownSync(httpDestination.config)({
    url: settings.sinkUrl,
    allowed_hosts: ["127.0.0.1"]
  })
  const http = await Effect.runPromise(httpDestination.make(undefined).pipe(Scope.provide(scope)))
  modules = [
    (eventId, payload) => {
      const delivery: Delivery<typeof config> = {
        eventId,
        webhookId: "bench",
        moduleId: "notify",
        idempotencyKey: idempotencyKey("bench", eventId, "notify"),
        attempt: 1,
        payload,
        payloadEncoding: "json",
        headers: {},
        config
      }
      return Effect.runPromise(http.send(delivery))
    }
  ]
} else {
  const noop: Module = async () => ({})
  modules = [noop, noop, noop]
}

const kafka = new Kafka({ clientId: "bench-naive", brokers: [...settings.brokers], logLevel: logLevel.ERROR })
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
const consumer = kafka.consumer({ groupId: settings.group })
let processed = 0

const reporter = childReporter(settings, () => processed)

await producer.connect()
await consumer.connect()
await consumer.subscribe({ topics: [settings.input], fromBeginning: true })
consumer.on(consumer.events.GROUP_JOIN, () => reporter.ready())
consumer.on(consumer.events.CRASH, (e) => {
  if (!e.payload.restart) reporter.fail(e.payload.error)
})
await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: 64,
  eachMessage: async ({ topic, partition, message }) => {
    const event = JSON.parse(message.value?.toString("utf8") ?? "null") as { id?: string; payload?: unknown }
    const eventId = event.id ?? `${topic}-${partition}-${message.offset}`
    const startedAt = Date.now()
    const results = await Promise.all(modules.map((send) => send(eventId, event.payload)))
    await producer.send({
      topic: settings.output,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: JSON.stringify({
            event_id: eventId,
            status: "succeeded",
            modules: results.map((_, i) => ({ index: i, status: "succeeded" })),
            started_at: new Date(startedAt).toISOString(),
            finished_at: new Date().toISOString(),
            source: { topic, partition, offset: message.offset }
          }),
          headers: message.headers ?? {}
        }
      ]
    })
    await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }])
    processed++
  }
})
