/**
 * Pre-fills an input topic as fast as the client goes, streaming: each request's records are
 * built just before it is sent and dropped once it is acknowledged, with a few requests in
 * flight, so a million-event backlog never sits in this process's memory.
 */
import { type Kafka, Partitioners } from "kafkajs"
import { benchMessage } from "./benchEvent.ts"

export interface PrefillOptions {
  readonly keys: number
  readonly batch?: number
  readonly inFlight?: number
  readonly onProgress?: (sent: number) => void
}

export const prefill = async (kafka: Kafka, topic: string, count: number, options: PrefillOptions): Promise<void> => {
  const batch = options.batch ?? 1_000
  const inFlight = options.inFlight ?? 4
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  try {
    let next = 0
    let sent = 0
    const worker = async () => {
      while (next < count) {
        const from = next
        const size = Math.min(batch, count - from)
        next += size
        const now = Date.now()
        const messages = Array.from({ length: size }, (_, i) => benchMessage(from + i, now, options.keys))
        await producer.send({ topic, acks: -1, messages })
        sent += size
        options.onProgress?.(sent)
      }
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
  } finally {
    await producer.disconnect()
  }
}
