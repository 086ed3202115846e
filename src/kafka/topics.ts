/**
 * Creating hookstream's topics (input, results, DLQ): idempotent, so `--create-topics` and
 * `hookstream topics create` can run on every start. Existing topics are left as they are.
 */
import { Effect } from "effect"
import type { Admin, ConfigResourceTypes, Kafka } from "kafkajs"
import { type KafkaError, toKafkaError } from "./KafkaError.ts"

export interface TopicSpec {
  readonly topic: string
  readonly partitions: number
  readonly replicationFactor?: number
  /** topic configs, e.g. `retention.ms` */
  readonly configs?: Readonly<Record<string, string>>
}

const TOPIC_WAIT_MS = 30_000

const waitForTopics = async (admin: Admin, topics: ReadonlyArray<string>): Promise<void> => {
  const deadline = Date.now() + TOPIC_WAIT_MS
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] })
      if (found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return
    } catch (error) {
      if (Date.now() > deadline) throw error
    }
    if (Date.now() > deadline) throw new Error(`topics not ready within ${TOPIC_WAIT_MS} ms: ${topics.join(", ")}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Creates the topics that do not exist yet; returns the names it created. */
export const ensureTopics = (
  kafka: Kafka,
  specs: ReadonlyArray<TopicSpec>
): Effect.Effect<ReadonlyArray<string>, KafkaError> =>
  Effect.tryPromise({
    try: async () => {
      const admin = kafka.admin()
      await admin.connect()
      try {
        const existing = new Set(await admin.listTopics())
        const missing = specs.filter((s) => !existing.has(s.topic))
        if (missing.length === 0) return []
        const created = await admin
          .createTopics({
            waitForLeaders: true,
            topics: missing.map((s) => ({
              topic: s.topic,
              numPartitions: s.partitions,
              replicationFactor: s.replicationFactor ?? -1,
              configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value }))
            }))
          })
          .catch(async (error: unknown) => {
            // KafkaJS waits out LEADER_NOT_AVAILABLE only; a KRaft broker may answer a topic it has
            // just created with UNKNOWN_TOPIC_OR_PARTITION until its metadata catches up
            if ((error as { type?: unknown }).type !== "UNKNOWN_TOPIC_OR_PARTITION") throw error
            await waitForTopics(
              admin,
              missing.map((s) => s.topic)
            )
            return true
          })
        return created ? missing.map((s) => s.topic) : []
      } finally {
        await admin.disconnect()
      }
    },
    catch: (e) => toKafkaError("admin.createTopics", e)
  })

export interface HookstreamTopicsOptions {
  readonly input: string
  readonly results: string
  readonly dlq: string
  /** the deferred topic (absent: not created) */
  readonly deferred?: string
  /** partitions of the input and results topics */
  readonly partitions: number
  /** partitions of the DLQ topic (default: `partitions`) */
  readonly dlqPartitions?: number
  /** partitions of the deferred topic */
  readonly deferredPartitions?: number
  readonly replicationFactor?: number
  /** `retention.ms` per topic; -1 keeps records forever; absent: the broker's default */
  readonly inputRetentionMs?: number
  readonly resultsRetentionMs?: number
  readonly dlqRetentionMs?: number
}

const retention = (ms: number | undefined): Readonly<Record<string, string>> =>
  ms === undefined ? {} : { "retention.ms": String(ms) }

/** The input, results and DLQ topics as `ensureTopics` takes them. */
export const hookstreamTopicSpecs = (options: HookstreamTopicsOptions): ReadonlyArray<TopicSpec> => {
  const rf = options.replicationFactor === undefined ? {} : { replicationFactor: options.replicationFactor }
  return [
    { topic: options.input, partitions: options.partitions, ...rf, configs: retention(options.inputRetentionMs) },
    { topic: options.results, partitions: options.partitions, ...rf, configs: retention(options.resultsRetentionMs) },
    {
      topic: options.dlq,
      partitions: options.dlqPartitions ?? options.partitions,
      ...rf,
      configs: retention(options.dlqRetentionMs)
    },
    ...(options.deferred === undefined
      ? []
      : [{ topic: options.deferred, partitions: options.deferredPartitions ?? options.partitions, ...rf }])
  ]
}

/** Partition counts of the topics that exist, among `topics`. */
export const topicPartitions = (
  kafka: Kafka,
  topics: ReadonlyArray<string>
): Effect.Effect<ReadonlyMap<string, number>, KafkaError> =>
  Effect.tryPromise({
    try: async () => {
      const admin = kafka.admin()
      await admin.connect()
      try {
        const existing = new Set(await admin.listTopics())
        const wanted = topics.filter((t) => existing.has(t))
        if (wanted.length === 0) return new Map<string, number>()
        const metadata = await admin.fetchTopicMetadata({ topics: wanted })
        return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]))
      } finally {
        await admin.disconnect()
      }
    },
    catch: (e) => toKafkaError("admin.fetchTopicMetadata", e)
  })

/** `ConfigResourceTypes.TOPIC`: KafkaJS's enum is not a named export Node's ESM loader finds */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes

/**
 * The smallest record limit (`max.message.bytes`, the broker's `message.max.bytes` unless the
 * topic overrides it) among `topics`; `fallback` when the broker will not say (no
 * DescribeConfigs permission, an old broker) or a topic does not exist yet.
 */
export const recordLimit = (kafka: Kafka, topics: ReadonlyArray<string>, fallback: number): Effect.Effect<number> =>
  Effect.tryPromise(async () => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({
          type: TOPIC_RESOURCE,
          name,
          configNames: ["max.message.bytes"]
        }))
      })
      const limits = described.resources.flatMap((r) =>
        r.configEntries.filter((e) => e.configName === "max.message.bytes").map((e) => Number(e.configValue))
      )
      return limits.length === topics.length && limits.every((n) => Number.isInteger(n) && n > 0)
        ? Math.min(...limits)
        : fallback
    } finally {
      await admin.disconnect()
    }
  }).pipe(Effect.orElseSucceed(() => fallback))
