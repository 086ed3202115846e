/**
 * The processor: the input path, and (when a deferred topic is configured) the deferred path.
 *
 * Input path: consumes the input topic, runs each event's chain with per-key order, publishes
 * outcomes and commits only what is durable. A step whose destination cannot take it now
 * (every slot taken and its wait full, or its circuit open) is not held in memory: the rest of
 * the chain goes to the deferred topic, and that record is the event's durable outcome. So a
 * slow or dead destination holds at most its own slots of the process, and every other stream
 * keeps its pace.
 *
 * Deferred path: a second consumer group (`<group>.deferred`) on the deferred topic runs the
 * rest of those chains at the destinations' pace and publishes each event's one result. A
 * partition whose records all wait for their destinations is paused alone (see ProcessorLoop).
 *
 * Order: a key's events reach each destination in order whichever path they take. While a
 * (stream, key) has deferred work, its later events follow it (DeferralLedger); a deferred
 * record runs only once the input group has committed past its event (InputProgress).
 *
 * Lifecycle (all driven by the enclosing Scope): see ProcessorLoop.
 */
import { Effect, Schedule, type Scope } from "effect"
import { type Kafka, Partitioners } from "kafkajs"
import { DEFAULT_DEFERRED_PARTITIONS } from "../domain/DeferredRecord.ts"
import type { ChainEngine } from "../engine/ChainEngine.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { makeOffsetsReader, type OffsetsReader } from "../kafka/OffsetsReader.ts"
import { ensureTopics, topicPartitions } from "../kafka/topics.ts"
import { DeferralLedger } from "./DeferralLedger.ts"
import { DeferredBacklog } from "./DeferredBacklog.ts"
import type { StreamTable } from "./HandlerContext.ts"
import { deferredLaneKey, handleDeferred } from "./handleDeferred.ts"
import { handleRecord } from "./handleRecord.ts"
import { makeInputProgress } from "./InputProgress.ts"
import { startProcessorLoop } from "./ProcessorLoop.ts"
import { processorMetrics } from "./ProcessorMetrics.ts"
import type { ProcessorOptions, ProcessorStatus, RunningProcessor } from "./ProcessorOptions.ts"
import { circuitLabels, destinationGauges } from "./processorGauges.ts"
import { restoreLedger } from "./restoreLedger.ts"

export type { ProcessorOptions, ProcessorStatus, RunningProcessor } from "./ProcessorOptions.ts"

/** How often the ledger learns which deferred work has finished. */
const LEDGER_TICK_MS = 500

/** the Java client's partitioner (murmur2): where a producer puts a stream's deferred records */
const partitionerFor = (partitions: number) => {
  const partitioner = Partitioners.DefaultPartitioner()
  const metadata = Array.from({ length: partitions }, (_, i) => ({
    partitionErrorCode: 0,
    partitionId: i,
    leader: 0,
    replicas: [0],
    isr: [0]
  }))
  return (webhookId: string) =>
    partitioner({
      topic: "",
      partitionMetadata: metadata,
      message: { key: Buffer.from(webhookId, "utf8"), value: null }
    })
}

