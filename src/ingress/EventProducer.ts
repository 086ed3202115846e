/**
 * The ingress producer: idempotent, acks=all, one produce request at a time (what KafkaJS's
 * idempotence needs), with natural batching: records that arrive while a request is with the
 * broker go together in the next one, so latency is one round trip at low load and batches
 * grow by themselves under load.
 *
 * Each `produce` waits for its record's acknowledgement at most `timeoutMs`. KafkaJS sends
 * cannot be aborted, so a timeout ends the wait, not the send:
 *  - a record still queued here is withdrawn: it is never sent (`handedOver: false`);
 *  - a record already handed to KafkaJS keeps being retried by it and may still be written
 *    after the caller answered 503 (`handedOver: true`). The sender's retry then produces it
 *    again: a duplicate with the same event id when the provider sent a delivery id. A 202
 *    is only ever answered after the broker acknowledged, so an accepted event is never lost.
 */
import { Deferred, Effect, Exit, Queue, Schedule, Schema, type Scope } from "effect"
import { CompressionTypes, type Kafka, Partitioners, type Producer } from "kafkajs"
import { toKafkaError } from "../kafka/KafkaError.ts"
import type { IngressRecord } from "./envelope.ts"

export class ProduceFailed extends Schema.TaggedError<ProduceFailed>()("ProduceFailed", {
  reason: Schema.Literals(["not_connected", "closing", "timeout", "failed", "too_large"]),
  /** the record reached KafkaJS: it may still be written */
  handedOver: Schema.Boolean,
  message: Schema.String
}) {}

export interface ProducerStatus {
  readonly connected: boolean
  readonly closing: boolean
  /** a produce request has been with the broker for longer than the produce timeout */
  readonly stalled: boolean
  /** records waiting to be sent */
  readonly queued: number
  /** records in the request with the broker */
  readonly sending: number
}

export interface EventProducer {
  /**
   * Resolves once Kafka acknowledged the record (acks=all); fails with `ProduceFailed`.
   * `onSettled` runs exactly once, when the record is acknowledged, failed, or withdrawn;
   * for a record handed over and then timed out that is after the failure is returned.
   */
  readonly produce: (record: IngressRecord, onSettled?: () => void) => Effect.Effect<void, ProduceFailed>
  readonly status: () => ProducerStatus
}

export interface EventProducerOptions {
  readonly topic: string
  /** how long a caller waits for the acknowledgement */
  readonly timeoutMs: number
  /** bytes of record values per produce request; a larger record goes alone (default 512 KiB) */
  readonly maxBatchBytes?: number
  readonly maxBatchRecords?: number
}

interface Pending {
  readonly record: IngressRecord
  readonly bytes: number
  state: "queued" | "sent" | "withdrawn"
  readonly done: Deferred.Deferred<void, ProduceFailed>
  readonly onSettled: (() => void) | undefined
}

const TOO_LARGE = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"])

const errorType = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && typeof (cause as { type?: unknown }).type === "string"
    ? ((cause as { type: string }).type as string)
    : ""

