/**
 * Creating hookstream's topics (input, results, DLQ): idempotent, so `--create-topics` and
 * `hookstream topics create` can run on every start. Existing topics are left as they are.
 */
import { Effect } from "effect"
import type { Kafka } from "kafkajs"
import { type KafkaError, toKafkaError } from "./KafkaError.ts"

export interface TopicSpec {
  readonly topic: string
  readonly partitions: number
  readonly replicationFactor?: number
  /** topic configs, e.g. `retention.ms` */
  readonly configs?: Readonly<Record<string, string>>
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
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor ?? -1,
            configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value }))
          }))
        })
        return missing.map((s) => s.topic)
      } finally {
        await admin.disconnect()
      }
    },
    catch: (e) => toKafkaError("admin.createTopics", e)
  })
