/**
 * Reads topics' end offsets and groups' committed offsets over one admin connection kept for
 * the life of its Scope: what the deferral machinery polls every few hundred milliseconds
 * (a connection per call would cost a TCP and SASL handshake each time).
 */
import { Effect, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import { type KafkaError, toKafkaError } from "./KafkaError.ts"

export interface OffsetsReader {
  /** every partition's end offset (the last stable offset: KafkaJS lists read_committed) */
  readonly ends: (topic: string) => Effect.Effect<ReadonlyMap<number, number>, KafkaError>
  /** the offsets `groupId` committed on `topic` (-1: none) */
  readonly committed: (groupId: string, topic: string) => Effect.Effect<ReadonlyMap<number, number>, KafkaError>
}

export const makeOffsetsReader = (kafka: Kafka): Effect.Effect<OffsetsReader, KafkaError, Scope.Scope> =>
  Effect.gen(function* () {
    const admin = kafka.admin()
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => admin.connect(), catch: (e) => toKafkaError("admin.connect", e) }),
      () => Effect.promise(() => admin.disconnect().catch(() => undefined))
    )
    return {
      ends: (topic) =>
        Effect.tryPromise({
          try: async () => {
            const offsets = await admin.fetchTopicOffsets(topic)
            return new Map(offsets.map((o) => [o.partition, Number(o.high)])) as ReadonlyMap<number, number>
          },
          catch: (e) => toKafkaError("admin.fetchTopicOffsets", e)
        }),
      committed: (groupId, topic) =>
        Effect.tryPromise({
          try: async () => {
            const result = await admin.fetchOffsets({ groupId, topics: [topic] })
            const out = new Map<number, number>()
            for (const t of result) for (const p of t.partitions) out.set(p.partition, Number(p.offset))
            return out as ReadonlyMap<number, number>
          },
          catch: (e) => toKafkaError("admin.fetchOffsets", e)
        })
    }
  })
