/**
 * Dead letters as the console shows them: the filter from a query string (parsed by the
 * same `parseFilter` as the CLI flags), one pass over the DLQ for the stats and the newest
 * matching entries (only until the console's in-memory index runs, see DlqIndex.ts), and one
 * record with every secret redacted: payload and header keys that
 * name credentials (plus the stream's own `redaction` settings), and undecodable bytes,
 * which are never shown at all.
 */
import { Effect, Stream } from "effect"
import type { Kafka } from "kafkajs"
import type { StreamDefinition } from "../config/StreamDefinition.ts"
import {
  type DlqEntry,
  type EntrySummary,
  failedAtOf,
  formatCoordinate,
  keyText,
  summarizeEntry
} from "../dlq/DlqEntry.ts"
import { type DlqFilter, type FilterInput, type FilterParse, parseFilter } from "../dlq/DlqFilter.ts"
import { type DlqStats, makeStatsAccumulator } from "../dlq/DlqStats.ts"
import { readDlq } from "../dlq/readDlq.ts"
import { defaultRedactor, REDACTED, type Redactor, streamRedactor } from "../domain/redact.ts"
import type { WebhookEvent } from "../domain/WebhookEvent.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { timeline } from "./timeline.ts"

/** `?webhook=a,b&reason=…&module=…&key=…&since=2h&until=…` → a filter, or why not. */
export const filterFromQuery = (query: Readonly<Record<string, unknown>>, now: number): FilterParse => {
  const text = (name: string): string | undefined => {
    const v = query[name]
    return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined
  }
  const list = (name: string) => {
    const v = text(name)
    return v === undefined ? [] : [v]
  }
  const since = text("since")
  const until = text("until")
  const input: FilterInput = {
    webhook: list("webhook"),
    reason: list("reason"),
    module: list("module"),
    key: list("key"),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until })
  }
  const parsed = parseFilter(input, now)
  // the CLI's messages name flags; here they name the filter fields
  return parsed._tag === "Ok" ? parsed : { _tag: "Invalid", message: parsed.message.replace(/^--/, "") }
}

export interface DlqPage {
  readonly stats: DlqStats
  /** newest first */
  readonly entries: ReadonlyArray<EntrySummary>
  /** dead letters per time bucket over the matching set (for the chart) */
  readonly timeline: ReadonlyArray<{ readonly t: number; readonly count: number }>
  readonly bucketMs: number
}

export { timeline }

/** One read of the DLQ: stats of the matching records and the `limit` newest of them. */
export const dlqPage = (
  kafka: Kafka,
  topic: string,
  filter: DlqFilter,
  limit: number,
  now: number
): Effect.Effect<DlqPage, KafkaError> =>
  Effect.suspend(() => {
    const stats = makeStatsAccumulator(now)
    const newest: Array<DlqEntry> = []
    const times: Array<number> = []
    return readDlq(kafka, { topic, filter }).pipe(
      Stream.runForEach((entry) =>
        Effect.sync(() => {
          stats.add(entry)
          // a DLQ read is in offset order per partition only: keep the newest by failure time
          newest.push(entry)
          if (newest.length > limit * 2) trimNewest(newest, limit)
          times.push(failedAtOf(entry))
        })
      ),
      Effect.map(() => {
        trimNewest(newest, limit)
        return { stats: stats.result(), entries: newest.map(summarizeEntry), ...timeline(times, now) }
      })
    )
  })

const trimNewest = (entries: Array<DlqEntry>, limit: number) => {
  entries.sort((a, b) => failedAtOf(b) - failedAtOf(a))
  entries.length = Math.min(entries.length, limit)
}

/** The redactor for a stream's records: the built-in names plus the stream's own settings. */
export const streamRedactors = (streams: ReadonlyArray<StreamDefinition>) => {
  const byId = new Map<string, { readonly redactor: Redactor; readonly wholePayload: boolean }>(
    streams.map((s) => [s.plan.webhookId, { redactor: streamRedactor(s.redaction), wholePayload: s.redaction.payload }])
  )
  return (webhookId: string | undefined) =>
    (webhookId === undefined ? undefined : byId.get(webhookId)) ?? { redactor: defaultRedactor, wholePayload: false }
}

/** One dead letter for the record view: everything an operator needs, no secret. */
export const redactedEntry = (entry: DlqEntry, redactorFor: ReturnType<typeof streamRedactors>) => {
  const base = {
    coordinate: formatCoordinate(entry.coordinate),
    timestamp: new Date(entry.timestamp).toISOString(),
    key: keyText(entry) ?? null
  }
  const record = entry.record
  if (record === undefined) return { ...base, problem: entry.problem ?? "undecodable" }
  const event = record.event
  const { redactor } = redactorFor("webhook_id" in event ? event.webhook_id : record.webhook_id)
  return {
    ...base,
    headers: redactor.redactHeaders(entry.headers),
    record: { ...record, event: redactedEvent(event, record.webhook_id, redactorFor) }
  }
}

/**
 * An envelope for display: payload and headers redacted with its stream's settings; raw bytes
 * (an undecodable record) only as their size. `fallbackWebhookId` picks the stream when the
 * envelope does not name one.
 */
export const redactedEvent = (
  event: WebhookEvent | { readonly raw: string },
  fallbackWebhookId: string | undefined,
  redactorFor: ReturnType<typeof streamRedactors>
) => {
  if (!("webhook_id" in event)) return { raw: `(${Buffer.byteLength(event.raw, "base64")} bytes, not shown)` }
  const { redactor, wholePayload } = redactorFor(event.webhook_id ?? fallbackWebhookId)
  return {
    ...event,
    payload: wholePayload ? REDACTED : redactor.redact(event.payload),
    ...(event.headers === undefined ? {} : { headers: redactor.redactHeaders(event.headers) })
  }
}
