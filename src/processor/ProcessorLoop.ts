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
import { Deferred, Duration, Effect, Schedule, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import { makeInputConsumer } from "../kafka/InputConsumer.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { makePublisher } from "../kafka/Publisher.ts"
import { makeProducer } from "../kafka/producer/Producer.ts"
import { DEFAULT_PRODUCER_CLIENT } from "../kafka/producer/ProducerDriver.ts"
import { makeTransactionalProducer, transactionClient } from "../kafka/producer/TransactionalProducer.ts"
import { recordLimit } from "../kafka/topics.ts"
import { DEFAULT_MAX_RECORD_BYTES, type OutputRecord } from "../outcomes/records.ts"
import { commitAtLeastOnce, commitExactlyOnce, makeStats } from "./Committer.ts"
import type { InputRecord } from "./InputRecord.ts"
import { PartitionWorker, type WorkerDeps } from "./PartitionWorker.ts"
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
        : yield* makePublisher(producer, { onSendFailure: () => metrics.publishFailed() })
    const failed = yield* Deferred.make<never, KafkaError | Error>()
    const stats = makeStats()
    const workers = new Map<number, PartitionWorker>()
    let assigned: ReadonlyArray<number> = []
    let inFlight = 0
    let processed = 0
    let draining = false
    let ready = false
    let failure: string | undefined
    const startedAt = Date.now()
    const lag = makeLagTracker(options.inputTopic, consumer)

    const handler = makeHandler({ maxRecordBytes, metrics })
    const cap = options.maxInFlightPerPartition
    const windowCap = cap * (options.exactlyOnce ? EXACTLY_ONCE_WINDOW_FACTOR : WINDOW_FACTOR)

    /** eachBatch calls waiting for room, by partition (see InputConsumer) */
    const waiting = new Map<number, () => void>()
    /** `pause` backpressure: partitions paused at their cap */
    const paused = new Set<number>()
    /** partitions whose handler's `prepare` has not finished: they take nothing yet */
    const preparing = new Set<number>()

    const hasRoom = (partition: number) => {
      if (inFlight >= options.maxInFlight || (preparing.size > 0 && preparing.has(partition))) return false
      const w = workers.get(partition)
      return w === undefined || (w.pending < cap && w.held < windowCap)
    }

    /** wakes the batches waiting for room, and resumes the paused partitions, once there is some */
    const wakeWaiters = () => {
      if ((waiting.size === 0 && paused.size === 0) || inFlight >= options.maxInFlight) return
      for (const [partition, wake] of waiting) {
        if (hasRoom(partition)) {
          waiting.delete(partition)
          wake()
        }
      }
      // a paused partition resumes only once half its cap is free: resuming at the first free
      // slot would fetch (and decode) the same batch again for one record each time
      for (const partition of paused) {
        const w = workers.get(partition)
        if (hasRoom(partition) && (w === undefined || w.pending <= cap / 2)) {
          paused.delete(partition)
          consumer.resume([partition])
        }
      }
    }

    const deferNow = handler.deferNow
    const deps: WorkerDeps = {
      handle: handler.handle,
      laneKey: handler.laneKey,
      deferNow: deferNow === undefined ? undefined : (record) => runSync(deferNow(record)),
      publish: publisher?.publish,
      onDone: () => {
        inFlight--
        processed++
        wakeWaiters()
        options.onProgress?.()
      }
    }

    // KafkaJS calls back outside our fibers: partition workers and forks run with this fiber's
    // services (the process's logger and tracer), not Effect's defaults
    const context = yield* Effect.context<never>()
    const runtimeFork = Effect.runForkWith(context)
    const runSync = Effect.runSyncWith(context)
    const fork = (effect: Effect.Effect<void>) => runtimeFork(effect)

    const dropWorker = (partition: number) => {
      const w = workers.get(partition)
      if (w === undefined) return Effect.void
      workers.delete(partition)
      // count what is left only once its fibers have stopped: until then an event may still
      // finish (and count itself down through onDone)
      return Effect.andThen(
        w.close,
        Effect.sync(() => {
          inFlight -= w.pending
          wakeWaiters()
        })
      )
    }

    /** the partition's worker, made on its first offset seen */
    const workerFor = (partition: number, firstOffset: number): PartitionWorker => {
      let worker = workers.get(partition)
      if (worker === undefined) {
        worker = runSync(PartitionWorker.make(partition, firstOffset, deps))
        workers.set(partition, worker)
      }
      return worker
    }

    const onRecords = (partition: number, records: ReadonlyArray<InputRecord>, from: number): number => {
      if (draining || from >= records.length) return 0
      const worker = workerFor(partition, Number((records[from] as InputRecord).offset))
      let i = from
      // stop at a cap: the rest of the fetch waits in KafkaJS's hands, not in our memory
      for (; i < records.length && hasRoom(partition); i++) {
        if (worker.accept(records[i] as InputRecord)) {
          inFlight++
          if (input) metrics.eventConsumed()
        }
      }
      return i - from
    }

    /** `pause` backpressure: the partition is at its cap; the rest of its fetch is read again once resumed */
    const onFull = (partition: number) => {
      if (draining) return
      paused.add(partition)
      consumer.pause([partition])
      // room may have come meanwhile (an ack between the take and this call)
      wakeWaiters()
    }

    /** offsets without records for us: the commit may pass them once the records before are done */
    const onSkipped = (partition: number, from: number, through: number) => {
      if (draining || !assigned.includes(partition)) return
      workerFor(partition, from).skipThrough(through)
    }

    const waitForRoom = (partition: number): Promise<boolean> =>
      new Promise((resolve) => {
        if (draining) return resolve(false)
        if (hasRoom(partition)) return resolve(true)
        const timer = setTimeout(() => {
          waiting.delete(partition)
          resolve(!draining)
        }, 1_000)
        waiting.set(partition, () => {
          clearTimeout(timer)
          resolve(!draining)
        })
      })

    const onAssignment = (partitions: ReadonlyArray<number>) => {
      const now = new Set(partitions)
      const added = partitions.filter((p) => !assigned.includes(p))
      assigned = [...partitions]
      ready = true
      for (const p of paused) if (!now.has(p)) paused.delete(p)
      // set before any record of theirs can arrive: they wait until prepared
      const prepare = handler.prepare
      if (prepare !== undefined) for (const p of added) preparing.add(p)
      fork(
        Effect.gen(function* () {
          // revoked: interrupt their chains; their offsets are not ours to commit any more
          for (const partition of [...workers.keys()]) if (!now.has(partition)) yield* dropWorker(partition)
          // retained: if the group moved past us meanwhile (we lost membership), start over there
          const committed = yield* consumer.committed.pipe(Effect.orElseSucceed(() => new Map<number, number>()))
          for (const [partition, w] of [...workers]) {
            const groupOffset = committed.get(partition) ?? -1
            if (groupOffset > w.durableThrough()) {
              yield* dropWorker(partition)
              consumer.seek(partition, groupOffset)
            }
          }
          // tools read this line's message (`partitions assigned: 0,1,2`)
          yield* Effect.logInfo(input ? "partitions assigned" : "deferred partitions assigned", assigned.join(","))
          if (prepare !== undefined && added.length > 0) {
            yield* prepare(added).pipe(
              Effect.ensuring(
                Effect.sync(() => {
                  for (const p of added) preparing.delete(p)
                  wakeWaiters()
                })
              )
            )
          }
        })
      )
    }

    const commitOnce =
      transactional !== undefined
        ? Effect.suspend(() =>
            commitExactlyOnce([...workers.values()], transactional, options.groupId, options.inputTopic, stats)
          )
        : Effect.suspend(() => commitAtLeastOnce([...workers.values()], consumer, stats))

    const commitCounted = Effect.suspend(() => {
      const before = stats.commits
      return commitOnce.pipe(
        Effect.tap(() => Effect.sync(() => metrics.offsetsCommitted(stats.commits - before))),
        Effect.tapError(() =>
          Effect.sync(() => {
            metrics.commitFailed()
            // exactly-once: the outcomes travel in the failed transaction
            if (options.exactlyOnce) metrics.publishFailed()
          })
        )
      )
    })

    const commitQuietly = commitCounted.pipe(
      Effect.tapError((e) =>
        e.fenced
          ? Deferred.fail(failed, e)
          : Effect.logDebug("commit did not go through; retrying on the next tick", e.message)
      ),
      Effect.ignore,
      // commits shrink the held window, which may make room for a waiting batch
      Effect.andThen(Effect.sync(wakeWaiters))
    )

    yield* consumer.start({
      onRecords,
      waitForRoom,
      onAssignment,
      onRebalancing: () => fork(commitQuietly),
      onCrash: (error, willRestart) => {
        if (willRestart) fork(Effect.logWarning("consumer crashed; KafkaJS restarts it", String(error)))
        else {
          failure = `consumer stopped: ${String(error)}`
          fork(Deferred.fail(failed, error instanceof Error ? error : new Error(String(error))))
        }
      },
      onHighWatermark: lag.observeHigh,
      onSkipped,
      onFull
    })

    yield* Effect.forkScoped(
      Effect.repeat(
        Effect.suspend(() => (assigned.length === 0 ? Effect.void : lag.refresh)),
        Schedule.spaced("5 seconds")
      )
    )
    const detachGauges = metrics.attach({
      inFlight: () => inFlight,
      assigned: () => assigned.length,
      [input ? "lag" : "deferredLag"]: () => lag.lag(assigned, (p) => workers.get(p)?.committed)
    })
    yield* Effect.addFinalizer(() => Effect.sync(detachGauges))

    yield* Effect.forkScoped(Effect.repeat(commitQuietly, Schedule.spaced(Duration.millis(options.commitIntervalMs))))

    // Shutdown: registered last, so it runs before the consumer and producer are released.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        draining = true
        ready = false
        consumer.pause(assigned)
        for (const wake of waiting.values()) wake()
        waiting.clear()
        const idle = Effect.repeat(
          Effect.sync(() => inFlight),
          Schedule.spaced("50 millis").pipe(
            Schedule.setInputType<number>(),
            Schedule.while(({ input }) => input > 0)
          )
        )
        const drained = yield* Effect.timeoutOption(idle, options.shutdownTimeoutMs)
        if (drained._tag === "None") {
          yield* Effect.logWarning(
            "shutdown timeout: interrupting the chains still running; they will be redelivered",
            {
              in_flight: inFlight
            }
          )
        }
        const remaining = [...workers.values()]
        for (const w of remaining) yield* w.close
        yield* commitCounted.pipe(
          Effect.retry(Schedule.recurs(3)),
          Effect.catch((e) =>
            Effect.logWarning("final commit failed; the uncommitted events will be redelivered", e.message)
          )
        )
        yield* consumer.stop
        yield* Effect.logInfo("processor stopped", { topic: options.inputTopic, processed, commits: stats.commits })
      })
    )

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
      durableThrough: (partition) => workers.get(partition)?.durableThrough(),
      status: () => ({
        assigned,
        inFlight,
        paused: [...waiting.keys(), ...paused],
        processed,
        commits: stats.commits,
        ready,
        draining,
        problem: problem()
      }),
      failed: Deferred.await(failed)
    }
  })
