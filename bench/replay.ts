/**
 * Replay throughput: fills a DLQ topic with dead letters built by the processor's own record
 * builders (~400-byte payloads), then runs `hookstream replay --name …` (the real command,
 * unthrottled) and reports records/s as the command measured it (read, decide, publish in
 * transactions with the position).
 *
 *   node bench/replay.ts [dead letters] [batch size]   (KAFKA_BROKERS=… to reuse a broker; else a bench-profile broker)
 */
import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { Effect } from "effect"
import { Partitioners } from "kafkajs"
import { makeKafka } from "../src/kafka/kafkaClient.ts"
import { startLocalKafka } from "../src/kafka/local/startLocalKafka.ts"
import { ensureTopics } from "../src/kafka/topics.ts"
import { deadLetter, deadLetterOutput, resultRecord } from "../src/outcomes/records.ts"

const count = Number(process.argv[2] ?? 50_000)
const batchSize = process.argv[3] ?? "500"
const broker = await startLocalKafka({ profile: "bench" })
try {
  const kafka = makeKafka({ brokers: broker.brokers.split(","), clientId: "bench-replay" })
  const run = `bench-replay-${Date.now()}`
  const topics = { input: `${run}.in`, dlq: `${run}.dlq` }
  await Effect.runPromise(
    ensureTopics(kafka, [
      { topic: topics.input, partitions: 6 },
      { topic: topics.dlq, partitions: 1 }
    ])
  )
  const payload = { order_id: 0, customer: { id: "c", name: "n".repeat(200) }, items: [{ sku: "s", qty: 1 }] }
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  for (let i = 0; i < count; i += 500) {
    await producer.send({
      topic: topics.dlq,
      acks: -1,
      messages: Array.from({ length: Math.min(500, count - i) }, (_, j) => {
        const seq = i + j
        const meta = {
          source: { topic: topics.input, partition: seq % 6, offset: String(seq) },
          key: Buffer.from(`k${seq % 10_000}`),
          replayCount: 0
        }
        const eventId = `${topics.input}-${seq % 6}-${seq}`
        const result = resultRecord(
          eventId,
          "bench",
          {
            status: "partial",
            startedAt: 0,
            finishedAt: 5,
            modules: [
              { id: "store", module: "log", status: "succeeded", attempts: 1, duration_ms: 1 },
              {
                id: "notify",
                module: "http",
                status: "failed",
                attempts: 3,
                duration_ms: 3,
                error: { tag: "DestinationError", reason: "unavailable", retryable: true, message: "HTTP 503" }
              }
            ]
          },
          meta
        )
        const record = deadLetter({
          reason: "chain_failed",
          event: { webhook_id: "bench", payload: { ...payload, order_id: seq } },
          meta,
          failedAt: Date.now(),
          result,
          eventId,
          webhookId: "bench"
        })
        const out = deadLetterOutput({ results: "r", dlq: topics.dlq }, record, meta)
        return { key: out.key, value: out.value, headers: { ...out.headers } }
      })
    })
  }
  await producer.disconnect()

  const root = join(import.meta.dirname, "..")
  const started = Date.now()
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(root, "bin", "hookstream.js"),
      "replay",
      "--dlq",
      topics.dlq,
      "--input",
      topics.input,
      "--name",
      run,
      "--batch-size",
      batchSize,
      "--json"
    ],
    { cwd: root, env: { ...process.env, KAFKA_BROKERS: broker.brokers }, maxBuffer: 64 * 1024 * 1024 }
  )
  const wall = Date.now() - started
  const summary = JSON.parse(stdout) as { published: number; elapsed_ms: number }
  const rate = Math.round((summary.published * 1000) / summary.elapsed_ms)
  process.stdout.write(
    `replayed ${summary.published} of ${count} dead letters in ${summary.elapsed_ms} ms: ${rate} records/s ` +
      `(command wall time incl. start-up ${wall} ms)\n`
  )
} finally {
  await broker.stop()
}
