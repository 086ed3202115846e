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
 * One transaction per batch is affordable: the kit retries the broker's CONCURRENT_TRANSACTIONS
 * (a transaction begun while the previous one's markers are written) after 5 ms
 * (kafka/producer/producerSettings.ts): ~4 ms per back-to-back transaction.
 */

import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { Deferred, Effect, Result, Schedule, Schema, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import { makeBatcher } from "../kafka/producer/batching.ts"
import { DEFAULT_PRODUCER_CLIENT, type ProducerClient } from "../kafka/producer/ProducerDriver.ts"
import { makeTransactionalProducer } from "../kafka/producer/TransactionalProducer.ts"
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
  /** default platformatic */
  readonly producerClient?: ProducerClient
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

export const makeEventProducer = (
  kafka: Kafka,
  options: EventProducerOptions
): Effect.Effect<EventProducer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const maxBatchBytes = options.maxBatchBytes ?? 512 * 1024
    const maxBatchRecords = options.maxBatchRecords ?? 1_000
    const transactionalId =
      options.transactionalId ?? `hookstream-ingress-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`
    const producer = yield* makeTransactionalProducer(kafka, {
      client: options.producerClient ?? DEFAULT_PRODUCER_CLIENT,
      transactionalId,
      maxRequestBytes: maxBatchBytes
    })
    let closing = false
    let queued = 0
    let sending: ReadonlyArray<Pending> = []
    let sendingSince: number | undefined

    const settle = (p: Pending) => {
      p.onSettled?.()
    }

    const connect = producer.connect.pipe(
      Effect.tapError((e) => Effect.logWarning("ingress producer cannot connect to Kafka yet; retrying", e.message)),
      Effect.retry(Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced("5 seconds")])),
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
    yield* Effect.forkScoped(connect)

    const failAll = (batch: ReadonlyArray<Pending>, failure: ProduceFailed) => {
      for (const p of batch) Deferred.doneUnsafe(p.done, Effect.fail(failure))
    }

    /**
     * One transaction for `batch`; when it returns, every record in it has its answer. A failed
     * send or commit is aborted by the kit (which replaces a producer it cannot end a transaction of).
     */
    const runTransaction = (batch: ReadonlyArray<Pending>, state: Batch) =>
      Effect.gen(function* () {
        const begun = yield* Effect.result(producer.begin)
        if (Result.isFailure(begun)) {
          yield* Effect.logWarning("ingress could not begin a transaction", begun.failure.message)
          return failAll(
            batch,
            new ProduceFailed({ reason: "failed", handedOver: false, message: begun.failure.message })
          )
        }
        const txn = begun.success
        const sent = yield* Effect.result(
          txn.send(
            batch.map((p) => ({
              topic: options.topic,
              key: p.record.key,
              value: p.record.value,
              headers: p.record.headers
            }))
          )
        )
        if (Result.isFailure(sent)) {
          // nothing of this transaction will ever be visible to a read_committed consumer
          yield* Effect.logWarning("ingress produce failed", sent.failure.message)
          const tooLarge = batch.length === 1 && TOO_LARGE.has(sent.failure.code)
          const reason = tooLarge ? "too_large" : "failed"
          return failAll(batch, new ProduceFailed({ reason, handedOver: false, message: sent.failure.message }))
        }
        if (state.abort) {
          failAll(
            batch,
            new ProduceFailed({
              reason: "timeout",
              handedOver: false,
              message: `not acknowledged within ${options.timeoutMs} ms; its transaction was aborted`
            })
          )
          return yield* txn.abort
        }
        state.phase = "committing"
        const committed = yield* Effect.result(txn.commit())
        if (Result.isSuccess(committed)) {
          for (const p of batch) Deferred.doneUnsafe(p.done, Effect.void)
          return
        }
        yield* Effect.logWarning("ingress commit failed", committed.failure.message)
        failAll(batch, new ProduceFailed({ reason: "failed", handedOver: true, message: committed.failure.message }))
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

    const batcher = yield* makeBatcher<Pending>({
      maxRecords: maxBatchRecords,
      maxBytes: maxBatchBytes,
      bytes: (p) => p.bytes,
      // checked as the record joins a batch: its caller may have withdrawn it meanwhile
      take: (p) => {
        queued--
        if (p.state !== "queued") return false
        p.state = "sent"
        return true
      },
      send: sendBatch
    })

    // Runs before the sender is interrupted (finalizers run last-added first): stop taking
    // records, give those already taken the produce timeout to settle; the kit disconnects.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        closing = true
        const deadline = Date.now() + options.timeoutMs
        while ((queued > 0 || sending.length > 0) && Date.now() < deadline) yield* Effect.sleep("20 millis")
      })
    )

    const fail = (reason: ProduceFailed["reason"], handedOver: boolean, message: string) =>
      Effect.fail(new ProduceFailed({ reason, handedOver, message }))

    const produce = (record: IngressRecord, onSettled?: () => void): Effect.Effect<void, ProduceFailed> =>
      Effect.suspend(() => {
        if (closing) return fail("closing", false, "the ingress is shutting down")
        if (!producer.connected()) return fail("not_connected", false, "not connected to Kafka yet")
        const p: Pending = {
          record,
          bytes: Buffer.byteLength(record.value) + (record.key === null ? 0 : Buffer.byteLength(record.key)),
          state: "queued",
          batch: undefined,
          done: Deferred.makeUnsafe<void, ProduceFailed>(),
          onSettled
        }
        queued++
        batcher.offer(p)
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
      connected: producer.connected(),
      closing,
      stalled: sendingSince !== undefined && Date.now() - sendingSince > options.timeoutMs,
      queued,
      sending: sending.length
    })

    return { produce, status }
  })
