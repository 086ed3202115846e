/**
 * The ingress producer: transactional (so idempotent, acks=all), one transaction at a time, with
 * natural batching: records that arrive while a transaction is with the broker go together in
 * the next one, so latency is one transaction at low load and batches grow by themselves under
 * load. Consumers of the input topic read committed records only (the processor always does).
 *
 * Each `produce` waits for its record's commit at most `timeoutMs`, and a 503 is only ever
 * answered for a record that no read_committed consumer will see:
 *  - a record still queued here is withdrawn: it is never sent;
 *  - a record whose transaction is still sending gets its transaction aborted: the caller hears
 *    at once, the other callers of that transaction when the abort is done (a send cannot be
 *    recalled, but its records stay invisible);
 *  - a record whose transaction is committing is waited for past the timeout: its commit
 *    decides between 202 and 503. This wait ends when the broker answers.
 * `handedOver: true` remains only for a commit that failed without saying whether it applied.
 *
 * Why one transaction per batch is affordable: KafkaJS retries the broker's
 * CONCURRENT_TRANSACTIONS (a transaction begun while the previous one's markers are written)
 * after its retry backoff. With the default 300 ms that is ~260 ms per transaction; with 5 ms
 * ~4 ms (p50, 10 records, local broker).
 */

import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { Deferred, Effect, Exit, Queue, Schedule, Schema, type Scope } from "effect"
import { CompressionTypes, type Kafka, Partitioners, type Producer } from "kafkajs"
import { toKafkaError } from "../kafka/KafkaError.ts"
import type { IngressRecord } from "./envelope.ts"

export class ProduceFailed extends Schema.TaggedError<ProduceFailed>()("ProduceFailed", {
  reason: Schema.Literals(["not_connected", "closing", "timeout", "failed", "too_large"]),
  /** the record may still become visible (a commit whose outcome is unknown) */
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
  /** the transactional id (default: unique per producer; the ingress needs no zombie fencing) */
  readonly transactionalId?: string
}

/** A transaction's progress, shared by the records in it. */
interface Batch {
  phase: "sending" | "committing"
  /** a caller timed out while it was sending: abort it rather than commit */
  abort: boolean
}

interface Pending {
  readonly record: IngressRecord
  readonly bytes: number
  state: "queued" | "sent" | "withdrawn"
  batch: Batch | undefined
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
    const transactionalId =
      options.transactionalId ?? `hookstream-ingress-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`
    const makeProducer = (): Producer =>
      kafka.producer({
        transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        // KafkaJS retries by itself, for as long as it takes: a send given up from outside could
        // break its sequence numbers. Callers stop waiting at timeoutMs. A 5 ms first retry
        // keeps back-to-back transactions at a few ms (see above); it backs off to 2 s.
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 5, maxRetryTime: 2_000 },
        createPartitioner: Partitioners.DefaultPartitioner
      })
    let producer: Producer = makeProducer()
    const queue = yield* Queue.unbounded<Pending>()
    let connected = false
    let closing = false
    let queued = 0
    let sending: ReadonlyArray<Pending> = []
    let sendingSince: number | undefined

    const settle = (p: Pending) => {
      p.onSettled?.()
    }

    const connect = Effect.suspend(() =>
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
    yield* Effect.forkScoped(connect)

    /** A transaction that could not be ended leaves KafkaJS's producer unusable: start afresh. */
    const replaceProducer = Effect.gen(function* () {
      connected = false
      const old = producer
      yield* Effect.promise(() => old.disconnect().catch(() => undefined))
      producer = makeProducer()
      yield* connect
    })

    const attempt = <A>(what: string, run: () => Promise<A>) =>
      Effect.exit(Effect.tryPromise({ try: run, catch: (cause) => cause })).pipe(
        Effect.map((exit) => {
          if (Exit.isSuccess(exit)) return { ok: true as const, value: exit.value }
          const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
          const cause = reason?._tag === "Fail" ? reason.error : exit.cause
          return { ok: false as const, cause, error: toKafkaError(what, cause) }
        })
      )

    const failAll = (batch: ReadonlyArray<Pending>, failure: ProduceFailed) => {
      for (const p of batch) Deferred.doneUnsafe(p.done, Effect.fail(failure))
    }

    /** One transaction for `batch`; when it returns, every record in it has its answer. */
    const runTransaction = (batch: ReadonlyArray<Pending>, state: Batch) =>
      Effect.gen(function* () {
        const current = producer
        const begun = yield* attempt("producer.transaction", () => current.transaction())
        if (!begun.ok) {
          yield* Effect.logWarning("ingress could not begin a transaction", begun.error.message)
          failAll(batch, new ProduceFailed({ reason: "failed", handedOver: false, message: begun.error.message }))
          return yield* replaceProducer
        }
        const txn = begun.value
        const sent = yield* attempt("producer.send", () =>
          txn.send({
            topic: options.topic,
            acks: -1,
            compression: CompressionTypes.None,
            messages: batch.map((p) => ({
              key: p.record.key,
              value: p.record.value,
              headers: { ...p.record.headers }
            }))
          })
        )
        if (!sent.ok || state.abort) {
          // nothing of this transaction will ever be visible to a read_committed consumer
          const tooLarge = !sent.ok && batch.length === 1 && TOO_LARGE.has(errorType(sent.cause))
          if (!sent.ok) yield* Effect.logWarning("ingress produce failed", sent.error.message)
          failAll(
            batch,
            new ProduceFailed({
              reason: tooLarge ? "too_large" : sent.ok ? "timeout" : "failed",
              handedOver: false,
              message: sent.ok
                ? `not acknowledged within ${options.timeoutMs} ms; its transaction was aborted`
                : sent.error.message
            })
          )
          const aborted = yield* attempt("transaction.abort", () => txn.abort())
          if (aborted.ok) return
          // the coordinator aborts it at its transaction timeout; this producer is done
          yield* Effect.logWarning("ingress could not abort a transaction", aborted.error.message)
          return yield* replaceProducer
        }
        state.phase = "committing"
        const committed = yield* attempt("transaction.commit", () => txn.commit())
        if (committed.ok) {
          for (const p of batch) Deferred.doneUnsafe(p.done, Effect.void)
          return
        }
        yield* Effect.logWarning("ingress commit failed", committed.error.message)
        failAll(batch, new ProduceFailed({ reason: "failed", handedOver: true, message: committed.error.message }))
        yield* replaceProducer
      })

    const sendBatch = (batch: ReadonlyArray<Pending>) =>
      Effect.suspend(() => {
        const state: Batch = { phase: "sending", abort: false }
        for (const p of batch) p.batch = state
        sending = batch
        sendingSince = Date.now()
        return Effect.andThen(
          runTransaction(batch, state),
          Effect.sync(() => {
            sending = []
            sendingSince = undefined
            for (const p of batch) settle(p)
          })
        )
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
          batch: undefined,
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
            if (p.batch?.phase === "sending") {
              p.batch.abort = true
              return fail(
                "timeout",
                false,
                `not acknowledged within ${options.timeoutMs} ms; its transaction is aborted`
              )
            }
            // committing: what the commit says is the answer, however long it takes
            return Deferred.await(p.done)
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
