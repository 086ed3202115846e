/**
 * What a replay publishes for one dead letter: the original event again, on the input
 * topic, with the DLQ record's key (per-key order holds) and these headers:
 * - `hookstream-replay-count`: the record's replay count + 1 (with `eventReplayCount`: the
 *   event's, when higher, so the count keeps meaning "replays of this event");
 * - `hookstream-only-modules`: the failed modules (unless the whole chain is asked for), so
 *   the modules that had succeeded are not called again;
 * - traceparent / tracestate / x-correlation-id carried over from the dead letter;
 * - `hookstream-replay-of`: where the dead letter sits, for the curious.
 * The envelope keeps everything it had, plus `id` set to the dead letter's event id: an
 * envelope without an id would otherwise get a new id derived from its new offset, and the
 * destinations' idempotency keys (`<webhook_id>:<event_id>:<module id>`) would change. Pure.
 */

import { type DlqEntry, formatCoordinate } from "../dlq/DlqEntry.ts"
import * as H from "../domain/KafkaHeaders.ts"

export interface ReplayMessage {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: Buffer | string
  readonly headers: Readonly<Record<string, string>>
}

export interface ReplayRecordOptions {
  readonly inputTopic: string
  /** re-run the whole chain instead of the failed modules only */
  readonly allModules: boolean
  /**
   * how many times the event was replayed, counted over all its dead letters (see
   * ReplayCounts.ts); default (or when lower): this dead letter's own replay count
   */
  readonly eventReplayCount?: number
}

export type ReplayDecision =
  | { readonly _tag: "Publish"; readonly message: ReplayMessage }
  /** the event was already replayed `replayCount` times (≥ --max-replays) */
  | { readonly _tag: "TooManyReplays"; readonly replayCount: number }
  /** the DLQ record is not a hookstream dead letter, or one kept without its event: nothing to replay */
  | { readonly _tag: "Undecodable"; readonly problem: string }

const CARRIED = [H.TRACEPARENT, H.TRACESTATE, H.CORRELATION_ID] as const

export const decideReplay = (
  entry: DlqEntry,
  options: ReplayRecordOptions & { readonly maxReplays?: number }
): ReplayDecision => {
  const record = entry.record
  if (record === undefined) return { _tag: "Undecodable", problem: entry.problem ?? "undecodable" }
  // too large to keep its event: nothing here to publish (the original is at record.source)
  if (record.event_omitted !== undefined) return { _tag: "Undecodable", problem: record.event_omitted.reason }
  const replayCount = Math.max(record.replay_count, options.eventReplayCount ?? 0)
  if (options.maxReplays !== undefined && replayCount >= options.maxReplays) {
    return { _tag: "TooManyReplays", replayCount }
  }
  const headers: Record<string, string> = {}
  for (const name of CARRIED) {
    const value = entry.headers[name]
    if (value !== undefined) headers[name] = value
  }
  headers[H.REPLAY_COUNT] = String(replayCount + 1)
  if (!options.allModules && record.failed_modules.length > 0) {
    headers[H.ONLY_MODULES] = record.failed_modules.join(",")
  }
  headers[H.REPLAY_OF] = formatCoordinate(entry.coordinate)
  const event = record.event
  const value =
    "raw" in event
      ? Buffer.from(event.raw, "base64")
      : JSON.stringify(
          event.id === undefined && record.event_id !== undefined ? { ...event, id: record.event_id } : event
        )
  return { _tag: "Publish", message: { topic: options.inputTopic, key: entry.key, value, headers } }
}
