/**
 * Reads an outcome topic back, once the scenario is over, up to the end offsets it has now,
 * and turns every record into one end-to-end latency: the broker's append time of the
 * outcome (the topic uses LogAppendTime) minus the input's produce time (carried in
 * x-correlation-id, see benchEvent.ts). Keeps only numbers, one float per record.
 */
import type { Kafka } from "kafkajs"
import { CORRELATION_ID } from "../../src/domain/KafkaHeaders.ts"

export interface OutcomeLatencies {
  /** ms, one per outcome record that carried a produce time */
  readonly latencies: Float64Array
  /** append time of the first and last outcome, epoch ms */
  readonly firstAt: number
  readonly lastAt: number
  readonly records: number
}

export const readOutcomeLatencies = async (
  kafka: Kafka,
  topic: string,
  options: {
    readonly expected: number
    /** only events produced at or after this epoch ms get a latency (warm-up excluded) */
    readonly producedFrom?: number
    readonly idleTimeoutMs?: number
  }
): Promise<OutcomeLatencies> => {
  const admin = kafka.admin()
  await admin.connect()
  const ends = new Map<number, number>()
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(p.partition, Number(p.high))
  } finally {
    await admin.disconnect()
  }
  const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([p]) => p))
  const producedFrom = options.producedFrom ?? 0
  let latencies = new Float64Array(Math.max(1, options.expected))
  let records = 0
  let withTime = 0
  let firstAt = Number.POSITIVE_INFINITY
  let lastAt = 0
  if (remaining.size === 0) return { latencies: latencies.subarray(0, 0), firstAt: 0, lastAt: 0, records }

  const consumer = kafka.consumer({
    groupId: `bench-reader-${topic}-${Date.now()}`,
    maxBytesPerPartition: 8 * 1_048_576,
    maxBytes: 32 * 1_048_576
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const idleMs = options.idleTimeoutMs ?? 60_000
      let lastProgress = Date.now()
      const watchdog = setInterval(() => {
        if (Date.now() - lastProgress > idleMs) {
          clearInterval(watchdog)
          reject(new Error(`reading ${topic} back: no progress for ${idleMs} ms (${records} records read)`))
        }
      }, 1_000)
      consumer
        .run({
          autoCommit: false,
          partitionsConsumedConcurrently: ends.size,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              records++
              const appended = Number(m.timestamp)
              if (appended < firstAt) firstAt = appended
              if (appended > lastAt) lastAt = appended
              const raw = m.headers?.[CORRELATION_ID]
              const produced = raw === undefined ? Number.NaN : Number(String(raw))
              if (Number.isFinite(produced) && produced >= producedFrom) {
                if (withTime === latencies.length) {
                  const grown = new Float64Array(latencies.length * 2)
                  grown.set(latencies)
                  latencies = grown
                }
                latencies[withTime++] = appended - produced
              }
            }
            lastProgress = Date.now()
            const end = ends.get(batch.partition) ?? 0
            if (Number(batch.lastOffset()) >= end - 1) remaining.delete(batch.partition)
            if (remaining.size === 0) {
              clearInterval(watchdog)
              resolve()
            }
          }
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return { latencies: latencies.subarray(0, withTime), firstAt, lastAt, records }
}
