/**
 * "Where is my event": every record of one event id on the input, results and dead-letter
 * topics: how it came in (and each replay of it), each result record, each dead letter. What
 * `hookstream event <id>` prints and the console's search answers; both call `findEvent`.
 *
 * Reading whole topics to find one id costs what the topics hold, so the scan starts at a
 * time where it can: `since` when given, else the time inside the id when it is a ULID (the
 * ingress's and `hookstream send`'s default ids), minus a margin for clock skew between the
 * machine that made the id and the producers' clocks that stamped the records. Kafka finds
 * the first offset at that time per partition (ListOffsets by timestamp), and the scan ends
 * at the offsets the topics had when it started. A record is parsed only if its bytes
 * contain the id.
 */
import { Effect, Schema, Stream } from "effect"
import type { Kafka } from "kafkajs"
import { type Coordinate, type DlqEntry, decodeDlqEntry, eventIdOf, failedAtOf } from "../dlq/DlqEntry.ts"
import { parseReplayCount, REPLAY_COUNT, REPLAY_OF } from "../domain/KafkaHeaders.ts"
import { ResultRecord } from "../domain/ResultRecord.ts"
import { ulidTime } from "../ingress/eventId.ts"
import type { InputRecord } from "../kafka/InputRecord.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { type PartitionRange, readTopic, topicOffsets, withAdmin } from "../kafka/TopicReader.ts"

export interface EventTopics {
  readonly input: string
  readonly results: string
  readonly dlq: string
}

/** How far before a ULID's own time the scan starts */
export const ULID_SKEW_MS = 5 * 60_000

export interface FindEventOptions {
  readonly eventId: string
  readonly topics: EventTopics
  /** epoch ms: read only records stored at or after this time */
  readonly since?: number
}

/** The event as it arrived on the input topic: the first time, or once per replay. */
export interface InputHit {
  readonly kind: "input"
  readonly at: number
  readonly coordinate: Coordinate
  readonly key: string | null
  readonly headers: Readonly<Record<string, string>>
  readonly replayCount: number
  /** the dead letter a replay re-published, `topic:partition:offset` */
  readonly replayOf?: string
  /** the envelope as JSON; undefined when the value is not JSON */
  readonly event: unknown
}

export interface ResultHit {
  readonly kind: "result"
  readonly at: number
  readonly coordinate: Coordinate
  readonly record: ResultRecord
}

export interface DeadLetterHit {
  readonly kind: "dead_letter"
  readonly at: number
  readonly coordinate: Coordinate
  readonly entry: DlqEntry
}

export type EventHit = InputHit | ResultHit | DeadLetterHit

export interface EventTrail {
  readonly eventId: string
  /** epoch ms where the scan started, undefined when it read the topics from their start */
  readonly from: number | undefined
  readonly fromWhy: "since" | "event id time" | "whole topics"
  /** newest first */
  readonly hits: ReadonlyArray<EventHit>
  /** records read per topic */
  readonly scanned: Readonly<Record<string, number>>
}

/** Where the scan starts, and why. */
export const scanStart = (
  eventId: string,
  since: number | undefined
): { readonly from: number | undefined; readonly why: EventTrail["fromWhy"] } => {
  if (since !== undefined) return { from: since, why: "since" }
  const made = ulidTime(eventId)
  return made === undefined
    ? { from: undefined, why: "whole topics" }
    : { from: made - ULID_SKEW_MS, why: "event id time" }
}

const decodeResult = Schema.decodeUnknownOption(ResultRecord)

const parseJson = (value: Buffer): unknown => {
  try {
    return JSON.parse(value.toString("utf8"))
  } catch {
    return undefined
  }
}

const coordinateOf = (r: InputRecord): Coordinate => ({ topic: r.topic, partition: r.partition, offset: r.offset })

/**
 * An event without an id of its own is named after where it sits (`<topic>-<partition>-<offset>`,
 * see domain/EventId.ts): its input record is at that coordinate, and holds no id to search for.
 */
export const derivedCoordinate = (eventId: string, inputTopic: string): Coordinate | undefined => {
  if (!eventId.startsWith(`${inputTopic}-`)) return undefined
  const match = /^(\d{1,9})-(\d{1,19})$/.exec(eventId.slice(inputTopic.length + 1))
  return match === null ? undefined : { topic: inputTopic, partition: Number(match[1]), offset: match[2] as string }
}

