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
import { benchDeadLetter } from "./harness/deadLetters.ts"

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
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  for (let i = 0; i < count; i += 500) {
    await producer.send({
      topic: topics.dlq,
      acks: -1,
      messages: Array.from({ length: Math.min(500, count - i) }, (_, j) => benchDeadLetter(topics, i + j, Date.now()))
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
