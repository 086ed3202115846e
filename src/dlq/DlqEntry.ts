/**
 * One record of the DLQ topic as the operator tools see it: where it sits, its key and
 * headers, and the dead-letter record decoded with the wire schema. A record that does not
 * decode (another producer wrote to the topic, a future schema) is kept with the reason, so
 * listings show it and a replay can count it instead of silently dropping it.
 */
import { Schema } from "effect"
import { DeadLetterRecord } from "../domain/DeadLetterRecord.ts"
import type { ModuleOutcome } from "../domain/Outcome.ts"
import type { InputRecord } from "../kafka/InputRecord.ts"

/** A record as read from Kafka: the same shape the processor fetches. */
export type RawRecord = InputRecord

export interface Coordinate {
  readonly topic: string
  readonly partition: number
  readonly offset: string
}

export interface DlqEntry {
  readonly coordinate: Coordinate
  readonly key: Buffer | null
  readonly headers: Readonly<Record<string, string>>
  /** broker timestamp, epoch ms */
  readonly timestamp: number
  /** undefined when the value is not a `hookstream.dlq/v1` record; see `problem` */
  readonly record: DeadLetterRecord | undefined
  readonly problem?: string
}

const decodeRecord = Schema.decodeUnknownExit(DeadLetterRecord)

export const decodeDlqEntry = (raw: RawRecord): DlqEntry => {
  const base = {
    coordinate: { topic: raw.topic, partition: raw.partition, offset: raw.offset },
    key: raw.key,
    headers: raw.headers,
    timestamp: raw.timestamp
  }
  if (raw.value === null || raw.value.length === 0) return { ...base, record: undefined, problem: "empty value" }
  let parsed: unknown
  try {
    parsed = JSON.parse(raw.value.toString("utf8"))
  } catch {
    return { ...base, record: undefined, problem: "value is not JSON" }
  }
  const decoded = decodeRecord(parsed)
  if (decoded._tag === "Success") return { ...base, record: decoded.value }
  return { ...base, record: undefined, problem: "not a hookstream.dlq/v1 record" }
}

/** `topic:partition:offset`, the address `dlq show` takes. */
export const formatCoordinate = (c: Coordinate): string => `${c.topic}:${c.partition}:${c.offset}`

/**
 * Parses `topic:partition:offset` or `partition:offset` (the DLQ topic implied). Kafka topic
 * names cannot contain `:`, so the last two fields are always partition and offset.
 * Anything else is `undefined` (the caller then treats the text as an event id).
 */
export const parseCoordinate = (text: string, defaultTopic: string): Coordinate | undefined => {
  const parts = text.split(":")
  if (parts.length < 2 || parts.length > 3) return undefined
  const [offset, partition, topic] = [
    parts.at(-1) ?? "",
    parts.at(-2) ?? "",
    parts.length === 3 ? parts[0] : defaultTopic
  ]
  if (!/^\d{1,9}$/.test(partition) || !/^\d{1,19}$/.test(offset)) return undefined
  if (topic === undefined || !/^[a-zA-Z0-9._-]+$/.test(topic)) return undefined
  return { topic, partition: Number(partition), offset: BigInt(offset).toString() }
}

/** The webhook id of an entry, from the record or its event. */
export const webhookIdOf = (entry: DlqEntry): string | undefined => {
  const record = entry.record
  if (record === undefined) return undefined
  return record.webhook_id ?? ("webhook_id" in record.event ? record.event.webhook_id : undefined)
}

/** The event id of an entry: the record's, else the envelope's own. */
export const eventIdOf = (entry: DlqEntry): string | undefined => {
  const record = entry.record
  if (record === undefined) return undefined
  return record.event_id ?? ("id" in record.event ? record.event.id : undefined)
}

/** When the event failed (the record's `failed_at`), else when the broker stored it. Epoch ms. */
export const failedAtOf = (entry: DlqEntry): number => {
  const at = entry.record === undefined ? Number.NaN : Date.parse(entry.record.failed_at)
  return Number.isNaN(at) ? entry.timestamp : at
}

export const keyText = (entry: DlqEntry): string | undefined => entry.key?.toString("utf8")

/**
 * Statuses that are consequences of another module's failure, not causes: a sibling
 * interrupted because another step failed, a step never started because an earlier one failed.
 */
const isConsequence = (status: string): boolean => status === "interrupted" || status === "skipped"

/**
 * The module whose failure ended the chain: the first in chain order that failed by itself
 * (failed, timed out, circuit open), not one interrupted or skipped because of it.
 */
export const rootCauseOf = (entry: DlqEntry): ModuleOutcome | undefined => {
  const modules = entry.record?.result?.modules ?? []
  return (
    modules.find((m) => m.status !== "succeeded" && !isConsequence(m.status) && m.error !== undefined) ??
    modules.find((m) => m.status !== "succeeded" && m.error !== undefined)
  )
}

/** Why the event was dead-lettered: the record's own error, else the root-cause module's (see rootCauseOf). */
export const errorMessageOf = (entry: DlqEntry): string | undefined => {
  const record = entry.record
  if (record === undefined) return entry.problem
  if (record.error !== undefined) return record.error.message
  const cause = rootCauseOf(entry)
  return cause?.error === undefined ? undefined : `${cause.id}: ${cause.error.message}`
}

/** One line's worth of a dead letter, as `dlq list` prints it (JSON and table alike). */
export interface EntrySummary {
  readonly coordinate: string
  readonly failed_at: string
  readonly reason?: string
  readonly webhook_id?: string
  readonly event_id?: string
  readonly failed_modules: ReadonlyArray<string>
  readonly replay_count?: number
  readonly key?: string
  readonly error?: string
  /** set when the record is not a hookstream dead letter */
  readonly problem?: string
}

export const summarizeEntry = (entry: DlqEntry): EntrySummary => {
  const record = entry.record
  const webhookId = webhookIdOf(entry)
  const eventId = eventIdOf(entry)
  const key = keyText(entry)
  const error = errorMessageOf(entry)
  return {
    coordinate: formatCoordinate(entry.coordinate),
    failed_at: new Date(failedAtOf(entry)).toISOString(),
    ...(record === undefined ? {} : { reason: record.reason }),
    ...(webhookId === undefined ? {} : { webhook_id: webhookId }),
    ...(eventId === undefined ? {} : { event_id: eventId }),
    failed_modules: record?.failed_modules ?? [],
    ...(record === undefined ? {} : { replay_count: record.replay_count }),
    ...(key === undefined ? {} : { key }),
    ...(error === undefined ? {} : { error }),
    ...(entry.problem === undefined ? {} : { problem: entry.problem })
  }
}

/** Everything about one dead letter, as `dlq show` prints it. */
export const entryDetail = (entry: DlqEntry) => ({
  coordinate: formatCoordinate(entry.coordinate),
  timestamp: new Date(entry.timestamp).toISOString(),
  key: keyText(entry) ?? null,
  headers: entry.headers,
  ...(entry.record === undefined ? { problem: entry.problem ?? "undecodable" } : { record: entry.record })
})
