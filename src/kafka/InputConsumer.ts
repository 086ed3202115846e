/**
 * The consumer of the input topic, behind a small port. Fetching is decoupled from
 * processing: the batch handler hands records over synchronously and never waits for a chain
 * (a chain runs in the callback only as far as it goes without waiting; its fiber carries on
 * after), and `resolveOffset` only moves the *fetch* position. Commits
 * are ours alone (`autoCommit: false`): explicit offsets, from durable outcomes, never
 * from the fetch.
 *
 * Backpressure: at an in-flight cap the handler keeps the rest of the batch and waits for
 * room inside `eachBatch`, heartbeating meanwhile, so the fetch loop stops and the group
 * membership stays alive however long chains take. (KafkaJS's `pause()` is not used for
 * this: with every partition paused its fetch loop sleeps a whole `maxWaitTime` before it
 * looks again, which turns a short stall into a five-second one.)
 *
 * KafkaJS has no revoke callback and uses the eager rebalance protocol: we learn the new
 * assignment from GROUP_JOIN and reconcile there (see Processor).
 */
import { Effect, type Scope } from "effect"
import type { Consumer, Kafka } from "kafkajs"
import { decodeHeaders, type InputRecord } from "./InputRecord.ts"
import { type KafkaError, toKafkaError } from "./KafkaError.ts"

export interface ConsumerHandlers {
  /**
   * Takes records of one partition from index `from` up to (not including) `to`, in offset
   * order, without blocking; returns how many it took. It stops at an in-flight cap.
   */
  readonly onRecords: (partition: number, records: ReadonlyArray<InputRecord>, from: number, to: number) => number
  /**
   * Resolves when `partition` may take more records, or after about a second so the
   * caller can heartbeat; `false` means stop (shutting down): leave the rest unresolved.
   */
  readonly waitForRoom: (partition: number) => Promise<boolean>
  /** this member's partitions of the input topic after a (re)join */
  readonly onAssignment: (partitions: ReadonlyArray<number>) => void
  readonly onRebalancing: () => void
  readonly onCrash: (error: unknown, willRestart: boolean) => void
  /** the partition's high watermark as of a fetch (for the lag gauge) */
  readonly onHighWatermark?: (partition: number, highWatermark: number) => void
  /**
   * The consumer read past offsets `from`..`through` holding no records for us (transaction
   * markers, aborted records), and every record before them was taken.
   */
  readonly onSkipped?: (partition: number, from: number, through: number) => void
  /**
   * `pause` backpressure: `partition` took only part of a batch; the handler pauses it (and
   * resumes it once it has room), and the rest of the batch is fetched again from there.
   */
  readonly onFull?: (partition: number) => void
}

export interface InputConsumer {
  readonly start: (handlers: ConsumerHandlers) => Effect.Effect<void, KafkaError>
  readonly pause: (partitions: ReadonlyArray<number>) => void
  readonly resume: (partitions: ReadonlyArray<number>) => void
  /** moves the fetch position of `partition` back to `offset` (after we dropped its work) */
  readonly seek: (partition: number, offset: number) => void
  readonly commit: (offsets: ReadonlyArray<{ partition: number; offset: number }>) => Effect.Effect<void, KafkaError>
  /** the group's committed offsets for the input topic (-1 = none) */
  readonly committed: Effect.Effect<ReadonlyMap<number, number>, KafkaError>
  /** every partition's high watermark (the offset the next record will get) */
  readonly highWatermarks: Effect.Effect<ReadonlyMap<number, number>, KafkaError>
  /** epoch ms of the last sign of life from the group coordinator or a fetch (0 = none yet) */
  readonly lastContact: () => number
  /** stop fetching and leave the group (idempotent) */
  readonly stop: Effect.Effect<void>
}

export interface InputConsumerOptions {
  readonly groupId: string
  readonly topic: string
  readonly sessionTimeoutMs?: number
  /**
   * At a cap, `wait` (default) waits for room inside the batch, heartbeating: the whole fetch
   * loop waits with it. `pause` hands the partition to `onFull` and ends the batch, so the
   * other partitions keep fetching.
   */
  readonly backpressure?: "wait" | "pause"
}

