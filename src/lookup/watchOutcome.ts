/**
 * Waits for the outcome of one event: `hookstream send --wait`. Watches the results AND the
 * dead-letter topic from the offsets they had before the event was sent, so nothing older
 * matches and nothing newer is missed, and answers with whichever comes: a succeeded result
 * at once; a dead letter at once (a chain's dead letter carries its result); a result that
 * did not succeed after a short wait for the dead letter that follows it. An event that
 * never ran (unknown webhook, not an event, too large) only ever gets a dead letter.
 */
import { randomUUID } from "node:crypto"
import { Effect } from "effect"
import type { Kafka } from "kafkajs"
import { type DlqEntry, decodeDlqEntry, eventIdOf, formatCoordinate } from "../dlq/DlqEntry.ts"
import { decodeHeaders } from "../kafka/InputRecord.ts"
import { type KafkaError, toKafkaError } from "../kafka/KafkaError.ts"

export interface SeenResult {
  /** the record's JSON text, as published */
  readonly value: string
  readonly status: string
  readonly coordinate: string
}

export interface SeenOutcome {
  readonly result?: SeenResult
  readonly deadLetter?: DlqEntry
}

export interface OutcomeWatch {
  /** resolves with what arrived for `eventId`; `undefined` when nothing did within `timeoutMs` */
  readonly await: (eventId: string, timeoutMs: number) => Effect.Effect<SeenOutcome | undefined, KafkaError>
}

export interface OutcomeTopics {
  readonly results: string
  readonly dlq: string
}

/** how long a result that did not succeed waits for its dead letter (published right after it) */
const DEAD_LETTER_GRACE_MS = 2_000

const endOffsets = (kafka: Kafka, topics: ReadonlyArray<string>) =>
  Effect.tryPromise({
    try: async () => {
      const admin = kafka.admin()
      await admin.connect()
      try {
        return await Promise.all(
          topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) }))
        )
      } finally {
        await admin.disconnect().catch(() => undefined)
      }
    },
    catch: (e) => toKafkaError("admin.fetchTopicOffsets", e)
  })

/** Captures where both topics end now; call before sending the event. */
export const watchOutcome = (kafka: Kafka, topics: OutcomeTopics): Effect.Effect<OutcomeWatch, KafkaError> =>
  Effect.map(endOffsets(kafka, [topics.results, topics.dlq]), (start) => ({
    await: (eventId, timeoutMs) =>
      Effect.tryPromise({
        try: () => awaitOutcome(kafka, topics, start, eventId, timeoutMs),
        catch: (e) => toKafkaError("consumer.outcome", e)
      })
  }))

const awaitOutcome = async (
  kafka: Kafka,
  topics: OutcomeTopics,
  start: ReadonlyArray<{
    readonly topic: string
    readonly offsets: ReadonlyArray<{ partition: number; offset: string }>
  }>,
  eventId: string,
  timeoutMs: number
): Promise<SeenOutcome | undefined> => {
  // the id as it appears inside the records' JSON: a cheap test before parsing anything
  const needle = Buffer.from(JSON.stringify(eventId).slice(1, -1))
  const consumer = kafka.consumer({
    groupId: `hookstream-send-${randomUUID()}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 250,
    sessionTimeout: 6_000
  })
  let result: SeenResult | undefined
  let deadLetter: DlqEntry | undefined
  let settle: () => void = () => undefined
  const settled = new Promise<void>((resolve) => {
    settle = resolve
  })
  let grace: ReturnType<typeof setTimeout> | undefined
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topics.results, topics.dlq], fromBeginning: false })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const value = message.value
        if (value === null || value.indexOf(needle) < 0) return
        if (topic === topics.dlq) {
          const entry = decodeDlqEntry({
            topic,
            partition,
            offset: message.offset,
            key: message.key ?? null,
            value,
            headers: decodeHeaders(message.headers),
            timestamp: Number(message.timestamp)
          })
          if (deadLetter === undefined && eventIdOf(entry) === eventId) {
            deadLetter = entry
            settle()
          }
          return
        }
        const text = value.toString("utf8")
        let parsed: { readonly event_id?: unknown; readonly status?: unknown }
        try {
          parsed = JSON.parse(text) as typeof parsed
        } catch {
          return // not a result record: someone else writes to this topic
        }
        if (result !== undefined || parsed.event_id !== eventId) return
        const status = String(parsed.status)
        result = { value: text, status, coordinate: formatCoordinate({ topic, partition, offset: message.offset }) }
        if (status === "succeeded") settle()
        else grace ??= setTimeout(settle, DEAD_LETTER_GRACE_MS)
      }
    })
    // KafkaJS honours seek only once run() has joined the group: move every partition back to
    // where its topic ended before the event was sent
    for (const { topic, offsets } of start)
      for (const p of offsets) consumer.seek({ topic, partition: p.partition, offset: p.offset })
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([settled, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
    clearTimeout(timer)
    clearTimeout(grace)
  } finally {
    await consumer.disconnect().catch(() => undefined)
  }
  if (result === undefined && deadLetter === undefined) return undefined
  return { ...(result === undefined ? {} : { result }), ...(deadLetter === undefined ? {} : { deadLetter }) }
}
