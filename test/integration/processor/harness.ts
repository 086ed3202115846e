/**
 * Runs the real processor in this test process against the run's broker, with streams
 * bound to test destinations (a recording sink), and tears it down through its Scope
 * exactly as SIGTERM would.
 */
import { Effect, Exit, Scope } from "effect"
import type { Kafka } from "kafkajs"
import type { ChainPlan, GuardPolicy, RetryPolicy } from "../../../src/domain/ChainPlan.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { makeKafka } from "../../../src/kafka/kafkaClient.ts"
import type { Destination } from "../../../src/modules/Destination.ts"
import type { RunnableStream } from "../../../src/processor/handleRecord.ts"
import { type ProcessorOptions, type RunningProcessor, startProcessor } from "../../../src/processor/Processor.ts"
import { createTopics, kafkaBrokers, uniqueName } from "../../support/kafka.ts"

export interface Topics {
  readonly input: string
  readonly results: string
  readonly dlq: string
  readonly group: string
  /** the deferred topic, when the test asked for one (`runProcessor` then defers) */
  readonly deferred?: string
}

export const freshTopics = async (
  kafka: Kafka,
  partitions = 3,
  options: { readonly deferredPartitions?: number } = {}
): Promise<Topics> => {
  const base = uniqueName("proc")
  const topics = {
    input: `${base}.in`,
    results: `${base}.results`,
    dlq: `${base}.dlq`,
    group: `${base}-group`,
    ...(options.deferredPartitions === undefined ? {} : { deferred: `${base}.deferred` })
  }
  await createTopics(kafka, [
    { topic: topics.input, numPartitions: partitions },
    { topic: topics.results, numPartitions: partitions },
    { topic: topics.dlq, numPartitions: 1 },
    ...(topics.deferred === undefined
      ? []
      : [{ topic: topics.deferred, numPartitions: options.deferredPartitions ?? 1 }])
  ])
  return topics
}

export interface Running {
  readonly processor: RunningProcessor
  readonly engine: ChainEngine["Service"]
  /** shuts down as SIGTERM would (drain, commit, leave) */
  readonly stop: () => Promise<void>
}

export const runProcessor = async (
  topics: Topics,
  plans: ReadonlyArray<ChainPlan>,
  destination: Destination | ((webhookId: string) => Destination),
  overrides: Partial<ProcessorOptions> = {},
  /** per webhook id: what a stream has beyond its chain (a payload contract) */
  streamExtras: Readonly<Record<string, Pick<RunnableStream, "payloadContract">>> = {}
): Promise<Running> => {
  const engine = ChainEngine.make()
  const destinationOf = typeof destination === "function" ? destination : () => destination
  const streams = new Map<string, RunnableStream>(
    plans.map((plan) => [
      plan.webhookId,
      {
        chain: engine.bind(plan, () => destinationOf(plan.webhookId)),
        maxPayloadBytes: 1_048_576,
        ...streamExtras[plan.webhookId]
      }
    ])
  )
  const scope = Effect.runSync(Scope.make())
  const kafka = makeKafka({ brokers: kafkaBrokers().split(","), clientId: uniqueName("hookstream-test") })
  const processor = await Effect.runPromise(
    startProcessor(kafka, streams, engine, {
      groupId: topics.group,
      inputTopic: topics.input,
      topics: { results: topics.results, dlq: topics.dlq },
      maxInFlight: 1_024,
      maxInFlightPerPartition: 256,
      shutdownTimeoutMs: 10_000,
      exactlyOnce: false,
      commitIntervalMs: 200,
      instanceId: "test",
      sessionTimeoutMs: 10_000,
      ...(topics.deferred === undefined
        ? {}
        : { deferred: { topic: topics.deferred, groupId: `${topics.group}.deferred` } }),
      ...overrides
    }).pipe(Scope.provide(scope))
  )
  return { processor, engine, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** Chain plan for tests: every module uses the same destination. */
export const plan = (
  webhookId: string,
  ids: ReadonlyArray<string>,
  options: Partial<Pick<ChainPlan, "execution" | "continueOnError" | "timeoutMs">> & {
    readonly guard?: Partial<GuardPolicy>
    readonly retry?: Partial<RetryPolicy>
  } = {}
): ChainPlan => ({
  webhookId,
  execution: options.execution ?? "sequential",
  continueOnError: options.continueOnError ?? true,
  timeoutMs: options.timeoutMs ?? 10_000,
  maxParallel: ids.length,
  modules: ids.map((id, index) => ({
    id,
    module: "log",
    index,
    timeoutMs: Math.min(5_000, options.timeoutMs ?? 10_000),
    retry: { maxAttempts: 1, initialDelayMs: 10, maxDelayMs: 100, multiplier: 2, jitter: false, ...options.retry },
    config: {},
    guard: {
      key: `${webhookId}/${id}`,
      maxInFlight: 1_000,
      maxQueued: 1_000,
      failureThreshold: 1_000,
      cooldownMs: 1_000,
      ...options.guard
    }
  }))
})

export const testKafkaClient = (): Kafka => makeKafka({ brokers: kafkaBrokers().split(","), clientId: uniqueName("t") })