export const startProcessor = (
  kafka: Kafka,
  streams: StreamTable,
  engine: ChainEngine["Service"],
  options: ProcessorOptions
): Effect.Effect<RunningProcessor, KafkaError | Error, Scope.Scope> =>
  Effect.gen(function* () {
    const metrics = options.metrics ?? processorMetrics()
    const detach = metrics.attach(destinationGauges(streams, engine.guards))
    yield* Effect.addFinalizer(() => Effect.sync(detach))
    const base = (env: { readonly maxRecordBytes: number }) => ({
      streams,
      engine,
      topics: options.topics,
      now: () => Date.now(),
      observer: metrics,
      maxRecordBytes: env.maxRecordBytes
    })
    const deferred = options.deferred
    if (deferred === undefined) {
      return yield* startProcessorLoop(kafka, { ...options, metrics, backpressure: "wait", role: "input" }, (env) => {
        const ctx = base(env)
        return { handle: (record) => handleRecord(ctx, record) }
      })
    }

    const offsets = yield* makeOffsetsReader(kafka)
    const partitions = yield* deferredPartitions(kafka, deferred.topic)
    const ledger = new DeferralLedger(partitionerFor(partitions))
    yield* Effect.forkScoped(Effect.repeat(settleLedger(ledger, offsets, deferred), Schedule.spaced(LEDGER_TICK_MS)))

    // the order gate reads the input path's progress; the input path nudges it
    let durableThrough: (partition: number) => number | undefined = () => undefined
    const progress = yield* makeInputProgress(offsets, options.groupId, options.inputTopic, (p) => durableThrough(p))
    const input = yield* startProcessorLoop(
      kafka,
      { ...options, metrics, backpressure: "wait", role: "input", onProgress: () => progress.nudge() },
      (env) => {
        const ctx = { ...base(env), deferral: { topic: deferred.topic, ledger } }
        return {
          handle: (record) => handleRecord(ctx, record),
          deferNow: (record) => handleRecord(ctx, record, true),
          prepare: (assigned) => restoreLedger(kafka, offsets, ledger, deferred, assigned)
        }
      }
    )
    durableThrough = input.durableThrough
    const backlog = new DeferredBacklog()
    const detachBacklog = metrics.attach({
      oldestDeferred: () => {
        const labels = circuitLabels(streams)
        return backlog.snapshot().flatMap((b) => {
          const l = labels.get(b.destination)
          return l === undefined ? [] : [{ ...l, deferredAt: b.oldest, held: b.count }]
        })
      }
    })
    yield* Effect.addFinalizer(() => Effect.sync(detachBacklog))
    const drain = yield* startProcessorLoop(
      kafka,
      {
        ...options,
        groupId: deferred.groupId,
        inputTopic: deferred.topic,
        // a paused partition holds at most its cap: the process-wide cap would let one stuck
        // stream's partition take what the others need
        maxInFlight: Number.MAX_SAFE_INTEGER,
        metrics,
        backpressure: "pause",
        role: "deferred",
        transactionalSuffix: "-deferred"
      },
      (env) => {
        const ctx = { ...base(env), inputTopic: options.inputTopic, progress, backlog, ledger }
        return { handle: (record) => handleDeferred(ctx, record), laneKey: deferredLaneKey }
      }
    )
    return combine(input, drain)
  })

/**
 * The deferred topic's partition count, creating the topic when it is missing: like Kafka
 * Streams' internal topics, it belongs to hookstream (`hookstream topics create` makes it
 * too; with restricted ACLs, create it up front or run with `--deferred off`).
 */
const deferredPartitions = (kafka: Kafka, topic: string) =>
  Effect.gen(function* () {
    const existing = (yield* topicPartitions(kafka, [topic])).get(topic)
    if (existing !== undefined) return existing
    yield* ensureTopics(kafka, [{ topic, partitions: DEFAULT_DEFERRED_PARTITIONS }]).pipe(
      Effect.mapError(
        (e) =>
          new Error(
            `the deferred topic '${topic}' does not exist and could not be created (${e.message}): create it (hookstream topics create) or run with --deferred off`
          )
      )
    )
    yield* Effect.logInfo("created the deferred topic", { topic, partitions: DEFAULT_DEFERRED_PARTITIONS })
    return DEFAULT_DEFERRED_PARTITIONS
  })

/** Bounds the marks Kafka has acknowledged, drops those the deferred group committed past. */
const settleLedger = (ledger: DeferralLedger, offsets: OffsetsReader, deferred: { topic: string; groupId: string }) =>
  Effect.suspend(() => {
    if (ledger.size === 0) return Effect.void
    const pending = ledger.unbounded()
    return Effect.all([offsets.ends(deferred.topic), offsets.committed(deferred.groupId, deferred.topic)]).pipe(
      Effect.tap(([ends, committed]) => Effect.sync(() => ledger.settle(pending, ends, committed))),
      Effect.ignore
    )
  })

/** The two loops as one processor: ready when the input path is; failed when either fails. */
const combine = (input: RunningProcessor, drain: RunningProcessor): RunningProcessor => ({
  status: (): ProcessorStatus => {
    const a = input.status()
    const b = drain.status()
    return {
      ...a,
      inFlight: a.inFlight + b.inFlight,
      processed: a.processed + b.processed,
      commits: a.commits + b.commits,
      problem: a.problem ?? (b.problem === undefined ? undefined : `deferred path: ${b.problem}`),
      deferred: { assigned: b.assigned, inFlight: b.inFlight, paused: b.paused, processed: b.processed }
    }
  },
  durableThrough: input.durableThrough,
  failed: Effect.raceFirst(input.failed, drain.failed)
})
