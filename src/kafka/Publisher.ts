/**
 * At-least-once publishing of outcome records with natural batching: while one batch is
 * with the broker, new records accumulate; when it is acknowledged, everything waiting
 * goes in the next batch. No linger timer, so latency is one round trip at low load and
 * batches grow by themselves under high load.
 *
 * Nothing is ever dropped: a failed send is retried with capped backoff for as long as it
 * takes (the broker may be down for minutes). Records are sent in the order they were handed
 * over, so outcomes of one key stay in order. A caller is told of its records' ack by a
 * callback rather than by waiting: the offsets of its events stay uncommitted until then, and
 * the processor's in-flight caps pause fetching meanwhile, but the caller's next event does
 * not wait for this one's produce round trip.
 */
import { Effect, Schedule, type Scope } from "effect"
import { makeBatcher } from "./producer/batching.ts"
import type { Producer } from "./producer/Producer.ts"
import type { ProducerRecord } from "./producer/ProducerDriver.ts"

interface Pending {
  readonly records: ReadonlyArray<ProducerRecord>
  readonly onAcked: () => void
}

export interface Publisher {
  /**
   * Hands `records` over; `onAcked` runs once every one of them is acknowledged by Kafka
   * (acks=all), on the publisher's fiber: it must not throw or block. With no records it runs
   * at once.
   */
  readonly publish: (records: ReadonlyArray<ProducerRecord>, onAcked: () => void) => void
  /** counters for metrics and tests */
  readonly stats: () => { readonly sentBatches: number; readonly sentRecords: number; readonly failures: number }
}

export interface PublisherOptions {
  /** records per produce request, at most */
  readonly maxBatchRecords?: number
  readonly onSendFailure?: (error: unknown, attempt: number) => void
  /**
   * An `onAcked` threw (a bug in the caller): the batch's other callers are still told, and
   * this says so rather than the publishing fiber dying with every later ack never coming.
   */
  readonly onAckThrew?: (error: unknown) => void
}

/** 200 ms doubling, capped at 5 s, jittered, forever */
const retryForever = Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced("5 seconds")]).pipe(
  Schedule.jittered
)

export const makePublisher = (
  producer: Pick<Producer, "send">,
  options: PublisherOptions = {}
): Effect.Effect<Publisher, never, Scope.Scope> =>
  Effect.gen(function* () {
    let sentBatches = 0
    let sentRecords = 0
    let failures = 0

    const ack = (p: Pending): void => {
      try {
        p.onAcked()
      } catch (e) {
        options.onAckThrew?.(e)
      }
    }

    const sendBatch = (batch: ReadonlyArray<Pending>) => {
      const records = batch.length === 1 ? (batch[0] as Pending).records : batch.flatMap((p) => p.records)
      let attempt = 0
      return Effect.suspend(() => {
        attempt++
        return producer.send(records)
      }).pipe(
        Effect.tapError((e) =>
          Effect.sync(() => {
            failures++
            options.onSendFailure?.(e, attempt)
          }).pipe(Effect.andThen(Effect.logWarning("publishing outcomes failed; retrying", e.message)))
        ),
        Effect.retry(retryForever),
        Effect.orDie,
        Effect.andThen(
          Effect.sync(() => {
            sentBatches++
            sentRecords += records.length
            for (const p of batch) ack(p)
          })
        )
      )
    }

    const batcher = yield* makeBatcher<Pending>({
      maxRecords: options.maxBatchRecords ?? 2_000,
      records: (p) => p.records.length,
      send: sendBatch
    })

    return {
      publish: (records, onAcked) => {
        if (records.length === 0) onAcked()
        else batcher.offer({ records, onAcked })
      },
      stats: () => ({ sentBatches, sentRecords, failures })
    }
  })