/** The hit a record is for `eventId`, if it is one. `kind` says which topic it came from. */
export const hitOf = (kind: EventHit["kind"], eventId: string, r: InputRecord): EventHit | undefined => {
  if (r.value === null) return undefined
  if (kind === "dead_letter") {
    const entry = decodeDlqEntry(r)
    return eventIdOf(entry) === eventId
      ? { kind, at: failedAtOf(entry), coordinate: entry.coordinate, entry }
      : undefined
  }
  const parsed = parseJson(r.value)
  if (kind === "result") {
    const record = decodeResult(parsed)
    if (record._tag === "None" || record.value.event_id !== eventId) return undefined
    const at = Date.parse(record.value.finished_at)
    return { kind, at: Number.isNaN(at) ? r.timestamp : at, coordinate: coordinateOf(r), record: record.value }
  }
  if (typeof parsed !== "object" || parsed === null) return undefined
  const ownId = (parsed as { readonly id?: unknown }).id
  const derived = ownId === undefined ? derivedCoordinate(eventId, r.topic) : undefined
  const atDerived = derived !== undefined && derived.partition === r.partition && derived.offset === r.offset
  if (ownId !== eventId && !atDerived) return undefined
  const replayOf = r.headers[REPLAY_OF]
  return {
    kind,
    at: r.timestamp,
    coordinate: coordinateOf(r),
    key: r.key?.toString("utf8") ?? null,
    headers: r.headers,
    replayCount: parseReplayCount(r.headers[REPLAY_COUNT]),
    ...(replayOf === undefined ? {} : { replayOf }),
    event: parsed
  }
}

/** Per partition: from the first offset at `from` (or the log start) to the end now. */
const rangesOf = (kafka: Kafka, topic: string, from: number | undefined) =>
  Effect.gen(function* () {
    const offsets = yield* topicOffsets(kafka, topic)
    if (from === undefined)
      return offsets.map((o): PartitionRange => ({ partition: o.partition, start: o.low, end: o.end }))
    const at = yield* withAdmin(kafka, "admin.fetchTopicOffsetsByTimestamp", (admin) =>
      admin.fetchTopicOffsetsByTimestamp(topic, from)
    )
    const startOf = new Map(at.map((p) => [p.partition, BigInt(p.offset)]))
    return offsets.map((o): PartitionRange => {
      const start = startOf.get(o.partition) ?? BigInt(o.low)
      // no record at or after `from`: Kafka answers the end, and there is nothing to read
      const clamped = start < BigInt(o.low) ? BigInt(o.low) : start > BigInt(o.end) ? BigInt(o.end) : start
      return { partition: o.partition, start: clamped.toString(), end: o.end }
    })
  })

/** The ranges, plus the derived id's own record when the time range does not cover it. */
const withDerived = (
  ranges: ReadonlyArray<PartitionRange>,
  at: Coordinate | undefined
): ReadonlyArray<PartitionRange> => {
  if (at === undefined) return ranges
  const offset = BigInt(at.offset)
  return ranges.map((r) =>
    r.partition !== at.partition || offset >= BigInt(r.end) || offset >= BigInt(r.start)
      ? r
      : { ...r, start: at.offset }
  )
}

const scanTopic = (kafka: Kafka, topic: string, kind: EventHit["kind"], eventId: string, from: number | undefined) =>
  Effect.gen(function* () {
    // the id as it appears inside JSON: records without these bytes are never parsed
    const needle = Buffer.from(JSON.stringify(eventId).slice(1, -1))
    const derived = kind === "input" ? derivedCoordinate(eventId, topic) : undefined
    const ranges = withDerived(yield* rangesOf(kafka, topic, from), derived)
    let scanned = 0
    const hits: Array<EventHit> = []
    yield* readTopic(kafka, { topic, ranges, clientGroupPrefix: "hookstream-event" }).pipe(
      Stream.runForEach((batch) =>
        Effect.sync(() => {
          scanned += batch.records.length
          for (const r of batch.records) {
            const at = derived !== undefined && r.partition === derived.partition && r.offset === derived.offset
            if (r.value === null || (!at && r.value.indexOf(needle) < 0)) continue
            const hit = hitOf(kind, eventId, r)
            if (hit !== undefined) hits.push(hit)
          }
        })
      )
    )
    return { topic, scanned, hits }
  })

/** Among records of the same instant, what was published last comes first (a dead letter follows its result). */
const RANK: Record<EventHit["kind"], number> = { dead_letter: 0, result: 1, input: 2 }

export const findEvent = (kafka: Kafka, options: FindEventOptions): Effect.Effect<EventTrail, KafkaError> =>
  Effect.gen(function* () {
    const { eventId, topics } = options
    const start = scanStart(eventId, options.since)
    const scans = yield* Effect.all(
      [
        scanTopic(kafka, topics.input, "input", eventId, start.from),
        scanTopic(kafka, topics.results, "result", eventId, start.from),
        scanTopic(kafka, topics.dlq, "dead_letter", eventId, start.from)
      ],
      { concurrency: "unbounded" }
    )
    const hits = scans.flatMap((s) => s.hits).sort((a, b) => b.at - a.at || RANK[a.kind] - RANK[b.kind])
    return {
      eventId,
      from: start.from,
      fromWhy: start.why,
      hits,
      scanned: Object.fromEntries(scans.map((s) => [s.topic, s.scanned]))
    }
  })
