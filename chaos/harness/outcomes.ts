/**
 * Reads the results and DLQ topics back, by event id, while a scenario runs: one consumer
 * (a fresh group, nothing committed, read_committed by default as the issue's consumers)
 * tallies every outcome record as it lands. Per event: result and dead-letter records by
 * replay count, the latest status and reason. A record without an event id (bytes that
 * never decoded) is filed under `@<partition>:<offset>` of its input record, from the
 * source headers every outcome record carries.
 *
 * `caughtUp()` resolves once the collector has read both topics up to their end offsets as
 * of the call, so final counts (duplicates) include everything published by then.
 */
import { randomUUID } from "node:crypto"
import type { Consumer, Kafka } from "kafkajs"
import * as H from "../../src/domain/KafkaHeaders.ts"
import { waitFor } from "../../test/support/waitFor.ts"

export interface EventOutcomes {
  /** result records, indexed by replay count */
  readonly results: Array<number>
  /** dead-letter records, indexed by replay count */
  readonly dlq: Array<number>
  /** status of the latest result record (by replay count, then arrival) */
  status: string | undefined
  /** reason of the latest dead letter */
  reason: string | undefined
  /** some result record says succeeded */
  succeeded: boolean
}

export interface OutcomeRecord {
  readonly kind: "result" | "dlq"
  readonly key: string
  readonly value: Record<string, unknown>
  readonly raw: string
  readonly headers: Readonly<Record<string, string>>
  readonly partition: number
  readonly offset: string
}

export interface OutcomeCollector {
  readonly events: ReadonlyMap<string, EventOutcomes>
  readonly records: () => number
  readonly resultRecords: () => number
  readonly dlqRecords: () => number
  /** ids (of `ids`) that have no outcome yet */
  readonly missing: (ids: Iterable<string>) => Array<string>
  /** waits until every id has an outcome (for which `done`, default: any) */
  readonly waitForAll: (
    ids: ReadonlyArray<string>,
    options: { readonly timeoutMs: number; readonly done?: (o: EventOutcomes) => boolean }
  ) => Promise<void>
  readonly caughtUp: (timeoutMs?: number) => Promise<void>
  readonly stop: () => Promise<void>
}

export interface Tally {
  readonly events: number
  readonly lost: number
  readonly outcomes: number
  /** outcome deliveries beyond one per (event, replay count): max(results, dead letters) − 1 */
  readonly duplicates: number
  readonly lostSample: ReadonlyArray<string>
}

/** lost and duplicates of `ids` as read so far */
export const tally = (collector: OutcomeCollector, ids: ReadonlyArray<string>): Tally => {
  let lost = 0
  let duplicates = 0
  let outcomes = 0
  const lostSample: Array<string> = []
  for (const id of ids) {
    const o = collector.events.get(id)
    if (o === undefined) {
      lost++
      if (lostSample.length < 10) lostSample.push(id)
      continue
    }
    const n = Math.max(o.results.length, o.dlq.length)
    for (let i = 0; i < n; i++) {
      const r = o.results[i] ?? 0
      const d = o.dlq[i] ?? 0
      outcomes += r + d
      duplicates += Math.max(0, Math.max(r, d) - 1)
    }
  }
  return { events: ids.length, lost, outcomes, duplicates, lostSample }
}

const headerText = (value: Buffer | string | Array<Buffer | string> | undefined): string | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? String(value[0]) : value.toString()

