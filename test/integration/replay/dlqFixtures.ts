/**
 * Dead letters for replay tests, built with the processor's own record builders so they are
 * exactly what the processor writes, and produced straight to a DLQ topic.
 */
import { type Kafka, Partitioners } from "kafkajs"
import type { DlqReason } from "../../../src/domain/DeadLetterRecord.ts"
import * as H from "../../../src/domain/KafkaHeaders.ts"
import type { ModuleOutcome } from "../../../src/domain/Outcome.ts"
import { deadLetter, deadLetterOutput, type RecordMeta, resultRecord } from "../../../src/outcomes/records.ts"
import { createTopics, uniqueName } from "../../support/kafka.ts"

export interface Letter {
  readonly webhook: string
  readonly reason: DlqReason
  readonly key: string
  /** module ids that failed (chain_failed / timed_out) */
  readonly failed?: ReadonlyArray<string>
  readonly succeeded?: ReadonlyArray<string>
  readonly replayCount?: number
  readonly failedAt: number
  /** the envelope's own id; absent: derived from the source coordinates */
  readonly id?: string
  readonly seq: number
  /** the record's broker timestamp (CreateTime), epoch ms; absent: when it is produced */
  readonly storedAt?: number
}

export const letterRecord = (letter: Letter, inputTopic: string) => {
  const meta: RecordMeta = {
    source: { topic: inputTopic, partition: 0, offset: String(1000 + letter.seq) },
    key: Buffer.from(letter.key),
    replayCount: letter.replayCount ?? 0,
    traceparent: `00-${String(letter.seq).padStart(32, "0")}-${"1".repeat(16)}-01`,
    correlationId: `corr-${letter.seq}`
  }
  const event = {
    webhook_id: letter.webhook,
    payload: { seq: letter.seq },
    ...(letter.id === undefined ? {} : { id: letter.id })
  }
  const eventId = letter.id ?? `${inputTopic}-0-${1000 + letter.seq}`
  const modules: Array<ModuleOutcome> = [
    ...(letter.succeeded ?? []).map((id) => ({
      id,
      module: "log",
      status: "succeeded" as const,
      attempts: 1,
      duration_ms: 1
    })),
    ...(letter.failed ?? []).map((id) => ({
      id,
      module: "log",
      status: "failed" as const,
      attempts: 1,
      duration_ms: 1,
      error: { tag: "DestinationError", reason: "unreachable", retryable: true, message: "down" }
    }))
  ]
  const chain = letter.reason === "chain_failed" || letter.reason === "timed_out"
  const result = chain
    ? resultRecord(
        eventId,
        letter.webhook,
        { status: "partial", modules, startedAt: letter.failedAt - 5, finishedAt: letter.failedAt },
        meta
      )
    : undefined
  const record = deadLetter({
    reason: letter.reason,
    event,
    meta,
    failedAt: letter.failedAt,
    ...(result === undefined
      ? { error: { tag: "InvalidEvent", reason: letter.reason, retryable: false, message: "refused" } }
      : { result }),
    eventId,
    webhookId: letter.webhook
  })
  return deadLetterOutput({ results: "unused", dlq: "unused" }, record, meta)
}

/** Produces the letters to `dlqTopic`, in order, keyed like the processor keys them. */
export const produceLetters = async (
  kafka: Kafka,
  dlqTopic: string,
  inputTopic: string,
  letters: ReadonlyArray<Letter>
): Promise<void> => {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true })
  await producer.connect()
  try {
    for (let i = 0; i < letters.length; i += 500) {
      await producer.send({
        topic: dlqTopic,
        acks: -1,
        messages: letters.slice(i, i + 500).map((l) => {
          const r = letterRecord(l, inputTopic)
          return {
            key: r.key,
            value: r.value,
            headers: { ...r.headers },
            ...(l.storedAt === undefined ? {} : { timestamp: String(l.storedAt) })
          }
        })
      })
    }
  } finally {
    await producer.disconnect()
  }
}

/** A fresh input topic and a DLQ topic of `dlqPartitions` partitions. */
export const freshDlqTopics = async (kafka: Kafka, dlqPartitions: number) => {
  const base = uniqueName("dlq")
  const topics = { input: `${base}.in`, dlq: `${base}.dlq` }
  await createTopics(kafka, [
    { topic: topics.input, numPartitions: 2 },
    { topic: topics.dlq, numPartitions: dlqPartitions }
  ])
  return topics
}

export const header = (headers: Record<string, unknown>, name: string): string | undefined => {
  const v = headers[name]
  return v === undefined ? undefined : String(v)
}

export { H }
