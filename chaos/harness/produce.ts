/**
 * Input records with known event ids. `produceEvents` streams `count` events (built just
 * before each request, so a large run never sits in memory) through an idempotent producer
 * (acks=all: a retried request never doubles an input record, which would read as a
 * duplicate outcome), as fast as it goes or paced at a rate. `produceRecords` writes
 * arbitrary values to chosen partitions and answers where each one landed.
 */
import type { IHeaders, Kafka, Message, RecordMetadata } from "kafkajs"
import { makePartitionedSend } from "../../src/kafka/producer/partitionedSend.ts"
import { withinDeadline } from "../../src/kafka/producer/withinDeadline.ts"

export interface ChaosEvent {
  readonly webhookId: string
  readonly id: string
  readonly payload: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export const eventMessage = (event: ChaosEvent, key: string | null, kafkaHeaders?: IHeaders): Message => ({
  key,
  value: JSON.stringify({
    webhook_id: event.webhookId,
    id: event.id,
    ...(event.headers === undefined ? {} : { headers: event.headers }),
    payload: event.payload
  }),
  ...(kafkaHeaders === undefined ? {} : { headers: kafkaHeaders })
})

export interface ProduceOptions {
  /** records per request (default 500) */
  readonly batch?: number
  /** requests in flight (default 4; 1 when paced) */
  readonly inFlight?: number
  /** events per second; default: as fast as the broker takes them */
  readonly ratePerS?: number
  readonly onProgress?: (sent: number) => void
  /** stop early (paced runs that end on an outside condition) */
  readonly stop?: () => boolean
}

/** The load's producer: KafkaJS, sending each replicated partition in a call of its own. */
interface LoadProducer {
  readonly send: (topic: string, messages: Array<Message>) => Promise<Array<RecordMetadata>>
  readonly disconnect: () => Promise<void>
}

/**
 * KafkaJS's `sendBatch` loses or repeats records of a call that spans leaders when one of them
 * moves (src/kafka/producer/partitionedSend.ts); the load goes through the same fix as
 * hookstream's own producer, so "acknowledged" here means on the topic.
 */
const makeProducer = async (kafka: Kafka): Promise<LoadProducer> => {
  const partitioned = makePartitionedSend()
  const producer = kafka.producer({
    createPartitioner: partitioned.createPartitioner,
    idempotent: true,
    maxInFlightRequests: 1
  })
  await producer.connect()
  return {
    send: (topic, messages) =>
      partitioned.send([{ topic, messages }], (topicMessages) => producer.sendBatch({ topicMessages, acks: -1 })),
    disconnect: () => producer.disconnect()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** a send of the steady load that is not acknowledged within this counts as failed */
const SEND_DEADLINE_MS = 10_000

/** Produces messages 0…count-1 from `build`; answers how many went out. */
export const produceMessages = async (
  kafka: Kafka,
  topic: string,
  count: number,
  build: (i: number) => Message,
  options: ProduceOptions = {}
): Promise<number> => {
  // one producer per worker: KafkaJS's idempotent producer breaks under concurrent sends
  // (OUT_OF_ORDER_SEQUENCE_NUMBER, or records silently lost: tulios/kafkajs#598, #1005)
  const workers = options.ratePerS === undefined ? (options.inFlight ?? 4) : (options.inFlight ?? 2)
  const producers = await Promise.all(Array.from({ length: workers }, () => makeProducer(kafka)))
  try {
    const batch = options.batch ?? 500
    let next = 0
    let sent = 0
    const started = Date.now()
    const rate = options.ratePerS
    const worker = async (producer: LoadProducer) => {
      while (next < count && !(options.stop?.() ?? false)) {
        let size = Math.min(batch, count - next)
        if (rate !== undefined) {
          // send what is due by now (at most a batch); wait a tick when nothing is
          const due = Math.min(count, Math.floor(((Date.now() - started) * rate) / 1_000))
          if (due <= next) {
            await sleep(5)
            continue
          }
          size = Math.min(size, due - next)
        }
        const from = next
        next += size
        const messages = Array.from({ length: size }, (_, j) => build(from + j))
        await producer.send(topic, messages)
        sent += size
        options.onProgress?.(sent)
      }
    }
    await Promise.all(producers.map(worker))
    return sent
  } finally {
    await Promise.all(producers.map((p) => p.disconnect()))
  }
}

export interface SteadyLoad {
  /** records built (0…built-1) */
  readonly built: number
  /** [from, to) ranges the producer said were acknowledged (acks=all) */
  readonly acked: ReadonlyArray<readonly [number, number]>
  /** sends retried on a fresh producer */
  readonly retries: number
}

/**
 * A steady load for drills that kill brokers: one producer (so a key's records reach the topic
 * in the order built), `ratePerS` records per second, until `stop()`; answers what it
 * built. KafkaJS's producer does not come through a leader's SIGKILL intact (it can be stuck
 * on OUT_OF_ORDER_SEQUENCE_NUMBER for good, lose acknowledged records, or never answer a send
 * after the leader died: see docs/reliability.md), so a send that fails or is not acknowledged
 * within SEND_DEADLINE_MS is retried on a fresh producer and the load goes on; what actually reached the topic is read back from the topic, never taken from here.
 */
export const produceSteadily = async (
  kafka: Kafka,
  topic: string,
  build: (i: number) => Message,
  options: { readonly ratePerS: number; readonly stop: () => boolean; readonly batch?: number }
): Promise<SteadyLoad> => {
  const batch = options.batch ?? 200
  let producer = await makeProducer(kafka)
  let next = 0
  let retries = 0
  const acked: Array<readonly [number, number]> = []
  const started = Date.now()
  try {
    while (!options.stop()) {
      const due = Math.floor(((Date.now() - started) * options.ratePerS) / 1_000)
      if (due <= next) {
        await sleep(5)
        continue
      }
      const from = next
      const messages = Array.from({ length: Math.min(batch, due - next) }, (_, j) => build(from + j))
      next += messages.length
      for (;;) {
        try {
          await withinDeadline(producer.send(topic, messages), SEND_DEADLINE_MS, "the load's send")
          acked.push([from, next])
          break
        } catch {
          retries++
          // given up at the end: whatever of it reached the topic is read back from there
          if (options.stop() && retries > 20) break
          await producer.disconnect().catch(() => undefined)
          await sleep(500)
          producer = await makeProducer(kafka).catch(() => producer)
        }
      }
    }
    return { built: next, acked, retries }
  } finally {
    await producer.disconnect().catch(() => undefined)
  }
}

/** `count` events with ids `<prefix>-<i>`, keyed over `keys` keys. */
export const produceEvents = (
  kafka: Kafka,
  topic: string,
  count: number,
  event: (i: number) => ChaosEvent,
  options: ProduceOptions & { readonly keys?: number } = {}
): Promise<number> => {
  const keys = options.keys ?? 97
  return produceMessages(kafka, topic, count, (i) => eventMessage(event(i), `k${i % keys}`), options)
}

export interface PlacedRecord {
  readonly value: Buffer | null
  readonly key: string | null
  readonly partition: number
}

/**
 * Writes the records in order, partition by partition as given; answers `partition:offset` of
 * each. Requests hold at most `batch` records and about 512 KiB (a record batch over the
 * broker's 1 MB limit would be refused whole), so records of up to ~1 MB go out alone.
 */
export const produceRecords = async (
  kafka: Kafka,
  topic: string,
  records: ReadonlyArray<PlacedRecord>,
  batch = 200
): Promise<ReadonlyArray<string>> => {
  const producer = await makeProducer(kafka)
  const positions: Array<string> = []
  try {
    let from = 0
    while (from < records.length) {
      let to = from
      let bytes = 0
      while (to < records.length && to - from < batch) {
        const size = (records[to]?.value?.length ?? 0) + 64
        if (to > from && bytes + size > 524_288) break
        bytes += size
        to++
      }
      const slice = records.slice(from, to)
      from = to
      const metadata = await producer.send(
        topic,
        slice.map((r) => ({ key: r.key, value: r.value, partition: r.partition }))
      )
      // an entry per partition and call (a topic's first message goes in a call of its own); the
      // calls run one after another, so a partition's records got consecutive offsets from its lowest base
      const base = new Map<number, bigint>()
      for (const m of metadata) {
        const offset = BigInt(m.baseOffset ?? "0")
        const known = base.get(m.partition)
        if (known === undefined || offset < known) base.set(m.partition, offset)
      }
      const seen = new Map<number, bigint>()
      for (const r of slice) {
        const i = seen.get(r.partition) ?? 0n
        seen.set(r.partition, i + 1n)
        positions.push(`${r.partition}:${(base.get(r.partition) ?? 0n) + i}`)
      }
    }
    return positions
  } finally {
    await producer.disconnect()
  }
}
