/**
 * Waits for the result record of one event: `hookstream send --wait` and the newcomer's
 * first look at an event going through. Reads the results topic from the offsets it had
 * before the event was sent, so nothing older matches and nothing newer is missed.
 */
import { Effect } from "effect"
import type { Kafka } from "kafkajs"
import { type KafkaError, toKafkaError } from "./KafkaError.ts"

export interface ResultWatch {
  /** resolves with the raw result value, or undefined on timeout */
  readonly await: (eventId: string, timeoutMs: number) => Effect.Effect<string | undefined, KafkaError>
}

export const watchResults = (kafka: Kafka, topic: string): Effect.Effect<ResultWatch, KafkaError> =>
  Effect.tryPromise({
    try: async () => {
      const admin = kafka.admin()
      await admin.connect()
      try {
        return await admin.fetchTopicOffsets(topic)
      } finally {
        await admin.disconnect()
      }
    },
    catch: (e) => toKafkaError("admin.fetchTopicOffsets", e)
  }).pipe(
    Effect.map((start) => ({
      await: (eventId, timeoutMs) =>
        Effect.tryPromise({
          try: async () => {
            const consumer = kafka.consumer({
              groupId: `hookstream-send-${process.pid}-${Date.now()}`,
              maxWaitTimeInMs: 250,
              sessionTimeout: 6_000
            })
            await consumer.connect()
            try {
              let found: string | undefined
              let resolve: () => void = () => undefined
              const done = new Promise<void>((r) => {
                resolve = r
              })
              await consumer.subscribe({ topics: [topic], fromBeginning: false })
              await consumer.run({
                autoCommit: false,
                eachMessage: async ({ message }) => {
                  const value = message.value?.toString("utf8")
                  if (found === undefined && value !== undefined && value.includes(eventId)) {
                    const parsed = JSON.parse(value) as { event_id?: string }
                    if (parsed.event_id === eventId) {
                      found = value
                      resolve()
                    }
                  }
                }
              })
              // KafkaJS honours seek only once run() has joined the group: move every partition back
              // to where the topic ended before the event was sent
              for (const p of start) consumer.seek({ topic, partition: p.partition, offset: p.offset })
              let timer: ReturnType<typeof setTimeout> | undefined
              await Promise.race([done, new Promise((r) => (timer = setTimeout(r, timeoutMs)))])
              clearTimeout(timer)
              return found
            } finally {
              await consumer.disconnect()
            }
          },
          catch: (e) => toKafkaError("consumer.results", e)
        })
    }))
  )
