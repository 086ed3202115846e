/**
 * An event's trail as JSON: what `hookstream event --json` prints and the console's search
 * receives. The same fields for both; the console passes its own `show` functions so events
 * and dead letters are redacted before they leave the process. Pure.
 */
import { type DlqEntry, entryDetail, errorMessageOf, formatCoordinate } from "../dlq/DlqEntry.ts"
import type { DeadLetterHit, EventHit, EventTrail, InputHit } from "./findEvent.ts"

export interface TrailShow {
  /** the input record's envelope */
  readonly event: (hit: InputHit) => unknown
  /** the whole dead letter (coordinate, key, headers, record) */
  readonly deadLetter: (entry: DlqEntry) => unknown
}

/** Everything as it is on the topics (the CLI: an operator reading their own topics). */
export const showAll: TrailShow = { event: (hit) => hit.event, deadLetter: entryDetail }

const iso = (ms: number): string => new Date(ms).toISOString()

const hitJson = (hit: EventHit, show: TrailShow) => {
  const base = { kind: hit.kind, at: iso(hit.at), coordinate: formatCoordinate(hit.coordinate) }
  switch (hit.kind) {
    case "input":
      return {
        ...base,
        replay_count: hit.replayCount,
        ...(hit.replayOf === undefined ? {} : { replay_of: hit.replayOf }),
        key: hit.key,
        event: show.event(hit)
      }
    case "result":
      return { ...base, replay_count: hit.record.replay_count, status: hit.record.status, record: hit.record }
    case "dead_letter":
      return deadLetterJson(base, hit, show)
  }
}

const deadLetterJson = (base: object, hit: DeadLetterHit, show: TrailShow) => {
  const record = hit.entry.record
  const error = errorMessageOf(hit.entry)
  return {
    ...base,
    ...(record === undefined ? {} : { replay_count: record.replay_count, reason: record.reason }),
    ...(error === undefined ? {} : { error }),
    dead_letter: show.deadLetter(hit.entry)
  }
}

export const eventTrailJson = (trail: EventTrail, show: TrailShow = showAll) => ({
  event_id: trail.eventId,
  found: trail.hits.length > 0,
  scanned_from: trail.from === undefined ? null : iso(trail.from),
  scanned_from_why: trail.fromWhy,
  scanned: trail.scanned,
  records: trail.hits.map((hit) => hitJson(hit, show))
})
