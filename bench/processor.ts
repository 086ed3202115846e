/**
 * Quick processor throughput check (the full comparative harness is `npm run bench`):
 * pre-fills the input topic, runs the real processor in this process on a 3-module no-op
 * chain, and reports events/s from the first fetch to the last durable outcome.
 *
 *   node bench/processor.ts [events] [sequential|parallel]   (KAFKA_BROKERS=… to reuse a broker)
 */
import { Effect, Exit, Scope } from "effect"
import { Partitioners } from "kafkajs"
import type { ChainPlan } from "../src/domain/ChainPlan.ts"
import { ChainEngine } from "../src/engine/ChainEngine.ts"
import { makeKafka } from "../src/kafka/kafkaClient.ts"
import { startLocalKafka } from "../src/kafka/local/startLocalKafka.ts"
import { ensureTopics } from "../src/kafka/topics.ts"
import type { RunnableStream } from "../src/processor/handleRecord.ts"
import { startProcessor } from "../src/processor/Processor.ts"

const events = Number(process.argv[2] ?? 100_000)
const execution = (process.argv[3] ?? "sequential") as "sequential" | "parallel"
const broker = await startLocalKafka({ profile: "bench" })
try {
  const kafka = makeKafka({ brokers: broker.brokers.split(","), clientId: "bench" })
  const run = `bench-${Date.now()}`
  const topics = { input: `${run}.in`, results: `${run}.results`, dlq: `${run}.dlq` }
  await Effect.runPromise(
    ensureTopics(kafka, [
      { topic: topics.input, partitions: 6 },
      { topic: topics.results, partitions: 6 },
      { topic: topics.dlq, partitions: 1 }
    ])
  )
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  const payload = { order_id: 0, customer: { id: "c", name: "n".repeat(200) }, items: [{ sku: "s", qty: 1 }] }
  for (let i = 0; i < events; i += 2_000) {
    await producer.send({
      topic: topics.input,
      acks: -1,
      messages: Array.from({ length: Math.min(2_000, events - i) }, (_, j) => ({
        key: `k${(i + j) % 10_000}`,
        value: JSON.stringify({ webhook_id: "bench", payload: { ...payload, order_id: i + j } })
      }))
    })
  }
  await producer.disconnect()

  const engine = ChainEngine.make()
  const step = (id: string, index: number) => ({
    id,
    module: "log" as const,
    index,
    timeoutMs: 5_000,
    retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: true },
    config: {},
    guard: { key: id, maxInFlight: 100_000, maxQueued: 100_000, failureThreshold: 5, cooldownMs: 30_000 }
  })
  const plan: ChainPlan = {
    webhookId: "bench",
    execution,
    continueOnError: false,
    timeoutMs: 30_000,
    maxParallel: 3,
    modules: ["a", "b", "c"].map(step)
  }
  const noop = { send: () => Effect.succeed({}) }
  const streams = new Map<string, RunnableStream>([
    ["bench", { chain: engine.bind(plan, () => noop), maxPayloadBytes: 1_048_576 }]
  ])
  const scope = Effect.runSync(Scope.make())
  const started = performance.now()
  const cpu0 = process.cpuUsage()
  const processor = await Effect.runPromise(
    startProcessor(kafka, streams, engine, {
      groupId: `${run}-group`,
      inputTopic: topics.input,
      topics: { results: topics.results, dlq: topics.dlq },
      maxInFlight: 1_024,
      maxInFlightPerPartition: 256,
      shutdownTimeoutMs: 10_000,
      exactlyOnce: false,
      commitIntervalMs: 1_000,
      instanceId: "bench"
    }).pipe(Scope.provide(scope))
  )
  let peakRss = 0
  while (processor.status().processed < events) {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
    await new Promise((r) => setTimeout(r, 50))
  }
  const seconds = (performance.now() - started) / 1_000
  const cpu = process.cpuUsage(cpu0)
  await Effect.runPromise(Scope.close(scope, Exit.void))
  console.log(
    JSON.stringify({
      events,
      execution,
      seconds: Number(seconds.toFixed(2)),
      events_per_s: Math.round(events / seconds),
      cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      peak_rss_mb: Math.round(peakRss / 1_048_576),
      node: process.version
    })
  )
} finally {
  await broker.stop()
}
