/**
 * Scenario children `raw_pipe` and `raw_pipe_results`: the KafkaJS client's ceiling on this
 * machine. A plain consumer that, for every fetched batch, produces one record per input
 * record in one request (acks=all), then resolves the batch; offsets are auto-committed. No
 * parsing, no chain. The input's headers are passed through, so the harness measures latency
 * the same way as for hookstream (x-correlation-id carries the produce time).
 *
 * `raw_pipe` writes a small record (~60 bytes, the input's one header). `raw_pipe_results`
 * writes what hookstream writes for a 3-module chain: a result record of the same size and
 * the same six headers (built once with hookstream's own record builders, so the shape
 * cannot drift). It is the client's ceiling for hookstream's output, which separates what
 * the result contract costs on KafkaJS from what hookstream's own work costs.
 * `raw_pipe_results_lean` writes the same value with only the input's one header: the
 * difference is what the five hookstream-* and traceparent headers cost the client.
 * `raw_pipe_results_platformatic` writes the results through @platformatic/kafka, with the
 * producer settings hookstream runs it with (kafka/producer/platformaticDriver.ts: idempotent,
 * acks=all, Java's partitioner); the consumer stays KafkaJS's, as in hookstream.
 */
import { Kafka, logLevel, type Message, Partitioners } from "kafkajs"
import * as H from "../../../src/domain/KafkaHeaders.ts"
import type { ModuleOutcome } from "../../../src/domain/Outcome.ts"
import { platformaticDriver } from "../../../src/kafka/producer/platformaticDriver.ts"
import { resultOutput, resultRecord } from "../../../src/outcomes/records.ts"
import { childReporter, childSettings } from "../childProtocol.ts"

const settings = childSettings()
const kafka = new Kafka({ clientId: "bench-raw", brokers: [...settings.brokers], logLevel: logLevel.ERROR })
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
const platformatic =
  settings.producerClient === "platformatic"
    ? platformaticDriver({ brokers: settings.brokers, clientId: "bench-raw-platformatic" })
    : undefined
const consumer = kafka.consumer({ groupId: settings.group, maxBytesPerPartition: 1_048_576 })
let processed = 0
const CHUNK = settings.records === undefined || settings.records === "small" ? Number.MAX_SAFE_INTEGER : 1_000

/** a result record of a succeeded 3-module no-op chain, as hookstream writes it */
const resultTemplate = () => {
  const now = Date.now()
  const modules: ReadonlyArray<ModuleOutcome> = ["a", "b", "c"].map((id) => ({
    id,
    module: "log",
    status: "succeeded",
    attempts: 1,
    duration_ms: 0
  }))
  const meta = {
    source: { topic: settings.input, partition: 0, offset: "123456" },
    key: null,
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
    correlationId: String(now),
    replayCount: 0
  }
  const eventId = "evt_0123456789abcdef0123456789abcdef"
  const result = resultRecord(eventId, "bench", { status: "succeeded", modules, startedAt: now, finishedAt: now }, meta)
  return resultOutput({ results: settings.output, dlq: settings.dlq }, result, meta)
}
const template = settings.records === "results" || settings.records === "results_lean" ? resultTemplate() : undefined
const lean = settings.records === "results_lean"

const reporter = childReporter(settings, () => processed)

await (platformatic ?? producer).connect()
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
    const messages: Array<Message> =
      template === undefined
        ? batch.messages.map((m) => ({
            key: m.key,
            value: `{"partition":${batch.partition},"offset":${m.offset},"status":"succeeded"}`,
            headers: m.headers ?? {}
          }))
        : batch.messages.map((m) => ({
            key: m.key,
            value: template.value,
            headers: lean
              ? { [H.CORRELATION_ID]: m.headers?.[H.CORRELATION_ID] ?? "" }
              : {
                  ...template.headers,
                  [H.SOURCE_PARTITION]: String(batch.partition),
                  [H.SOURCE_OFFSET]: m.offset,
                  [H.CORRELATION_ID]: m.headers?.[H.CORRELATION_ID] ?? ""
                }
          }))
    // results are ~2x the input's size: a whole fetch of them can pass the broker's 1 MB request
    // limit, so they go in chunks (one after another measured faster here than all at once)
    for (let at = 0; at < messages.length; at += CHUNK) {
      const chunk = messages.slice(at, at + CHUNK)
      if (platformatic === undefined) await producer.send({ topic: settings.output, acks: -1, messages: chunk })
      else
        await platformatic.send(
          chunk.map((m) => ({
            topic: settings.output,
            key: m.key ?? null,
            value: m.value as string,
            headers: m.headers as Record<string, string>
          }))
        )
    }
    resolveOffset(batch.lastOffset())
    processed += messages.length
  }
})
