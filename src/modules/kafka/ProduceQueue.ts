/**
 * Natural batching for one producer: while a produce request is with the broker, new records
 * wait; when it is acknowledged, everything waiting goes in the next request (at most
 * `maxBatch` records). No linger timer: one round trip at low load, bigger batches under load.
 * The idempotent producer allows one request in flight per broker anyway; batching is what
 * lets 32 concurrent deliveries share a round trip instead of queueing 32 of them.
 *
 * Interruption: a record still waiting is dropped (it never reaches Kafka). A record already
 * in a request cannot be recalled (KafkaJS has no abort): the fiber stops waiting at once,
 * and the record may still be written, so a retry of that delivery can make a duplicate
 * (consumers dedupe by the `hookstream-idempotency-key` header).
 *
 * A batch that fails for a reason that is not transient (one record too large, one topic
 * unauthorized) is split and its records sent one by one, so one bad record does not fail
 * its neighbours.
 */
import { Effect } from "effect"
import type { Message, RecordMetadata, TopicMessages } from "kafkajs"
import { type DestinationError, destinationError } from "../../domain/DestinationError.ts"
import type { Receipt } from "../Destination.ts"
import { kafkaDestinationError } from "./kafkaDestinationError.ts"

export interface ProduceQueueDeps {
  /** connects (once, memoised); rejects when the brokers cannot be reached */
  readonly ready: () => Promise<void>
  /** `undefined` when the topic exists (checked once per topic), else why it cannot be used */
  readonly checkTopic: (topic: string) => Promise<DestinationError | undefined>
  readonly sendBatch: (topicMessages: Array<TopicMessages>) => Promise<Array<RecordMetadata>>
  readonly maxBatch?: number
}

export interface ProduceQueue {
  readonly produce: (topic: string, message: Message) => Effect.Effect<Receipt, DestinationError>
  /** fails whatever still waits; later produces fail at once */
  readonly close: () => void
}

interface Entry {
  readonly topic: string
  readonly message: Message
  state: "queued" | "sent" | "cancelled"
  readonly settle: (result: Effect.Effect<Receipt, DestinationError>) => void
}

const byTopic = (entries: ReadonlyArray<Entry>): Array<TopicMessages> => {
  const topics = new Map<string, Array<Message>>()
  for (const entry of entries) {
    const messages = topics.get(entry.topic)
    if (messages === undefined) topics.set(entry.topic, [entry.message])
    else messages.push(entry.message)
  }
  return Array.from(topics, ([topic, messages]) => ({ topic, messages }))
}

/** `topic/partition@offset` when the batch held this topic's only record, else the topic. */
const detailFor = (entry: Entry, batch: ReadonlyArray<Entry>, metadata: ReadonlyArray<RecordMetadata>): string => {
  const alone = batch.filter((e) => e.topic === entry.topic).length === 1
  const meta = metadata.find((m) => m.topicName === entry.topic)
  return alone && meta?.baseOffset !== undefined ? `${entry.topic}/${meta.partition}@${meta.baseOffset}` : entry.topic
}

export const makeProduceQueue = (deps: ProduceQueueDeps): ProduceQueue => {
  const maxBatch = deps.maxBatch ?? 500
  let queue: Array<Entry> = []
  let running = false
  let closed = false

  const fail = (entry: Entry, error: DestinationError) => entry.settle(Effect.fail(error))

  const dispatch = async (batch: ReadonlyArray<Entry>): Promise<void> => {
    try {
      await deps.ready()
    } catch (error) {
      for (const entry of batch) fail(entry, kafkaDestinationError(error, entry.topic))
      return
    }
    const sendable: Array<Entry> = []
    const problems = new Map<string, DestinationError | undefined>()
    for (const entry of batch) {
      if (!problems.has(entry.topic)) problems.set(entry.topic, await deps.checkTopic(entry.topic))
      const problem = problems.get(entry.topic)
      if (problem === undefined) sendable.push(entry)
      else fail(entry, problem)
    }
    if (sendable.length === 0) return
    try {
      const metadata = await deps.sendBatch(byTopic(sendable))
      for (const entry of sendable) entry.settle(Effect.succeed({ detail: detailFor(entry, sendable, metadata) }))
    } catch (error) {
      const first = sendable[0] as Entry
      if (sendable.length > 1 && !kafkaDestinationError(error, first.topic).retryable) {
        for (const entry of sendable) await dispatch([entry])
        return
      }
      for (const entry of sendable) fail(entry, kafkaDestinationError(error, entry.topic))
    }
  }

  const take = (): Array<Entry> => {
    const batch: Array<Entry> = []
    let i = 0
    for (; i < queue.length && batch.length < maxBatch; i++) {
      const entry = queue[i] as Entry
      if (entry.state !== "queued") continue
      entry.state = "sent"
      batch.push(entry)
    }
    queue = queue.slice(i)
    return batch
  }

  const pump = async (): Promise<void> => {
    if (running) return
    running = true
    try {
      for (let batch = take(); batch.length > 0 && !closed; batch = take()) {
        await dispatch(batch).catch((error: unknown) => {
          // a bug here must not leave deliveries waiting forever
          for (const entry of batch) fail(entry, kafkaDestinationError(error, entry.topic))
        })
      }
    } finally {
      running = false
    }
  }

  const produce = (topic: string, message: Message): Effect.Effect<Receipt, DestinationError> =>
    Effect.callback<Receipt, DestinationError>((resume) => {
      if (closed) {
        resume(Effect.fail(destinationError("unavailable", `kafka topic '${topic}': the destination is closed`)))
        return
      }
      const entry: Entry = { topic, message, state: "queued", settle: resume }
      queue.push(entry)
      void pump()
      return Effect.sync(() => {
        if (entry.state === "queued") entry.state = "cancelled"
      })
    })

  const close = () => {
    closed = true
    for (const entry of queue)
      if (entry.state === "queued")
        fail(entry, destinationError("unavailable", `kafka topic '${entry.topic}': the destination is closed`))
    queue = []
  }

  return { produce, close }
}
