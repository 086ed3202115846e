/**
 * The processor: consumes the input topic, runs each event's chain with per-key order,
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
import type { ChainEngine } from "../engine/ChainEngine.ts"
import { makeInputConsumer } from "../kafka/InputConsumer.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { makePublisher } from "../kafka/Publisher.ts"
import { makeProducer } from "../kafka/producer/Producer.ts"
import { DEFAULT_PRODUCER_CLIENT } from "../kafka/producer/ProducerDriver.ts"
import { makeTransactionalProducer, transactionClient } from "../kafka/producer/TransactionalProducer.ts"
import { recordLimit } from "../kafka/topics.ts"
import { DEFAULT_MAX_RECORD_BYTES } from "../outcomes/records.ts"
import { commitAtLeastOnce, commitExactlyOnce, makeStats } from "./Committer.ts"
import { handleRecord, type RunnableStream } from "./handleRecord.ts"
import type { InputRecord } from "./InputRecord.ts"
import { PartitionWorker, type WorkerDeps } from "./PartitionWorker.ts"
import { processorMetrics } from "./ProcessorMetrics.ts"
import type { ProcessorOptions, RunningProcessor } from "./ProcessorOptions.ts"
import { circuitLabels, circuitStates, makeLagTracker } from "./processorGauges.ts"

export type { ProcessorOptions, ProcessorStatus, RunningProcessor } from "./ProcessorOptions.ts"

/** done-but-uncommitted entries allowed behind one slow event, as a multiple of the cap */
const WINDOW_FACTOR = 64
/** no fetch, heartbeat or commit answered for this long: not ready (KafkaJS fetches every 5 s at most) */
const CONTACT_TIMEOUT_MS = 30_000

export const startProcessor = (
  kafka: Kafka,
  streams: ReadonlyMap<string, RunnableStream>,
  engine: ChainEngine["Service"],
  options: ProcessorOptions
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
          transactionalId: `hookstream-${options.groupId}-${options.instanceId}`,
          maxRequestBytes: maxRecordBytes
        })
      : undefined
    if (transactional !== undefined) yield* transactional.connect
    const producer =
      transactional === undefined ? yield* makeProducer(kafka, { client, maxRequestBytes: maxRecordBytes }) : undefined
    const consumer = yield* makeInputConsumer(kafka, {
      groupId: options.groupId,
      topic: options.inputTopic,
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs })
    })
    const metrics = options.metrics ?? processorMetrics()
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

    const ctx = { streams, engine, topics: options.topics, now: () => Date.now(), observer: metrics, maxRecordBytes }
    const cap = options.maxInFlightPerPartition
    const windowCap = options.exactlyOnce ? cap * 4 : cap * WINDOW_FACTOR

    /** eachBatch calls waiting for room, by partition (see InputConsumer) */
    const waiting = new Map<number, () => void>()

    const hasRoom = (w: PartitionWorker | undefined) =>
      inFlight < options.maxInFlight && (w === undefined || (w.pending < cap && w.tracker.size < windowCap))

    /** wakes the batches waiting for room once there is some */
    const wakeWaiters = () => {
      if (waiting.size === 0 || inFlight >= options.maxInFlight) return
      for (const [partition, wake] of waiting) {
        if (hasRoom(workers.get(partition))) {
          waiting.delete(partition)
          wake()
        }
      }
    }

    const deps: WorkerDeps = {
      handle: (record) => handleRecord(ctx, record),
      publish: publisher?.publish,
      onDone: () => {
        inFlight--
        processed++
        wakeWaiters()
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
      for (; i < records.length && hasRoom(worker); i++) {
        if (worker.accept(records[i] as InputRecord)) {
          inFlight++
          metrics.eventConsumed()
        }
      }
      return i - from
    }

    /** offsets without records for us: the commit may pass them once the records before are done */
    const onSkipped = (partition: number, from: number, through: number) => {
      if (draining || !assigned.includes(partition)) return
      workerFor(partition, from).tracker.skipThrough(through)
    }

    const waitForRoom = (partition: number): Promise<boolean> =>
      new Promise((resolve) => {
        if (draining) return resolve(false)
        if (hasRoom(workers.get(partition))) return resolve(true)
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
      assigned = [...partitions]
      ready = true
      fork(
        Effect.gen(function* () {
          // revoked: interrupt their chains; their offsets are not ours to commit any more
          for (const partition of [...workers.keys()]) if (!now.has(partition)) yield* dropWorker(partition)
          // retained: if the group moved past us meanwhile (we lost membership), start over there
          const committed = yield* consumer.committed.pipe(Effect.orElseSucceed(() => new Map<number, number>()))
          for (const [partition, w] of [...workers]) {
            const groupOffset = committed.get(partition) ?? -1
            if (groupOffset > w.tracker.commitOffset()) {
              yield* dropWorker(partition)
              consumer.seek(partition, groupOffset)
            }
          }
          yield* Effect.logInfo("partitions assigned", assigned.join(","))
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
      onSkipped
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
      lag: () => lag.lag(assigned, (p) => workers.get(p)?.committed),
      circuits: circuitStates(circuitLabels(streams), engine.guards)
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
        yield* Effect.logInfo("processor stopped", { processed, commits: stats.commits })
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
      status: () => ({
        assigned,
        inFlight,
        paused: [...waiting.keys()],
        processed,
        commits: stats.commits,
        ready,
        draining,
        problem: problem()
      }),
      failed: Deferred.await(failed)
    }
  })