/**
 * Runs a KafkaJS pause/resume/seek, which throw while the consumer has no group: before
 * `run`, and between a crash and KafkaJS's restart of the consumer (a broker restart can
 * exhaust its retries). Then there is nothing to pause or seek: the restarted consumer joins
 * afresh, unpaused, from the group's committed offsets. Seen as a processor exiting 1 on
 * SIGTERM (chaos rolling_restart): the shutdown's pause threw while the deferred consumer
 * was restarting.
 */
const whileInGroup = (call: () => void): void => {
  try {
    call()
  } catch (e) {
    if (!(e instanceof Error && e.message.includes("Consumer group was not initialized"))) throw e
  }
}

/**
 * Records handed over before the event loop gets a turn. Taking a record runs its chain at
 * once, synchronously as far as it goes (a no-op chain to its end), so a whole fetch taken in
 * one go was one block of the loop: ~500 records at ~50 µs, during which nothing was sent and
 * every outcome waited for the last. The event-loop delay at half load had a p99 of 10-40 ms
 * per second. In slices, the publisher sends the first outcomes while the rest are processed.
 * Half load at 10,000 events/s, two runs each, alternated: p99 1,811 and 357 ms in one go, 300
 * and 198 in slices (p95 637 and 146 against 118 and 101); noop_chain_seq throughput unchanged
 * (14,506 / 15,108 against 15,495 / 15,037 events/s).
 */
export const HANDOVER_SLICE = 64

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

