/**
 * A replay's publications, in Kafka transactions of at most `maxBatchRecords` records /
 * `maxBatchMs`; a named replay's transactions carry its position too (see ReplayPosition.ts).
 */
import { randomUUID } from "node:crypto"
import { Clock, Effect, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { DEFAULT_PRODUCER_CLIENT, type ProducerRecord } from "../kafka/producer/ProducerDriver.ts"
import {
  makeTransactionalProducer,
  type OpenTransaction,
  type TransactionalProducer,
  transactionClient
} from "../kafka/producer/TransactionalProducer.ts"
import { makeRateLimiter } from "./RateLimiter.ts"
import type { ReplayOptions } from "./ReplayOptions.ts"
import { positionOffsets, type ReplayPosition } from "./ReplayPosition.ts"
import type { ReplayTally } from "./ReplayTally.ts"

/** The replay's transactional producer, connected, with any predecessor of the same name fenced. */
export const openReplayProducer = Effect.fnUntraced(function* (
  kafka: Kafka,
  options: ReplayOptions,
  groupId: string | undefined
): Effect.fn.Return<TransactionalProducer, KafkaError, Scope.Scope> {
  const publisher = yield* makeTransactionalProducer(kafka, {
    client: transactionClient(options.producerClient ?? DEFAULT_PRODUCER_CLIENT, groupId !== undefined),
    transactionalId: groupId ?? `hookstream-replay-adhoc-${randomUUID()}`
  })
  yield* publisher.connect
  // fence a predecessor of the same name first: its open transaction (records and
  // position) is aborted before we read the position it may have been about to move
  yield* publisher.fence
  return publisher
})

export interface ReplayTransactions {
  /** into the transaction in progress (paced: sent when its turn comes; unpaced: buffered until the commit) */
  readonly publish: (message: ProducerRecord) => Effect.Effect<void, KafkaError>
  /** commits what was sent and buffered, with the position (named replays), in one transaction */
  readonly flush: Effect.Effect<void, KafkaError>
  /** flushes when the transaction is full or old enough */
  readonly flushIfDue: Effect.Effect<void, KafkaError>
  /** after a read batch: unpaced, what it buffered goes out now; paced, when due */
  readonly batchRead: Effect.Effect<void, KafkaError>
  /** aborts the transaction in progress, if any */
  readonly abortOpen: Effect.Effect<void>
}

export const makeReplayTransactions = (
  publisher: TransactionalProducer,
  options: ReplayOptions,
  groupId: string | undefined,
  position: ReplayPosition,
  tally: ReplayTally,
  startedAt: number
): ReplayTransactions => {
  const maxBatchRecords = Math.max(1, options.maxBatchRecords ?? 500)
  const maxBatchMs = options.maxBatchMs ?? 1_000
  const limiter =
    options.ratePerSecond === undefined
      ? undefined
      : makeRateLimiter({ ratePerSecond: options.ratePerSecond, now: startedAt })
  // The transaction in progress. Paced (--rate), each record is sent into it when its
  // turn comes, so records reach the broker at the pace and the transaction is open
  // while we wait; unpaced, records wait in `buffer` and go out in one send at commit.
  let txn: OpenTransaction | undefined
  let txnStartedAt = startedAt
  let sentInTxn = 0
  let buffer: Array<ProducerRecord> = []
  let lastFlushAt = startedAt

  const openTxn = Effect.gen(function* () {
    if (txn !== undefined) return txn
    const begun = yield* publisher.begin
    txn = begun
    txnStartedAt = yield* Clock.currentTimeMillis
    return begun
  })
  const flush = Effect.uninterruptible(
    Effect.gen(function* () {
      const advanced = position.moved()
      if (txn === undefined && buffer.length === 0 && (groupId === undefined || advanced.length === 0)) return
      const open = yield* openTxn
      const records = buffer
      const at = position.snapshot()
      yield* open.send(records)
      yield* open.commit(positionOffsets(groupId, options.dlqTopic, advanced))
      txn = undefined
      tally.published += sentInTxn + records.length
      sentInTxn = 0
      buffer = []
      position.committed(at)
      lastFlushAt = yield* Clock.currentTimeMillis
      yield* tally.report
    })
  )
  const flushIfDue = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const since = txn === undefined ? lastFlushAt : txnStartedAt
    if (buffer.length + sentInTxn >= maxBatchRecords || now - since >= maxBatchMs) yield* flush
  })
  // The position only ever covers records that are in the transaction being committed:
  // `publish` may commit what came before this record (never this record), and the
  // caller moves the position past the record before the next commit can happen.
  const publish = (message: ProducerRecord) =>
    Effect.gen(function* () {
      if (limiter === undefined) {
        buffer.push(message)
        return
      }
      const now = yield* Clock.currentTimeMillis
      const wait = limiter.reserve(now)
      // a transaction is not kept open across a wait that would outlast the batch time
      if (txn !== undefined && now + wait - txnStartedAt >= maxBatchMs) yield* flush
      if (wait > 0) yield* Effect.sleep(wait)
      const open = yield* openTxn
      yield* open.send([message])
      sentInTxn++
    })
  const batchRead = Effect.suspend(() => (limiter === undefined && buffer.length > 0 ? flush : flushIfDue))
  // interrupted or failed: what was sent but not committed is aborted (never seen by the
  // processor) and the position stays where the last commit put it
  const abortOpen = Effect.suspend(() => (txn === undefined ? Effect.void : txn.abort))
  return { publish, flush, flushIfDue, batchRead, abortOpen }
}