export const startOutcomeCollector = async (
  kafka: Kafka,
  topics: { readonly results: string; readonly dlq: string },
  options: { readonly readCommitted?: boolean; readonly onRecord?: (record: OutcomeRecord) => void } = {}
): Promise<OutcomeCollector> => {
  const events = new Map<string, EventOutcomes>()
  let results = 0
  let deadLetters = 0
  const position = new Map<string, bigint>()
  /** the highest offset handed to us per topic:partition */
  const delivered = new Map<string, bigint>()
  const consumer: Consumer = kafka.consumer({
    groupId: `chaos-read-${randomUUID()}`,
    readUncommitted: options.readCommitted === false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 250
  })
  const advance = (topic: string, partition: number, lastOffset: string) => {
    const key = `${topic}:${partition}`
    const next = BigInt(lastOffset) + 1n
    if (next > (position.get(key) ?? 0n)) position.set(key, next)
  }
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    const { topic, partition, lastOffset } = e.payload
    if (lastOffset !== undefined && Number(lastOffset) >= 0) advance(topic, partition, lastOffset)
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topics.results, topics.dlq], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      const kind = batch.topic === topics.results ? "result" : "dlq"
      const read = `${batch.topic}:${batch.partition}`
      for (const m of batch.messages) {
        // a record read again is not a second outcome: when the group coordinator moves (a
        // broker restart), KafkaJS rejoins and, with nothing committed, starts over from the
        // beginning. (Not `position`: an empty read_committed fetch moves that to the high
        // watermark, past records of transactions still open.)
        const offset = BigInt(m.offset)
        if (offset <= (delivered.get(read) ?? -1n)) continue
        delivered.set(read, offset)
        const raw = m.value?.toString("utf8") ?? ""
        let value: Record<string, unknown>
        try {
          value = JSON.parse(raw) as Record<string, unknown>
        } catch {
          value = {}
        }
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(m.headers ?? {})) {
          const text = headerText(v)
          if (text !== undefined) headers[k] = text
        }
        const key =
          typeof value["event_id"] === "string"
            ? value["event_id"]
            : `@${headers[H.SOURCE_PARTITION] ?? "?"}:${headers[H.SOURCE_OFFSET] ?? "?"}`
        const replay = typeof value["replay_count"] === "number" ? value["replay_count"] : 0
        let o = events.get(key)
        if (o === undefined) {
          o = { results: [], dlq: [], status: undefined, reason: undefined, succeeded: false }
          events.set(key, o)
        }
        const list = kind === "result" ? o.results : o.dlq
        while (list.length <= replay) list.push(0)
        list[replay] = (list[replay] ?? 0) + 1
        if (kind === "result") {
          results++
          const status = String(value["status"])
          if (replay + 1 >= o.results.length) o.status = status
          if (status === "succeeded") o.succeeded = true
        } else {
          deadLetters++
          if (replay + 1 >= o.dlq.length) o.reason = String(value["reason"])
        }
        options.onRecord?.({ kind, key, value, raw, headers, partition: batch.partition, offset: m.offset })
      }
      const last = batch.messages.at(-1)
      if (last !== undefined) advance(batch.topic, batch.partition, last.offset)
    }
  })

  const missing = (ids: Iterable<string>) => {
    const out: Array<string> = []
    for (const id of ids) if (!events.has(id)) out.push(id)
    return out
  }

  const endOffsets = async (): Promise<Map<string, bigint>> => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const out = new Map<string, bigint>()
      for (const topic of [topics.results, topics.dlq]) {
        for (const p of await admin.fetchTopicOffsets(topic)) out.set(`${topic}:${p.partition}`, BigInt(p.high))
      }
      return out
    } finally {
      await admin.disconnect()
    }
  }

  return {
    events,
    records: () => results + deadLetters,
    resultRecords: () => results,
    dlqRecords: () => deadLetters,
    missing,
    waitForAll: async (ids, { timeoutMs, done }) => {
      let pending: ReadonlyArray<string> = ids
      await waitFor(
        () => {
          pending = pending.filter((id) => {
            const o = events.get(id)
            return o === undefined || (done !== undefined && !done(o))
          })
          return pending.length === 0
        },
        {
          timeoutMs,
          intervalMs: 250,
          description: () =>
            `every event has an outcome (${pending.length} of ${ids.length} still missing, e.g. ${pending.slice(0, 5).join(", ")})`
        }
      )
    },
    caughtUp: async (timeoutMs = 60_000) => {
      const ends = await endOffsets()
      await waitFor(() => [...ends].every(([key, end]) => end === 0n || (position.get(key) ?? 0n) >= end), {
        timeoutMs,
        intervalMs: 200,
        description: () =>
          `outcome reader at the topics' end (${[...ends].map(([k, e]) => `${k} ${position.get(k) ?? 0n}/${e}`).join(", ")})`
      })
    },
    stop: () => consumer.disconnect()
  }
}
