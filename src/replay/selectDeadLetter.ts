import { decodeDlqEntry, eventIdOf, formatCoordinate, type RawRecord } from "../dlq/DlqEntry.ts"
import { type DlqFilter, matches } from "../dlq/DlqFilter.ts"
import * as H from "../domain/KafkaHeaders.ts"
import type { ReplayCounts } from "./ReplayCounts.ts"
import type { ReplayOptions } from "./ReplayOptions.ts"
import type { ReplayTally } from "./ReplayTally.ts"
import { decideReplay, type ReplayMessage } from "./replayRecord.ts"

/** How a run selects dead letters, fixed for the run. */
export interface DeadLetterSelection {
  readonly filter: DlqFilter
  readonly inputTopic: string
  readonly allModules: boolean
  readonly maxReplays: number | undefined
  readonly sampleSize: number
  /** each event's replay count (--max-replays), raised by this run's publications */
  readonly counts: ReplayCounts | undefined
}

export const deadLetterSelection = (options: ReplayOptions, counts: ReplayCounts | undefined): DeadLetterSelection => ({
  filter: options.filter ?? {},
  inputTopic: options.inputTopic,
  allModules: options.allModules ?? false,
  maxReplays: options.maxReplays,
  sampleSize: options.sampleSize ?? 5,
  counts
})

/** Decides one DLQ record and counts it in the tally; answers what to publish for it, if anything. */
export const selectDeadLetter = (
  raw: RawRecord,
  selection: DeadLetterSelection,
  tally: ReplayTally
): ReplayMessage | undefined => {
  const entry = decodeDlqEntry(raw)
  if (!matches(selection.filter, entry)) return undefined
  tally.matched++
  tally.selected.add(entry)
  const { counts, maxReplays } = selection
  const eventId = counts === undefined ? undefined : eventIdOf(entry)
  const decision = decideReplay(entry, {
    inputTopic: selection.inputTopic,
    allModules: selection.allModules,
    ...(maxReplays === undefined ? {} : { maxReplays }),
    ...(counts === undefined || eventId === undefined ? {} : { eventReplayCount: counts.countOf(eventId) })
  })
  if (decision._tag === "Undecodable") {
    tally.undecodable++
    return undefined
  }
  if (decision._tag === "TooManyReplays") {
    tally.tooManyReplays++
    if (tally.skipped.length < 100) {
      const id = eventIdOf(entry)
      tally.skipped.push({
        coordinate: formatCoordinate(entry.coordinate),
        ...(id === undefined ? {} : { eventId: id }),
        replayCount: decision.replayCount
      })
    }
    return undefined
  }
  // counted as published when decided: a dry run says what the real run would do
  if (counts !== undefined && eventId !== undefined)
    counts.published(eventId, H.parseReplayCount(decision.message.headers[H.REPLAY_COUNT]))
  if (tally.sample.length < selection.sampleSize) tally.sample.push(entry)
  return decision.message
}
