/**
 * Produces at a fixed rate: every tick (default 5 ms) sends the records due by then in one
 * request, stamped with that tick's time, without waiting for earlier requests (at most
 * `maxInFlight` outstanding; beyond that the producer is behind and records are late, which
 * the returned `lateTicks` shows). Returns how many records it produced.
 */
import { type Kafka, Partitioners } from "kafkajs"
import { benchMessage } from "./benchEvent.ts"

export interface PacedOptions {
  readonly ratePerS: number
  readonly durationMs: number
  readonly keys: number
  readonly tickMs?: number
  readonly maxInFlight?: number
}

export interface PacedResult {
  readonly produced: number
  readonly startedAt: number
  readonly endedAt: number
  /** ticks skipped because too many requests were outstanding */
  readonly lateTicks: number
}

export const producePaced = async (kafka: Kafka, topic: string, options: PacedOptions): Promise<PacedResult> => {
  const total = Math.round((options.ratePerS * options.durationMs) / 1_000)
  const tickMs = options.tickMs ?? 5
  const maxInFlight = options.maxInFlight ?? 16
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  try {
    const startedAt = Date.now()
    let produced = 0
    let outstanding = 0
    let lateTicks = 0
    let failure: unknown
    const pending = new Set<Promise<unknown>>()
    await new Promise<void>((resolve, reject) => {
      const tick = () => {
        if (failure !== undefined) {
          clearInterval(timer)
          reject(failure)
          return
        }
        if (produced >= total) {
          clearInterval(timer)
          resolve()
          return
        }
        if (outstanding >= maxInFlight) {
          lateTicks++
          return
        }
        const now = Date.now()
        const due = Math.min(total, Math.floor(((now - startedAt) * options.ratePerS) / 1_000))
        if (due <= produced) return
        const messages = Array.from({ length: due - produced }, (_, i) => benchMessage(produced + i, now, options.keys))
        produced = due
        outstanding++
        const send = producer.send({ topic, acks: -1, messages }).then(
          () => {
            outstanding--
          },
          (error: unknown) => {
            failure = error
          }
        )
        pending.add(send)
        void send.finally(() => pending.delete(send))
      }
      const timer = setInterval(tick, tickMs)
    })
    await Promise.all(pending)
    if (failure !== undefined) throw failure
    return { produced, startedAt, endedAt: Date.now(), lateTicks }
  } finally {
    await producer.disconnect()
  }
}
