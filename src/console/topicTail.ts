/**
 * The standalone console's live source: it is not inside a processor, so it reads what the
 * processors write. Result records (read_committed, from the topics' end onwards) become
 * live outcomes, dead letters count by their reason header, and the processors' group lag
 * is polled from the broker. In-flight counts and circuit states live only inside the
 * processors, so this source leaves them unknown (the page says "n/a").
 *
 * KafkaJS reads only through a group: a throw-away one (random id, nothing committed,
 * `fromBeginning: false`) that the broker forgets after the session. A scoped resource.
 */
import { randomUUID } from "node:crypto"
import { Effect, Schema, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import * as H from "../domain/KafkaHeaders.ts"
import { ResultRecord } from "../domain/ResultRecord.ts"
import { type KafkaError, toKafkaError } from "../kafka/KafkaError.ts"
import type { LiveGauges, LiveOutcome } from "./LiveFrame.ts"
import type { LiveHub } from "./LiveHub.ts"

const decodeResult = Schema.decodeUnknownOption(ResultRecord)

/** A result record's value as a live outcome; undefined when it is not one. */
export const outcomeOfResult = (value: Buffer | null): LiveOutcome | undefined => {
  if (value === null) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(value.toString("utf8"))
  } catch {
    return undefined
  }
  const decoded = decodeResult(parsed)
  if (decoded._tag === "None") return undefined
  const r = decoded.value
  return {
    webhookId: r.webhook_id,
    eventId: r.event_id,
    status: r.status,
    durationMs: r.duration_ms,
    finishedAt: Date.parse(r.finished_at),
    modules: r.modules.map((m) => ({
      id: m.id,
      module: m.module,
      status: m.status,
      attempts: m.attempts,
      durationMs: m.duration_ms
    }))
  }
}

export interface TailOptions {
  readonly results: string
  readonly dlq: string
  /** the processors' consumer group and input topic, for the lag */
  readonly group: string
  readonly input: string
  readonly lagIntervalMs?: number
}

export const tailTopics = (
  kafka: Kafka,
  hub: LiveHub,
  options: TailOptions
): Effect.Effect<void, KafkaError, Scope.Scope> =>
  Effect.gen(function* () {
    const consumer = kafka.consumer({
      groupId: `hookstream-console-${randomUUID()}`,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500
    })
    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          await consumer.connect()
          await consumer.subscribe({ topics: [options.results, options.dlq], fromBeginning: false })
          await consumer.run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const isResult = batch.topic === options.results
              for (const message of batch.messages) {
                if (isResult) {
                  const outcome = outcomeOfResult(message.value)
                  if (outcome !== undefined) hub.outcome(outcome)
                } else {
                  hub.deadLettered(message.headers?.[H.DLQ_REASON]?.toString() ?? "unknown")
                }
              }
            }
          })
        },
        catch: (e) => toKafkaError("consumer.run", e)
      }),
      () => Effect.promise(() => consumer.disconnect().catch(() => undefined))
    )

    let gauges: LiveGauges = { inFlight: null, lag: [], circuits: [], destinations: [] }
    hub.attach(() => gauges)
    const admin = kafka.admin()
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => admin.connect(), catch: (e) => toKafkaError("admin.connect", e) }),
      () => Effect.promise(() => admin.disconnect().catch(() => undefined))
    )
    const pollLag = Effect.tryPromise({
      try: async () => {
        const [ends, committed] = await Promise.all([
          admin.fetchTopicOffsets(options.input),
          admin.fetchOffsets({ groupId: options.group, topics: [options.input] })
        ])
        const done = new Map(committed.flatMap((t) => t.partitions.map((p) => [p.partition, Number(p.offset)])))
        const lag = ends
          .map((e) => {
            const at = done.get(e.partition) ?? -1
            // no commit yet: everything from the log start is still ahead of the group
            return { partition: e.partition, lag: Math.max(0, Number(e.high) - (at >= 0 ? at : Number(e.low))) }
          })
          .sort((a, b) => a.partition - b.partition)
        gauges = { inFlight: null, lag, circuits: [], destinations: [] }
      },
      catch: (e) => toKafkaError("admin.fetchOffsets", e)
    })
    // a broker hiccup leaves the last lag on screen; the next poll corrects it
    yield* Effect.forkScoped(
      Effect.forever(pollLag.pipe(Effect.ignore, Effect.andThen(Effect.sleep(options.lagIntervalMs ?? 2_000))))
    )
  })
