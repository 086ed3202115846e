/**
 * Natural batching for one producer: while a produce request is with the broker, new records
 * wait; when it is acknowledged, everything waiting goes in the next request (at most
 * `maxBatch` records). No linger timer: one round trip at low load, bigger batches under load.
 * The idempotent producer allows one request in flight per broker anyway; batching is what
 * lets 32 concurrent deliveries share a round trip instead of queueing 32 of them. The loop is
 * the kit's (kafka/producer/batching.ts); what is the destination's own is below.
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
import { Effect, type Scope } from "effect"
import { type DestinationError, destinationError } from "../../domain/DestinationError.ts"
import { makeBatcher } from "../../kafka/producer/batching.ts"
import type { ProducerRecord, RecordPosition } from "../../kafka/producer/ProducerDriver.ts"
import type { Receipt } from "../Destination.ts"
import { kafkaDestinationError } from "./kafkaDestinationError.ts"

export interface ProduceQueueDeps {
  /** connects (once, memoised); rejects when the brokers cannot be reached */
  readonly ready: () => Promise<void>
  /** `undefined` when the topic exists (checked once per topic), else why it cannot be used */
  readonly checkTopic: (topic: string) => Promise<DestinationError | undefined>
  /** one produce request (the kit's driver), the client's error as it comes */
  readonly send: (records: ReadonlyArray<ProducerRecord>) => Promise<ReadonlyArray<RecordPosition>>
  readonly maxBatch?: number
}

export interface ProduceQueue {
  readonly produce: (record: ProducerRecord) => Effect.Effect<Receipt, DestinationError>
  /** fails whatever still waits; later produces fail at once */
  readonly close: () => void
}

interface Entry {
  readonly record: ProducerRecord
  state: "queued" | "sent" | "cancelled"
  readonly settle: (result: Effect.Effect<Receipt, DestinationError>) => void
}

/** `topic/partition@offset` when the batch held this topic's only record, else the topic. */
const detailFor = (entry: Entry, batch: ReadonlyArray<Entry>, positions: ReadonlyArray<RecordPosition>): string => {
  const topic = entry.record.topic
  const alone = batch.filter((e) => e.record.topic === topic).length === 1
  const position = positions.find((p) => p.topic === topic)
  return alone && position?.offset !== undefined ? `${topic}/${position.partition}@${position.offset}` : topic
}

const closedError = (topic: string) =>
  destinationError("unavailable", `kafka topic '${topic}': the destination is closed`)

export const makeProduceQueue = (deps: ProduceQueueDeps): Effect.Effect<ProduceQueue, never, Scope.Scope> =>
  Effect.gen(function* () {
    let closed = false

    const fail = (entry: Entry, error: DestinationError) => entry.settle(Effect.fail(error))

    const dispatch = async (batch: ReadonlyArray<Entry>): Promise<void> => {
      try {
        await deps.ready()
      } catch (error) {
        for (const entry of batch) fail(entry, kafkaDestinationError(error, entry.record.topic))
        return
      }
      const sendable: Array<Entry> = []
      const problems = new Map<string, DestinationError | undefined>()
      for (const entry of batch) {
        const topic = entry.record.topic
        if (!problems.has(topic)) problems.set(topic, await deps.checkTopic(topic))
        const problem = problems.get(topic)
        if (problem === undefined) sendable.push(entry)
        else fail(entry, problem)
      }
      if (sendable.length === 0) return
      try {
        const positions = await deps.send(sendable.map((e) => e.record))
        for (const entry of sendable) entry.settle(Effect.succeed({ detail: detailFor(entry, sendable, positions) }))
      } catch (error) {
        const first = sendable[0] as Entry
        if (sendable.length > 1 && !kafkaDestinationError(error, first.record.topic).retryable) {
          for (const entry of sendable) await dispatch([entry])
          return
        }
        for (const entry of sendable) fail(entry, kafkaDestinationError(error, entry.record.topic))
      }
    }

    const batcher = yield* makeBatcher<Entry>({
      maxRecords: deps.maxBatch ?? 500,
      take: (entry) => {
        if (entry.state !== "queued") return false
        entry.state = "sent"
        return true
      },
      send: (batch) =>
        Effect.promise(() =>
          dispatch(batch).catch((error: unknown) => {
            // a bug here must not leave deliveries waiting forever
            for (const entry of batch) fail(entry, kafkaDestinationError(error, entry.record.topic))
          })
        )
    })

    const produce = (record: ProducerRecord): Effect.Effect<Receipt, DestinationError> =>
      Effect.callback<Receipt, DestinationError>((resume) => {
        if (closed) return resume(Effect.fail(closedError(record.topic)))
        const entry: Entry = { record, state: "queued", settle: resume }
        batcher.offer(entry)
        return Effect.sync(() => {
          if (entry.state === "queued") entry.state = "cancelled"
        })
      })

    const close = () => {
      closed = true
      for (const entry of batcher.clear()) if (entry.state === "queued") fail(entry, closedError(entry.record.topic))
    }

    return { produce, close }
  })
