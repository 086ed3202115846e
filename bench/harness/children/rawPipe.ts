/**
 * Scenario child `raw_pipe`: the KafkaJS client's ceiling on this machine. A plain consumer
 * that, for every fetched batch, produces one small record per input record in one request
 * (acks=all), then resolves the batch; offsets are auto-committed. No parsing, no chain.
 * The input's headers are passed through, so the harness measures latency the same way as
 * for hookstream (x-correlation-id carries the produce time).
 */
import { Kafka, logLevel, type Message, Partitioners } from "kafkajs"
import { childReporter, childSettings } from "../childProtocol.ts"

const settings = childSettings()
const kafka = new Kafka({ clientId: "bench-raw", brokers: [...settings.brokers], logLevel: logLevel.ERROR })
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
const consumer = kafka.consumer({ groupId: settings.group, maxBytesPerPartition: 1_048_576 })
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
  autoCommitInterval: 1_000,
  eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
    if (!isRunning() || isStale() || batch.messages.length === 0) return
    const messages: Array<Message> = batch.messages.map((m) => ({
      key: m.key,
      value: `{"partition":${batch.partition},"offset":${m.offset},"status":"succeeded"}`,
      headers: m.headers ?? {}
    }))
    await producer.send({ topic: settings.output, acks: -1, messages })
    resolveOffset(batch.lastOffset())
    processed += messages.length
  }
})