export const makeEventProducer = (
  kafka: Kafka,
  options: EventProducerOptions
): Effect.Effect<EventProducer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const maxBatchBytes = options.maxBatchBytes ?? 512 * 1024
    const maxBatchRecords = options.maxBatchRecords ?? 1_000
    const producer: Producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // the idempotent producer retries by itself, for as long as it takes: a send given up
      // from outside could break its sequence numbers. Callers stop waiting at timeoutMs.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2_000 },
      createPartitioner: Partitioners.DefaultPartitioner
    })
    const queue = yield* Queue.unbounded<Pending>()
    let connected = false
    let closing = false
    let queued = 0
    let sending: ReadonlyArray<Pending> = []
    let sendingSince: number | undefined

    const settle = (p: Pending) => {
      p.onSettled?.()
    }

    yield* Effect.forkScoped(
      Effect.tryPromise({ try: () => producer.connect(), catch: (e) => toKafkaError("producer.connect", e) }).pipe(
        Effect.tapError((e) => Effect.logWarning("ingress producer cannot connect to Kafka yet; retrying", e.message)),
        Effect.retry(Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced("5 seconds")])),
        Effect.andThen(
          Effect.sync(() => {
            connected = true
          })
        ),
        // a missing topic is retried forever like any other produce error: say so once, plainly
        Effect.andThen(
          Effect.tryPromise(async () => {
            const admin = kafka.admin()
            await admin.connect()
            try {
              return (await admin.listTopics()).includes(options.topic)
            } finally {
              await admin.disconnect()
            }
          }).pipe(
            Effect.flatMap((exists) =>
              exists
                ? Effect.void
                : Effect.logError(
                    `ingress: topic '${options.topic}' does not exist; requests answer 503 until it is created (hookstream run --create-topics creates it)`
                  )
            ),
            Effect.ignore
          )
        )
      )
    )

    const sendBatch = (batch: ReadonlyArray<Pending>) =>
      Effect.gen(function* () {
        sending = batch
        sendingSince = Date.now()
        const exit = yield* Effect.exit(
          Effect.tryPromise({
            try: () =>
              producer.send({
                topic: options.topic,
                acks: -1,
                compression: CompressionTypes.None,
                messages: batch.map((p) => ({
                  key: p.record.key,
                  value: p.record.value,
                  headers: { ...p.record.headers }
                }))
              }),
            catch: (cause) => cause
          })
        )
        sending = []
        sendingSince = undefined
        if (Exit.isFailure(exit)) {
          const cause = exit.cause.reasons.find((r) => r._tag === "Fail")
          const error = toKafkaError("producer.send", cause?._tag === "Fail" ? cause.error : exit.cause)
          yield* Effect.logWarning("ingress produce failed", error.message)
          const tooLarge =
            batch.length === 1 && TOO_LARGE.has(errorType(cause?._tag === "Fail" ? cause.error : undefined))
          const failure = new ProduceFailed({
            reason: tooLarge ? "too_large" : "failed",
            handedOver: true,
            message: error.message
          })
          for (const p of batch) Deferred.doneUnsafe(p.done, Effect.fail(failure))
        } else {
          for (const p of batch) Deferred.doneUnsafe(p.done, Effect.void)
        }
        for (const p of batch) settle(p)
      })

    yield* Effect.forkScoped(
      Effect.gen(function* () {
        for (;;) {
          const taken = yield* Queue.takeAll(queue)
          let batch: Array<Pending> = []
          let bytes = 0
          for (const p of taken) {
            queued--
            if (batch.length > 0 && (bytes + p.bytes > maxBatchBytes || batch.length >= maxBatchRecords)) {
              yield* sendBatch(batch)
              batch = []
              bytes = 0
            }
            // checked after any send above: a caller may have withdrawn it meanwhile
            if (p.state !== "queued") continue
            p.state = "sent"
            batch.push(p)
            bytes += p.bytes
          }
          if (batch.length > 0) yield* sendBatch(batch)
        }
      })
    )

    // Runs before the sender is interrupted (finalizers run last-added first): stop taking
    // records, give those already taken the produce timeout to settle, then disconnect.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        closing = true
        const deadline = Date.now() + options.timeoutMs
        while ((queued > 0 || sending.length > 0) && Date.now() < deadline) yield* Effect.sleep("20 millis")
        yield* Effect.promise(() => producer.disconnect().catch(() => undefined))
      })
    )

    const fail = (reason: ProduceFailed["reason"], handedOver: boolean, message: string) =>
      Effect.fail(new ProduceFailed({ reason, handedOver, message }))

    const produce = (record: IngressRecord, onSettled?: () => void): Effect.Effect<void, ProduceFailed> =>
      Effect.suspend(() => {
        if (closing) return fail("closing", false, "the ingress is shutting down")
        if (!connected) return fail("not_connected", false, "not connected to Kafka yet")
        const p: Pending = {
          record,
          bytes: Buffer.byteLength(record.value) + (record.key === null ? 0 : Buffer.byteLength(record.key)),
          state: "queued",
          done: Deferred.makeUnsafe<void, ProduceFailed>(),
          onSettled
        }
        queued++
        Queue.offerUnsafe(queue, p)
        return Deferred.await(p.done).pipe(
          Effect.timeoutOption(options.timeoutMs),
          Effect.flatMap((acked) => {
            if (acked._tag === "Some" || Deferred.isDoneUnsafe(p.done)) return Deferred.await(p.done)
            if (p.state === "queued") {
              p.state = "withdrawn"
              settle(p)
              return fail("timeout", false, `not sent within ${options.timeoutMs} ms`)
            }
            return fail("timeout", true, `not acknowledged within ${options.timeoutMs} ms`)
          })
        )
      })

    const status = (): ProducerStatus => ({
      connected,
      closing,
      stalled: sendingSince !== undefined && Date.now() - sendingSince > options.timeoutMs,
      queued,
      sending: sending.length
    })

    return { produce, status }
  })
