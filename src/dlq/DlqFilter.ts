/**
 * Which dead letters an operator means: by webhook, reason, failed module, Kafka key,
 * event id, failure time and DLQ offset. Shared by `dlq stats|list|show`, `replay` and the
 * operator console, so every tool selects exactly the same records. Pure.
 */
import { type DlqReason, DlqReason as DlqReasonSchema } from "../domain/DeadLetterRecord.ts"
import { type DlqEntry, eventIdOf, failedAtOf, keyText, webhookIdOf } from "./DlqEntry.ts"
import { parseTimeSpec } from "./timeSpec.ts"

/** A start offset on one DLQ partition, or on every partition when `partition` is absent. */
export interface OffsetFloor {
  readonly partition?: number
  readonly offset: bigint
}

/** Empty lists and absent fields select everything; each list matches any of its values. */
export interface DlqFilter {
  readonly webhooks?: ReadonlyArray<string>
  readonly reasons?: ReadonlyArray<DlqReason>
  /** matches when any of these module ids is among the record's failed modules */
  readonly modules?: ReadonlyArray<string>
  /** the Kafka key, as UTF-8 */
  readonly keys?: ReadonlyArray<string>
  readonly eventIds?: ReadonlyArray<string>
  /** failed at or after, epoch ms */
  readonly since?: number
  /** failed before, epoch ms */
  readonly until?: number
  /** skip records below these DLQ offsets (also where reading starts) */
  readonly fromOffsets?: ReadonlyArray<OffsetFloor>
}

const some = <A>(list: ReadonlyArray<A> | undefined): list is ReadonlyArray<A> => list !== undefined && list.length > 0

/** Whether the filter looks into the record itself (undecodable records never match those). */
export const needsRecord = (filter: DlqFilter): boolean =>
  some(filter.webhooks) || some(filter.reasons) || some(filter.modules) || some(filter.eventIds)

/** The lowest offset the filter accepts on `partition` (0n when it says nothing). */
export const offsetFloor = (filter: DlqFilter, partition: number): bigint => {
  let floor = 0n
  for (const f of filter.fromOffsets ?? []) {
    if ((f.partition === undefined || f.partition === partition) && f.offset > floor) floor = f.offset
  }
  return floor
}

export const matches = (filter: DlqFilter, entry: DlqEntry): boolean => {
  if (BigInt(entry.coordinate.offset) < offsetFloor(filter, entry.coordinate.partition)) return false
  if (some(filter.keys)) {
    const key = keyText(entry)
    if (key === undefined || !filter.keys.includes(key)) return false
  }
  if (filter.since !== undefined || filter.until !== undefined) {
    const at = failedAtOf(entry)
    if (filter.since !== undefined && at < filter.since) return false
    if (filter.until !== undefined && at >= filter.until) return false
  }
  if (!needsRecord(filter)) return true
  const record = entry.record
  if (record === undefined) return false
  if (some(filter.reasons) && !filter.reasons.includes(record.reason)) return false
  if (some(filter.webhooks)) {
    const webhook = webhookIdOf(entry)
    if (webhook === undefined || !filter.webhooks.includes(webhook)) return false
  }
  if (some(filter.modules) && !record.failed_modules.some((m) => filter.modules?.includes(m))) return false
  if (some(filter.eventIds)) {
    const id = eventIdOf(entry)
    if (id === undefined || !filter.eventIds.includes(id)) return false
  }
  return true
}

/** What the command line gives: repeatable flags, each value possibly comma-separated. */
export interface FilterInput {
  readonly webhook?: ReadonlyArray<string>
  readonly reason?: ReadonlyArray<string>
  readonly module?: ReadonlyArray<string>
  readonly key?: ReadonlyArray<string>
  readonly since?: string
  readonly until?: string
  readonly fromOffset?: string
}

export type FilterParse =
  | { readonly _tag: "Ok"; readonly filter: DlqFilter }
  | { readonly _tag: "Invalid"; readonly message: string }

const splitList = (values: ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  (values ?? [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "")

const reasons = DlqReasonSchema.literals as ReadonlyArray<string>

/**
 * `--from-offset 42` (every partition) or `--from-offset 0:42,1:17` (per partition).
 * `undefined` when malformed.
 */
export const parseFromOffset = (text: string): ReadonlyArray<OffsetFloor> | undefined => {
  const floors: Array<OffsetFloor> = []
  for (const part of splitList([text])) {
    const m = /^(?:(\d{1,9}):)?(\d{1,19})$/.exec(part)
    if (m === null) return undefined
    floors.push(
      m[1] === undefined ? { offset: BigInt(m[2] ?? "0") } : { partition: Number(m[1]), offset: BigInt(m[2] ?? "0") }
    )
  }
  return floors.length === 0 ? undefined : floors
}

/** Validates and normalises command-line filters; messages name the flag. */
export const parseFilter = (input: FilterInput, now: number): FilterParse => {
  const invalid = (message: string): FilterParse => ({ _tag: "Invalid", message })
  const reasonList = splitList(input.reason)
  const unknown = reasonList.filter((r) => !reasons.includes(r))
  if (unknown.length > 0)
    return invalid(`--reason: unknown reason ${unknown.join(", ")} (one of ${reasons.join(", ")})`)
  let since: number | undefined
  let until: number | undefined
  if (input.since !== undefined) {
    since = parseTimeSpec(input.since, now)
    if (since === undefined)
      return invalid(`--since: not a time: ${input.since} (e.g. 2h, 7d, 2026-01-31, 2026-01-31T12:00:00Z)`)
  }
  if (input.until !== undefined) {
    until = parseTimeSpec(input.until, now)
    if (until === undefined) return invalid(`--until: not a time: ${input.until} (e.g. 30m, 2026-01-31T12:00:00Z)`)
  }
  if (since !== undefined && until !== undefined && until <= since) return invalid("--until must be later than --since")
  let fromOffsets: ReadonlyArray<OffsetFloor> | undefined
  if (input.fromOffset !== undefined) {
    fromOffsets = parseFromOffset(input.fromOffset)
    if (fromOffsets === undefined)
      return invalid(`--from-offset: expected OFFSET or PARTITION:OFFSET[,…], got ${input.fromOffset}`)
  }
  const filter: DlqFilter = {
    webhooks: splitList(input.webhook),
    reasons: reasonList as ReadonlyArray<DlqReason>,
    modules: splitList(input.module),
    keys: splitList(input.key),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(fromOffsets === undefined ? {} : { fromOffsets })
  }
  return { _tag: "Ok", filter }
}

/** One line describing a filter, for summaries and logs (`webhook=orders reason=chain_failed`). */
export const describeFilter = (filter: DlqFilter): string => {
  const parts: Array<string> = []
  if (some(filter.webhooks)) parts.push(`webhook=${filter.webhooks.join(",")}`)
  if (some(filter.reasons)) parts.push(`reason=${filter.reasons.join(",")}`)
  if (some(filter.modules)) parts.push(`module=${filter.modules.join(",")}`)
  if (some(filter.keys)) parts.push(`key=${filter.keys.join(",")}`)
  if (some(filter.eventIds)) parts.push(`event=${filter.eventIds.join(",")}`)
  if (filter.since !== undefined) parts.push(`since=${new Date(filter.since).toISOString()}`)
  if (filter.until !== undefined) parts.push(`until=${new Date(filter.until).toISOString()}`)
  for (const f of filter.fromOffsets ?? [])
    parts.push(`from-offset=${f.partition === undefined ? "" : `${f.partition}:`}${f.offset}`)
  return parts.length === 0 ? "all records" : parts.join(" ")
}
