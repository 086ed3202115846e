/**
 * A processor in its own process, for tests that kill it (SIGKILL, SIGTERM) or run two
 * instances in one group. Streams are bound to a no-op sink that takes SINK_DELAY_MS, so
 * work is in flight when the signal lands. Configured by env:
 *   BROKERS, INPUT, RESULTS, DLQ, GROUP, EXACTLY_ONCE=1, INSTANCE, SINK_DELAY_MS, SHUTDOWN_MS,
 *   PRODUCER_CLIENT (kafkajs | platformatic)
 * Prints "ready" on stdout once the group assigned it partitions.
 */

import { Effect } from "effect"
import { runMain } from "../../src/cli/runMain.ts"
import { ChainEngine } from "../../src/engine/ChainEngine.ts"
import { makeKafka } from "../../src/kafka/kafkaClient.ts"
import { DEFAULT_PRODUCER_CLIENT } from "../../src/kafka/producer/ProducerDriver.ts"
import type { RunnableStream } from "../../src/processor/handleRecord.ts"
import { startProcessor } from "../../src/processor/Processor.ts"

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback
  if (v === undefined) throw new Error(`processorChild: ${name} is required`)
  return v
}

const delay = Number(env("SINK_DELAY_MS", "2"))
const engine = ChainEngine.make()
const step = (id: string, index: number) => ({
  id,
  module: "log" as const,
  index,
  timeoutMs: 30_000,
  retry: { maxAttempts: 1, initialDelayMs: 10, maxDelayMs: 100, multiplier: 2, jitter: false },
  config: {},
  guard: { key: id, maxInFlight: 10_000, maxQueued: 10_000, failureThreshold: 1_000_000, cooldownMs: 1_000 }
})
const chain = engine.bind(
  {
    webhookId: "orders",
    execution: "parallel",
    continueOnError: true,
    timeoutMs: 60_000,
    maxParallel: 2,
    modules: [step("a", 0), step("b", 1)]
  },
  () => ({ send: () => Effect.sleep(delay).pipe(Effect.as({})) })
)
const streams = new Map<string, RunnableStream>([["orders", { chain, maxPayloadBytes: 1_048_576 }]])

const program = Effect.gen(function* () {
  const kafka = makeKafka({ brokers: env("BROKERS").split(","), clientId: `child-${process.pid}` })
  const running = yield* startProcessor(kafka, streams, engine, {
    groupId: env("GROUP"),
    inputTopic: env("INPUT"),
    topics: { results: env("RESULTS"), dlq: env("DLQ") },
    maxInFlight: 1_024,
    maxInFlightPerPartition: 256,
    shutdownTimeoutMs: Number(env("SHUTDOWN_MS", "10000")),
    exactlyOnce: env("EXACTLY_ONCE", "0") === "1",
    commitIntervalMs: 200,
    instanceId: env("INSTANCE", "child"),
    producerClient: env("PRODUCER_CLIENT", DEFAULT_PRODUCER_CLIENT) === "kafkajs" ? "kafkajs" : "platformatic",
    sessionTimeoutMs: 6_000
  })
  yield* Effect.forkScoped(
    Effect.gen(function* () {
      while (!running.status().ready) yield* Effect.sleep("50 millis")
      process.stdout.write(`ready ${running.status().assigned.join(",")}\n`)
      // progress lines let tests wait on state instead of sleeping
      let last = -1
      for (;;) {
        const { inFlight } = running.status()
        if (inFlight !== last) process.stdout.write(`inflight ${inFlight}\n`)
        last = inFlight
        yield* Effect.sleep("50 millis")
      }
    })
  )
  return yield* running.failed
})

runMain(Effect.scoped(program))
