/**
 * One consumer loop of the processor: consumes a topic (the input topic, or the deferred
 * topic for the deferred path), hands each record to its handler with per-key order,
 * publishes outcomes and commits only what is durable.
 *
 * Lifecycle (all driven by the enclosing Scope): connect producer and consumer, start
 * consuming; run until interrupted (SIGTERM/SIGINT via runMain) or until the consumer
 * crashes for good. Shutdown, in a finalizer: stop fetching, let in-flight chains finish
 * within the shutdown timeout, interrupt the rest (their offsets stay uncommitted, so they
 * are redelivered), commit, leave the group.
 */
import { Cause, Deferred, Effect, Schedule, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import { makeInputConsumer } from "../kafka/InputConsumer.ts"
import type { InputRecord } from "../kafka/InputRecord.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { makePublisher } from "../kafka/Publisher.ts"
import { makeProducer } from "../kafka/producer/Producer.ts"
import { DEFAULT_PRODUCER_CLIENT } from "../kafka/producer/ProducerDriver.ts"
import { makeTransactionalProducer, transactionClient } from "../kafka/producer/TransactionalProducer.ts"
import { recordLimit } from "../kafka/topics.ts"
import { DEFAULT_MAX_RECORD_BYTES, type OutputRecord } from "../outcomes/records.ts"
import { Backpressure } from "./Backpressure.ts"
import { makeCommitLoop, runCommitLoop } from "./CommitLoop.ts"
import { drainLoop } from "./drainLoop.ts"
import { Partitions } from "./Partitions.ts"
import type { ProcessorMetrics } from "./ProcessorMetrics.ts"
import type { ProcessorOptions, RunningProcessor } from "./ProcessorOptions.ts"
import { makeLagTracker } from "./processorGauges.ts"

/** What a loop does with its records. */
export interface RecordHandler {
  /** record → outcome records; never fails */
  readonly handle: (record: InputRecord) => Effect.Effect<ReadonlyArray<OutputRecord>>
  /** the lane (actor) a record runs in; default: its Kafka key */
  readonly laneKey?: (record: InputRecord) => string | undefined
  /** partitions just assigned: runs before any of their records is taken */
  readonly prepare?: (partitions: ReadonlyArray<number>) => Effect.Effect<void>
  /**
   * A record whose key is held up behind a slow event, handed to the deferred path at once
   * (synchronous, so a key's records are deferred in order). Absent: records wait for their key.
   */
  readonly deferNow?: (record: InputRecord) => Effect.Effect<ReadonlyArray<OutputRecord>>
}

/** What a loop tells its handler's maker. */
export interface LoopEnv {
  readonly maxRecordBytes: number
  readonly metrics: ProcessorMetrics
}

export interface LoopOptions extends ProcessorOptions {
  readonly metrics: ProcessorMetrics
  /**
   * How a partition at its cap stops fetching. `wait`: the fetch loop waits for room (every
   * partition waits with it: fine when nothing holds a slot for long, as on the input path,
   * where congested work is deferred). `pause`: that partition alone is paused and resumed once
   * it has room (the deferred path, where records wait for slow destinations).
   */
  readonly backpressure: "wait" | "pause"
  /** the loop's transactional producer id suffix (exactly-once), so two loops never fence each other */
  readonly transactionalSuffix?: string
  /** `input`: the input topic (counts consumed events); `deferred`: the deferred topic */
  readonly role: "input" | "deferred"
  /** told whenever an event reached its durable outcome (the deferred path's order gate listens) */
  readonly onProgress?: () => void
}

/** done-but-uncommitted entries allowed behind one slow event, as a multiple of the cap */
const WINDOW_FACTOR = 64
/**
 * The same in exactly-once mode, where each entry holds its outcome records until the commit:
 * enough for a partition to keep going at 500 events/s behind an event stuck 30 s (a chain
 * deadline) on a slow destination, ~16 MB of held outcomes per partition at most.
 */
const EXACTLY_ONCE_WINDOW_FACTOR = 16
/** no fetch, heartbeat or commit answered for this long: not ready (KafkaJS fetches every 5 s at most) */
const CONTACT_TIMEOUT_MS = 30_000

export const startProcessorLoop = (
  kafka: Kafka,
  options: LoopOptions,
  makeHandler: (env: LoopEnv) => RecordHandler
): Effect.Effect<RunningProcessor, KafkaError, Scope.Scope> =>
  Effect.gen(function* () {
    // outcome records and the requests carrying them stay within the outcome topics' record limit
    const maxRecordBytes =
      options.maxRecordBytes ??
      (yield* recordLimit(kafka, [options.topics.results, options.topics.dlq], DEFAULT_MAX_RECORD_BYTES))
    const client = options.producerClient ?? DEFAULT_PRODUCER_CLIENT
    // exactly-once: outcomes and offsets in one transaction, fenced by a transactional id stable per instance
    const transactional = options.exactlyOnce
      ? yield* makeTransactionalProducer(kafka, {
          client: transactionClient(client, true),
          transactionalId: `hookstream-${options.groupId}-${options.instanceId}${options.transactionalSuffix ?? ""}`,
          maxRequestBytes: maxRecordBytes
        })
      : undefined
    if (transactional !== undefined) yield* transactional.connect
    const producer =
      transactional === undefined ? yield* makeProducer(kafka, { client, maxRequestBytes: maxRecordBytes }) : undefined
    const failed = yield* Deferred.make<never, KafkaError | Error>()
    let processed = 0
    let ready = false
    let failure: string | undefined
    const consumer = yield* makeInputConsumer(kafka, {
      groupId: options.groupId,
      topic: options.inputTopic,
      backpressure: options.backpressure,
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs })
    })
    const metrics = options.metrics
    const input = options.role === "input"
    const publisher =
      producer === undefined
        ? undefined
        : yield* makePublisher(producer, {
            onSendFailure: () => metrics.publishFailed(),
            onAckThrew: (e) => died("an outcome's ack", Cause.die(e))
          })
    const startedAt = Date.now()
    const lag = makeLagTracker(options.inputTopic, consumer)
    const handler = makeHandler({ maxRecordBytes, metrics })

    // KafkaJS calls back outside our fibers: partition workers and forks run with this fiber's
    // services (the process's logger and tracer), not Effect's defaults
    const context = yield* Effect.context<never>()
    const fork = Effect.runForkWith(context)
    const runSync = Effect.runSyncWith(context)

    // A bug of ours that would leave a key or the publisher stuck stops the loop, loudly (the
    // process exits, its uncommitted events are redelivered), instead of a silent stall.
    function died(what: string, cause: Cause.Cause<unknown>): void {
      failure = `${what} died: ${Cause.pretty(cause).split("\n")[0]}`
      fork(Effect.logError(failure, cause).pipe(Effect.andThen(Deferred.fail(failed, new Error(failure)))))
    }

    const deferNow = handler.deferNow
    const partitions: Partitions = new Partitions(
      {
        handle: handler.handle,
        laneKey: handler.laneKey,
        deferNow: deferNow === undefined ? undefined : (record) => runSync(deferNow(record)),
        publish: publisher?.publish,
        onDone: () => {
          processed++
          backpressure.done()
          options.onProgress?.()
        },
        onLaneDefect: (partition, cause) => died(`a lane of partition ${partition}`, cause)
      },
      () => backpressure,
      runSync
    )
    const cap = options.maxInFlightPerPartition
    const backpressure: Backpressure = new Backpressure(
      {
        maxInFlight: options.maxInFlight,
        perPartition: cap,
        window: cap * (options.exactlyOnce ? EXACTLY_ONCE_WINDOW_FACTOR : WINDOW_FACTOR),
        mode: options.backpressure
      },
      (p) => partitions.get(p),
      consumer,
      (call, partition, error) =>
        fork(Effect.logWarning(`the consumer refused to ${call} a partition`, { partition, error: String(error) }))
    )
    const commits = makeCommitLoop({
      workers: () => partitions.all(),
      transactional,
      consumer,
      groupId: options.groupId,
      topic: options.inputTopic,
      metrics,
      afterCommit: () => backpressure.wake(),
      failed
    })

    const onRecords = (partition: number, records: ReadonlyArray<InputRecord>, from: number, to: number): number => {
      if (from >= to || !backpressure.hasRoom(partition)) return 0
      const worker = partitions.workerFor(partition, Number((records[from] as InputRecord).offset))
      let i = from
      // stop at a cap: the rest of the fetch waits in KafkaJS's hands, not in our memory
      for (; i < to && backpressure.hasRoom(partition); i++) {
        if (worker.accept(records[i] as InputRecord)) {
          backpressure.took()
          if (input) metrics.eventConsumed()
        }
      }
      return i - from
    }

    const onAssignment = (assigned: ReadonlyArray<number>) => {
      const added = partitions.assign(assigned)
      ready = true
      backpressure.assigned(new Set(assigned))
      // held before any record of theirs can arrive: they wait until prepared
      const prepare = handler.prepare
      if (prepare !== undefined) backpressure.hold(added)
      fork(
        partitions
          .reconcile(consumer.committed.pipe(Effect.orElseSucceed(() => new Map<number, number>())), consumer.seek)
          .pipe(
            // tools read this line's message (`partitions assigned: 0,1,2`)
            Effect.andThen(
              Effect.logInfo(input ? "partitions assigned" : "deferred partitions assigned", assigned.join(","))
            ),
            Effect.andThen(
              prepare === undefined || added.length === 0
                ? Effect.void
                : prepare(added).pipe(Effect.ensuring(Effect.sync(() => backpressure.ready(added))))
            )
          )
      )
    }

    yield* consumer.start({
      onRecords,
      waitForRoom: (partition) => backpressure.waitForRoom(partition),
      onAssignment,
      onRebalancing: () => fork(commits.commitQuietly),
      onCrash: (error, willRestart) => {
        if (willRestart) fork(Effect.logWarning("consumer crashed; KafkaJS restarts it", String(error)))
        else {
          failure = `consumer stopped: ${String(error)}`
          fork(Deferred.fail(failed, error instanceof Error ? error : new Error(String(error))))
        }
      },
      onHighWatermark: lag.observeHigh,
      // offsets without records for us: the commit may pass them once the records before are done
      onSkipped: (partition, from, through) => {
        if (!backpressure.isStopped && partitions.assigned.includes(partition))
          partitions.workerFor(partition, from).skipThrough(through)
      },
      onFull: (partition) => backpressure.full(partition)
    })

    yield* Effect.forkScoped(
      Effect.repeat(
        Effect.suspend(() => (partitions.assigned.length === 0 ? Effect.void : lag.refresh)),
        Schedule.spaced("5 seconds")
      )
    )
    const detachGauges = metrics.attach({
      inFlight: () => backpressure.inFlight,
      assigned: () => partitions.assigned.length,
      [input ? "lag" : "deferredLag"]: () => lag.lag(partitions.assigned, (p) => partitions.get(p)?.committed)
    })
    yield* Effect.addFinalizer(() => Effect.sync(detachGauges))
    yield* runCommitLoop(commits, options.commitIntervalMs)

    // Shutdown: registered last, so it runs before the consumer and producer are released.
    let draining = false
    yield* Effect.addFinalizer(() => {
      draining = true
      ready = false
      return drainLoop({
        consumer,
        partitions,
        backpressure,
        commits,
        shutdownTimeoutMs: options.shutdownTimeoutMs,
        topic: options.inputTopic,
        processed: () => processed
      })
    })

    yield* Effect.logInfo("processor started", {
      group: options.groupId,
      input: options.inputTopic,
      mode: options.exactlyOnce ? "exactly-once" : "at-least-once",
      producer: transactional?.client ?? client
    })

    const problem = (): string | undefined => {
      if (draining) return "shutting down"
      if (failure !== undefined) return failure
      const silentMs = Date.now() - Math.max(consumer.lastContact(), startedAt)
      return silentMs > CONTACT_TIMEOUT_MS ? `no answer from Kafka for ${Math.round(silentMs / 1_000)} s` : undefined
    }

    return {
      durableThrough: (partition) => partitions.get(partition)?.durableThrough(),
      status: () => ({
        assigned: partitions.assigned,
        inFlight: backpressure.inFlight,
        paused: backpressure.blocked,
        processed,
        commits: commits.commits(),
        ready,
        draining,
        problem: problem()
      }),
      failed: Deferred.await(failed)
    }
  })
