/**
 * How many times each event (by id) has been replayed, for `--max-replays`. A replay
 * publishes an event with `hookstream-replay-count` one higher, and an event that fails again
 * comes back to the DLQ with that count, so the DLQ itself says how often an event was
 * replayed: the highest replay count among its dead letters. Counting per dead letter instead
 * let an unnamed replay republish an event's first dead letter (count 0) after its third
 * generation (count 2) was skipped. This run's own publications count too, so a run that
 * selects two dead letters of one event publishes it once.
 *
 * Only events replayed at least once are held (a never-replayed event counts 0), so the map
 * is as large as the replayed part of the DLQ plus what this run publishes. Pure.
 */
import { type DlqEntry, eventIdOf, type RawRecord } from "../dlq/DlqEntry.ts"
import { parseReplayCount, REPLAY_COUNT } from "../domain/KafkaHeaders.ts"

export interface ReplayCounts {
  /** a dead letter of the DLQ (the counting pass): its event was replayed at least its replay count times */
  readonly see: (eventId: string, replayCount: number) => void
  /** how many times the event was replayed: the highest count seen, raised by this run's publications */
  readonly countOf: (eventId: string) => number
  /** this run published the event as replay number `replayCount` */
  readonly published: (eventId: string, replayCount: number) => void
  /** events held (replayed at least once) */
  readonly size: () => number
}

export const makeReplayCounts = (): ReplayCounts => {
  const counts = new Map<string, number>()
  const raise = (eventId: string, count: number) => {
    if (count > (counts.get(eventId) ?? 0)) counts.set(eventId, count)
  }
  return {
    see: raise,
    countOf: (eventId) => counts.get(eventId) ?? 0,
    published: raise,
    size: () => counts.size
  }
}

/**
 * Whether a raw DLQ record can matter to the counts, read from its header without parsing the
 * value: the processor writes `hookstream-replay-count` on every dead letter, and a 0 there
 * (the great majority) adds nothing. A record without the header is parsed to be sure.
 */
export const mayCount = (raw: RawRecord): boolean => {
  const header = raw.headers[REPLAY_COUNT]
  return header === undefined || parseReplayCount(header) > 0
}

/** Adds one decoded dead letter to the counts (records without an event id cannot be counted by id). */
export const countEntry = (counts: ReplayCounts, entry: DlqEntry): void => {
  const record = entry.record
  if (record === undefined || record.replay_count === 0) return
  const id = eventIdOf(entry)
  if (id !== undefined) counts.see(id, record.replay_count)
}