export const makeInputConsumer = (
  kafka: Kafka,
  options: InputConsumerOptions
): Effect.Effect<InputConsumer, KafkaError, Scope.Scope> =>
  Effect.gen(function* () {
    const { topic, groupId } = options
    const consumer: Consumer = kafka.consumer({
      groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      // a third of the session at most, so two lost heartbeats do not cost the membership
      heartbeatInterval: Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
      // read_committed always: records of aborted transactions (a replay killed mid-batch, a
      // transactional producer upstream) never become events
      readUncommitted: false,
      allowAutoTopicCreation: false,
      // Fetches are sized to the in-flight window, not to the broker's 1 MiB/10 MiB defaults:
      // a fetch is decoded whole and held until every record is handed over, so a large one
      // only grows the heap (benchmark: noop_chain_seq peak RSS ~410 -> ~370 MB, same
      // throughput). A record larger than this still comes through (the broker always
      // returns at least one batch).
      maxBytesPerPartition: 262_144,
      maxBytes: 1_048_576,
      // paused partitions are fetched again only at the next fetch, and with every partition
      // paused KafkaJS sleeps maxWaitTime before it looks: keep that short when pausing is how
      // backpressure works
      ...(options.backpressure === "pause" ? { maxWaitTimeInMs: 500 } : {})
    })
    const admin = kafka.admin()
    let stopped = false
    const stop = Effect.promise(async () => {
      if (stopped) return
      stopped = true
      await consumer.disconnect().catch(() => undefined)
    })
    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          await admin.connect()
          await consumer.connect()
          // a new group starts at the beginning: webhooks produced before the first start are not skipped
          await consumer.subscribe({ topics: [topic], fromBeginning: true })
        },
        catch: (e) => toKafkaError("consumer.connect", e)
      }),
      () =>
        Effect.andThen(
          stop,
          Effect.promise(() => admin.disconnect().catch(() => undefined))
        )
    )

    let lastContact = 0
    const contact = () => {
      lastContact = Date.now()
    }
    const start = (handlers: ConsumerHandlers) =>
      Effect.tryPromise({
        try: async () => {
          // fetches (every maxWaitTime at the latest) and heartbeats (also sent while waiting for room)
          consumer.on(consumer.events.FETCH, contact)
          consumer.on(consumer.events.HEARTBEAT, contact)
          consumer.on(consumer.events.COMMIT_OFFSETS, contact)
          consumer.on(consumer.events.GROUP_JOIN, (e) => {
            contact()
            handlers.onAssignment(e.payload.memberAssignment[topic] ?? [])
          })
          consumer.on(consumer.events.REBALANCING, () => handlers.onRebalancing())
          consumer.on(consumer.events.CRASH, (e) => handlers.onCrash(e.payload.error, e.payload.restart))
          // A fetch of only control records (or aborted ones) never reaches eachBatch: KafkaJS
          // moves the position itself and says so here. The fetch started where every earlier
          // record had been taken (we resolve only what we take), so nothing is skipped unread.
          consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
            const { topic: t, partition, batchSize, firstOffset, lastOffset, highWatermark } = e.payload
            if (t !== topic || batchSize !== 0 || firstOffset === null || lastOffset === null) return
            handlers.onHighWatermark?.(partition, Number(highWatermark))
            handlers.onSkipped?.(partition, Number(firstOffset), Number(lastOffset))
          })
          await consumer.run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: 1,
            eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
              if (!isRunning() || isStale() || batch.messages.length === 0) return
              handlers.onHighWatermark?.(batch.partition, Number(batch.highWatermark))
              const records = batch.messages.map(
                (m): InputRecord => ({
                  topic: batch.topic,
                  partition: batch.partition,
                  offset: m.offset,
                  key: m.key ?? null,
                  value: m.value ?? null,
                  headers: decodeHeaders(m.headers),
                  timestamp: Number(m.timestamp)
                })
              )
              let next = 0
              while (next < records.length) {
                const sliceEnd = Math.min(next + HANDOVER_SLICE, records.length)
                const taken = handlers.onRecords(batch.partition, records, next, sliceEnd)
                next += taken
                // moves only the fetch position (commits are explicit)
                if (taken > 0) resolveOffset((records[next - 1] as InputRecord).offset)
                // a whole slice taken and more to come: let the loop turn (sends, acks, timers) first
                if (next === sliceEnd && next < records.length) {
                  await yieldToLoop()
                  if (!isRunning() || isStale()) return
                  continue
                }
                if (next >= records.length) {
                  // all taken: control records after the last one (a transaction's marker) are read too
                  const last = Number((records[records.length - 1] as InputRecord).offset)
                  const through = Number(batch.lastOffset())
                  if (through > last) {
                    resolveOffset(batch.lastOffset())
                    handlers.onSkipped?.(batch.partition, last + 1, through)
                  }
                  break
                }
                if (options.backpressure === "pause") {
                  handlers.onFull?.(batch.partition)
                  return
                }
                // at a cap: wait for room; heartbeat() throws on a rebalance, which ends this
                // batch unresolved, so its rest is fetched again by whoever owns the partition
                if (!(await handlers.waitForRoom(batch.partition)) || !isRunning() || isStale()) return
                await heartbeat()
              }
            }
          })
        },
        catch: (e) => toKafkaError("consumer.run", e)
      })

    return {
      start,
      pause: (partitions) => {
        if (partitions.length > 0 && !stopped)
          whileInGroup(() => consumer.pause([{ topic, partitions: [...partitions] }]))
      },
      resume: (partitions) => {
        if (partitions.length > 0 && !stopped)
          whileInGroup(() => consumer.resume([{ topic, partitions: [...partitions] }]))
      },
      seek: (partition, offset) => {
        if (!stopped) whileInGroup(() => consumer.seek({ topic, partition, offset: String(offset) }))
      },
      commit: (offsets) =>
        offsets.length === 0
          ? Effect.void
          : Effect.tryPromise({
              try: () =>
                consumer.commitOffsets(
                  offsets.map((o) => ({ topic, partition: o.partition, offset: String(o.offset) }))
                ),
              catch: (e) => toKafkaError("consumer.commit", e)
            }),
      committed: Effect.tryPromise({
        try: async () => {
          const result = await admin.fetchOffsets({ groupId, topics: [topic] })
          const out = new Map<number, number>()
          for (const t of result) for (const p of t.partitions) out.set(p.partition, Number(p.offset))
          return out as ReadonlyMap<number, number>
        },
        catch: (e) => toKafkaError("admin.fetchOffsets", e)
      }),
      highWatermarks: Effect.tryPromise({
        try: async () => {
          const result = await admin.fetchTopicOffsets(topic)
          return new Map(result.map((p) => [p.partition, Number(p.high)])) as ReadonlyMap<number, number>
        },
        catch: (e) => toKafkaError("admin.fetchTopicOffsets", e)
      }),
      lastContact: () => lastContact,
      stop
    }
  })
