/**
 * The one Kafka transaction protocol of hookstream (processor exactly-once, ingress, replay):
 * begin → send (in requests under the size limit) → sendOffsets → commit, aborted on any
 * failure, so records and consumer position become visible to read_committed readers together
 * or not at all.
 *
 * Fencing is by transactional id: the first transaction of a producer initialises its producer
 * id, which fences the previous holder of the id and aborts its open transaction (`fence` does
 * just that, sending nothing). A fenced producer's errors say `fenced: true`: it must stop.
 *
 * Every step is uninterruptible: an interrupt never leaves a request half-done behind the
 * caller's back; a caller that gives up aborts instead. A transaction that could not be begun
 * or ended leaves the client unusable (KafkaJS keeps its state machine stuck, platformatic its
 * transaction open): the client is replaced and reconnects in the background, and `begin` fails
 * at once (retriable) until it has. So is a client whose step does not answer within the step
 * deadline (`stepTimeoutMs`): after a leader's SIGKILL @platformatic/kafka was seen never
 * answering a transaction's send, which stalled the ingress for good (chaos ingress_failover).
 * The new client's InitProducerId fences the old one and ends its open transaction.
 */
import { Effect, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import { KafkaError, toKafkaError } from "../KafkaError.ts"
import { chunksByBytes } from "./batching.ts"
import { makeDriver } from "./makeDriver.ts"
import { DEFAULT_MAX_REQUEST_BYTES } from "./Producer.ts"
import type {
  CommitOffsets,
  DriverTransaction,
  ProducerClient,
  ProducerDriver,
  ProducerRecord
} from "./ProducerDriver.ts"
import { type DriverFactory, makeReplaceableDriver } from "./ReplaceableDriver.ts"
import { isDeadlinePassed, withinDeadline } from "./withinDeadline.ts"

/** A transaction in progress: records sent into it stay invisible to read_committed readers until `commit`. */
export interface OpenTransaction {
  /** aborts the transaction and fails on any failure */
  readonly send: (records: ReadonlyArray<ProducerRecord>) => Effect.Effect<void, KafkaError>
  /** records the offsets (when given) and commits; aborts and fails on any failure */
  readonly commit: (offsets?: CommitOffsets) => Effect.Effect<void, KafkaError>
  /** never fails: a transaction that cannot be aborted is aborted by the broker's timeout or the next fence */
  readonly abort: Effect.Effect<void>
}

export interface TransactionalProducer {
  readonly client: ProducerClient
  /** connects (one attempt); the caller decides whether to retry */
  readonly connect: Effect.Effect<void, KafkaError>
  readonly connected: () => boolean
  /** fences earlier producers of the same transactional id (aborting their open transaction) */
  readonly fence: Effect.Effect<void, KafkaError>
  /** begins a transaction (one at a time) */
  readonly begin: Effect.Effect<OpenTransaction, KafkaError>
  /** one whole transaction: the records, then the offsets, then commit */
  readonly run: (records: ReadonlyArray<ProducerRecord>, offsets?: CommitOffsets) => Effect.Effect<void, KafkaError>
}

export interface TransactionalProducerOptions {
  readonly client: ProducerClient
  readonly transactionalId: string
  /** bytes per produce request, at most (the topics' record limit) */
  readonly maxRequestBytes?: number
  readonly ackTimeoutMs?: number
  readonly transactionTimeoutMs?: number
  /** a step (begin, send, sendOffsets, commit, abort) not answered within this replaces the client */
  readonly stepTimeoutMs?: number
}

/** above the broker's own produce timeout (30 s), which a healthy step never reaches */
export const STEP_TIMEOUT_MS = 35_000

/**
 * The client for a transaction: platformatic commits consumer offsets only for records its own
 * consumer read, so transactions carrying offsets of hookstream's (KafkaJS) consumer use KafkaJS.
 */
export const transactionClient = (requested: ProducerClient, withOffsets: boolean): ProducerClient =>
  withOffsets ? "kafkajs" : requested

/** the code of a step that did not answer within the step deadline */
export const STEP_TIMED_OUT = "STEP_TIMED_OUT"

export const makeTransactionalProducer = (
  kafka: Kafka,
  options: TransactionalProducerOptions,
  driverFactory?: DriverFactory
): Effect.Effect<TransactionalProducer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const newDriver =
      driverFactory ??
      ((): ProducerDriver =>
        makeDriver(kafka, options.client, {
          transactionalId: options.transactionalId,
          ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
          ...(options.transactionTimeoutMs === undefined ? {} : { transactionTimeoutMs: options.transactionTimeoutMs })
        }))
    const stepTimeoutMs = options.stepTimeoutMs ?? STEP_TIMEOUT_MS
    const client = yield* makeReplaceableDriver(newDriver)
    const { connect, replace } = client
    const maxBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES

    const step = <A>(operation: string, run: () => Promise<A>) =>
      Effect.tryPromise({
        try: () => withinDeadline(run(), stepTimeoutMs, operation),
        catch: (e) =>
          isDeadlinePassed(e)
            ? new KafkaError({ operation, message: e.message, retriable: true, fenced: false, code: STEP_TIMED_OUT })
            : toKafkaError(operation, e)
      })

    /**
     * Aborts; replaces the client when even that fails. Never fails. A fenced producer is left
     * as it is: a replacement would fence the instance that took over.
     */
    const abortOrReplace = (txn: DriverTransaction, failure?: KafkaError) =>
      failure?.fenced === true
        ? Effect.void
        : // a client that did not answer will not answer an abort either
          failure?.code === STEP_TIMED_OUT
          ? Effect.logWarning("a transaction step did not answer; replacing the producer", failure.message).pipe(
              Effect.andThen(replace)
            )
          : step("transaction.abort", () => txn.abort()).pipe(
              Effect.catch((e) =>
                e.fenced
                  ? Effect.void
                  : Effect.logWarning("a transaction could not be aborted; replacing the producer", e.message).pipe(
                      Effect.andThen(replace)
                    )
              )
            )

    const open = (txn: DriverTransaction): OpenTransaction => ({
      send: (records) =>
        records.length === 0
          ? Effect.void
          : Effect.uninterruptible(
              step("producer.send", async () => {
                for (const chunk of chunksByBytes(records, maxBytes)) await txn.send(chunk)
              }).pipe(Effect.tapError((e) => abortOrReplace(txn, e)))
            ),
      commit: (offsets) =>
        Effect.uninterruptible(
          Effect.gen(function* () {
            if (offsets !== undefined && offsets.partitions.length > 0)
              yield* step("producer.sendOffsets", () => txn.sendOffsets(offsets))
            yield* step("transaction.commit", () => txn.commit())
          }).pipe(Effect.tapError((e) => abortOrReplace(txn, e)))
        ),
      abort: Effect.uninterruptible(abortOrReplace(txn))
    })

    const begin = Effect.uninterruptible(
      Effect.suspend(() => {
        if (!client.connected())
          return Effect.fail(
            new KafkaError({
              operation: "producer.transaction",
              message: "the producer is not connected to Kafka (reconnecting)",
              retriable: true,
              fenced: false,
              code: ""
            })
          )
        const current = client.current()
        return step("producer.transaction", () => current.begin()).pipe(
          Effect.tapError((e) => (e.fenced ? Effect.void : replace)),
          Effect.map(open)
        )
      })
    )

    // the first transaction initialises the producer id (InitProducerId), which fences the
    // previous holder of the id and aborts its open transaction; nothing is sent
    const fence = Effect.flatMap(begin, (txn) => txn.abort)

    const run = (records: ReadonlyArray<ProducerRecord>, offsets?: CommitOffsets) =>
      Effect.flatMap(begin, (txn) => Effect.andThen(txn.send(records), txn.commit(offsets)))

    return { client: options.client, connect, connected: client.connected, fence, begin, run }
  })
