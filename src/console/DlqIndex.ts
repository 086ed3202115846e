/**
 * The console's in-memory view of the DLQ: one compact row per dead letter (where it is, when
 * it failed, webhook, reason, failed modules, replay count, a hash of its key, its error), in
 * typed-array columns of fixed-size chunks, ~50 bytes a row whatever the record's size, so a
 * million dead letters take ~50 MB and no record is held. Strings (webhooks, module sets,
 * errors) are interned. A page load or a filter change is one pass over the columns, never a
 * read of the topic; a record view fetches its one record by coordinates. Pure: the tail
 * (dlqTail.ts) feeds it rows.
 *
 * It answers what the page asks with the same rules as `dlq stats`: the same filter semantics
 * (`matches` in DlqFilter.ts: undecodable records never match a filter that looks into the
 * record) and the same stats shape and order (`statsOf`). A key filter compares a 53-bit hash
 * of the key (a false match is about one in 10^10 per million records). Errors past
 * MAX_ERRORS distinct texts are not kept: their rows say so and the record view shows them.
 */

import type { EntrySummary } from "../dlq/DlqEntry.ts"
import type { DlqFilter } from "../dlq/DlqFilter.ts"
import { AGE_BUCKETS, type AgeBucket, type DlqStats, statsOf } from "../dlq/DlqStats.ts"
import type { DlqReason } from "../domain/DeadLetterRecord.ts"
import { DlqReason as DlqReasonSchema } from "../domain/DeadLetterRecord.ts"
import { makeInterner, makeTextArena } from "./textColumns.ts"
import { timelineFrame } from "./timeline.ts"

/** One dead letter as the index keeps it (dlqTail.ts builds it from a record). */
export interface IndexRow {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly failedAt: number
  /** undefined: not a hookstream dead letter (see `problem`) */
  readonly reason: DlqReason | undefined
  /** the dead letter's event id, as `dlq list` shows it */
  readonly eventId: string | undefined
  /** the record's or its event's; undefined for an event without one */
  readonly webhookId: string | undefined
  readonly failedModules: ReadonlyArray<string>
  readonly replayCount: number
  readonly key: string | undefined
  /** the error that ended the chain, or for an undecodable record what is wrong with it */
  readonly error: string | undefined
}

const REASONS = DlqReasonSchema.literals as ReadonlyArray<DlqReason>
/** in the order of `ageBucket`'s thresholds (< 1h, < 24h, < 7d, older) */
const AGES: ReadonlyArray<AgeBucket> = AGE_BUCKETS
const UNDECODABLE = 255
const CHUNK = 65_536
export const MAX_ERRORS = 100_000
const NO_ERROR = 0
const ERROR_NOT_KEPT = 1
const NO_KEY = -1

/** cyrb53: a fast 53-bit string hash (an exact number), so a key filter needs no key in memory */
export const keyHash = (text: string): number => {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

const makeChunk = () => ({
  failedAt: new Float64Array(CHUNK),
  offset: new Float64Array(CHUNK),
  keyHash: new Float64Array(CHUNK),
  partition: new Uint32Array(CHUNK),
  webhook: new Uint32Array(CHUNK),
  modules: new Uint32Array(CHUNK),
  error: new Uint32Array(CHUNK),
  replay: new Uint16Array(CHUNK),
  reason: new Uint8Array(CHUNK),
  /** where the event id starts in the text arena, and its length in bytes (0: none) */
  eventAt: new Uint32Array(CHUNK),
  eventLength: new Uint16Array(CHUNK)
})

export interface IndexQuery {
  readonly stats: DlqStats
  /** newest first */
  readonly entries: ReadonlyArray<EntrySummary>
  readonly timeline: ReadonlyArray<{ readonly t: number; readonly count: number }>
  readonly bucketMs: number
}

/** The filters the index answers (the console's): not event ids, not offsets. */
export const indexAnswers = (filter: DlqFilter): boolean =>
  (filter.eventIds ?? []).length === 0 && (filter.fromOffsets ?? []).length === 0

export const makeDlqIndex = (topic: string) => {
  const chunks: Array<ReturnType<typeof makeChunk>> = []
  let size = 0
  const webhooks = makeInterner(["(undecodable event)"])
  const moduleSets = makeInterner([""])
  const moduleLists: Array<ReadonlyArray<string>> = [[]]
  const errors = makeInterner(["", "(not kept in memory: open the record)"])
  const eventIds = makeTextArena()
  /** per partition: rows below this offset were removed by retention */
  const low = new Map<number, number>()

  const add = (row: IndexRow): void => {
    const at = size % CHUNK
    if (at === 0) chunks.push(makeChunk())
    const c = chunks[chunks.length - 1]
    if (c === undefined) return
    c.failedAt[at] = row.failedAt
    c.offset[at] = row.offset
    c.partition[at] = row.partition
    c.keyHash[at] = row.key === undefined ? NO_KEY : keyHash(row.key)
    c.reason[at] = row.reason === undefined ? UNDECODABLE : REASONS.indexOf(row.reason)
    c.webhook[at] = row.webhookId === undefined ? 0 : webhooks.id(row.webhookId)
    const set = [...new Set(row.failedModules)]
    const setKey = set.join("\u0000")
    const before = moduleSets.size()
    c.modules[at] = moduleSets.id(setKey)
    if (moduleSets.size() > before) moduleLists.push(set)
    c.replay[at] = Math.min(row.replayCount, 65_535)
    const [eventAt, eventLength] = row.eventId === undefined ? [0, 0] : eventIds.put(row.eventId)
    c.eventAt[at] = eventAt
    c.eventLength[at] = eventLength
    c.error[at] =
      row.error === undefined
        ? NO_ERROR
        : (errors.find(row.error) ?? (errors.size() < MAX_ERRORS ? errors.id(row.error) : ERROR_NOT_KEPT))
    size++
  }

  /** Everything below `offset` on `partition` is gone from the topic (retention): no longer counted. */
  const retainFrom = (partition: number, offset: number) => low.set(partition, offset)

  const query = (filter: DlqFilter, limit: number, now: number): IndexQuery => {
    const some = (l: ReadonlyArray<unknown> | undefined) => l !== undefined && l.length > 0
    const looksInside = some(filter.webhooks) || some(filter.reasons) || some(filter.modules)
    const webhookOk = some(filter.webhooks)
      ? new Set((filter.webhooks ?? []).flatMap((w) => webhooks.find(w) ?? []))
      : undefined
    const reasonOk = some(filter.reasons) ? new Set((filter.reasons ?? []).map((r) => REASONS.indexOf(r))) : undefined
    const modulesOk = some(filter.modules)
      ? new Set(moduleLists.flatMap((list, i) => (list.some((m) => filter.modules?.includes(m)) ? [i] : [])))
      : undefined
    const keyOk = some(filter.keys) ? new Set((filter.keys ?? []).map(keyHash)) : undefined
    const since = filter.since ?? Number.NEGATIVE_INFINITY
    const until = filter.until ?? Number.POSITIVE_INFINITY
    const lows = [...low.entries()]
    const lowOf = new Float64Array(lows.reduce((n, [p]) => Math.max(n, p + 1), 0))
    for (const [p, o] of lows) lowOf[p] = o

    let total = 0
    let undecodable = 0
    let oldest = Number.POSITIVE_INFINITY
    let newest = Number.NEGATIVE_INFINITY
    // counts by interned id in typed arrays: a million rows cost array increments, not map updates
    const byWebhook = new Float64Array(webhooks.size())
    const byReason = new Float64Array(256)
    const bySet = new Float64Array(moduleSets.size())
    const byReplay = new Float64Array(65_536)
    const ages = new Float64Array(AGES.length)
    // failure times of the matching rows, for the timeline (its buckets depend on the oldest)
    const matchedAt = new Float64Array(size)
    // the newest `limit` rows as [failedAt, row] pairs, newest first; rows are read newest
    // (last added) first, so the list fills early and older rows rarely get in
    const top: Array<number> = []
    for (let ci = chunks.length - 1; ci >= 0; ci--) {
      const c = chunks[ci]
      if (c === undefined) continue
      const { failedAt, offset, partition, keyHash: keys, reason: reasonOf, webhook, modules, replay } = c
      for (let j = Math.min(CHUNK, size - ci * CHUNK) - 1; j >= 0; j--) {
        if ((offset[j] ?? 0) < (lowOf[partition[j] ?? 0] ?? 0)) continue
        const at = failedAt[j] ?? 0
        if (at < since || at >= until) continue
        if (keyOk !== undefined && !keyOk.has(keys[j] ?? NO_KEY)) continue
        const reason = reasonOf[j] ?? UNDECODABLE
        if (looksInside) {
          if (reason === UNDECODABLE) continue
          if (reasonOk !== undefined && !reasonOk.has(reason)) continue
          if (webhookOk !== undefined && !webhookOk.has(webhook[j] ?? 0)) continue
          if (modulesOk !== undefined && !modulesOk.has(modules[j] ?? 0)) continue
        }
        const i = ci * CHUNK + j
        matchedAt[total++] = at
        if (at < oldest) oldest = at
        if (at > newest) newest = at
        const age = now - at
        bump(ages, age < 3_600_000 ? 0 : age < 86_400_000 ? 1 : age < 604_800_000 ? 2 : 3)
        if (reason === UNDECODABLE) undecodable++
        else {
          bump(byWebhook, webhook[j] ?? 0)
          bump(byReason, reason)
          bump(bySet, modules[j] ?? 0)
          bump(byReplay, replay[j] ?? 0)
        }
        if (limit > 0 && (top.length < limit * 2 || at > (top[top.length - 2] ?? 0))) insertTop(top, at, i, limit)
      }
    }
    const counted = <K>(counts: Float64Array, name: (id: number) => K) => {
      const out = new Map<K, number>()
      counts.forEach((n, id) => {
        if (n > 0) out.set(name(id), (out.get(name(id)) ?? 0) + n)
      })
      return out
    }
    const byModule = new Map<string, number>()
    bySet.forEach((n, set) => {
      if (n > 0) for (const m of moduleLists[set] ?? []) byModule.set(m, (byModule.get(m) ?? 0) + n)
    })
    const stats = statsOf({
      total,
      undecodable,
      byWebhook: counted(byWebhook, (w) => webhooks.values[w] ?? ""),
      byReason: counted(byReason, (r) => REASONS[r] ?? ""),
      byModule,
      byReplayCount: counted(byReplay, String),
      byAge: Object.fromEntries(AGES.map((a, k) => [a, ages[k] ?? 0])) as Record<AgeBucket, number>,
      oldest,
      newest
    })
    const entries: Array<EntrySummary> = []
    for (let k = 1; k < top.length && entries.length < limit; k += 2) entries.push(summary(top[k] ?? 0))
    const frame = timelineFrame(total === 0 ? now : oldest, now)
    const counts = new Array<number>(frame.n).fill(0)
    for (let k = 0; k < total; k++) {
      const b = frame.bucketOf(matchedAt[k] ?? now)
      counts[b] = (counts[b] ?? 0) + 1
    }
    return { stats, entries, ...frame.result(counts) }
  }

  const summary = (i: number): EntrySummary => {
    const c = chunks[Math.floor(i / CHUNK)]
    const j = i % CHUNK
    const reason = c?.reason[j] ?? UNDECODABLE
    const error = errors.values[c?.error[j] ?? 0] ?? ""
    const coordinate = `${topic}:${c?.partition[j] ?? 0}:${c?.offset[j] ?? 0}`
    const failed_at = new Date(c?.failedAt[j] ?? 0).toISOString()
    if (reason === UNDECODABLE) return { coordinate, failed_at, failed_modules: [], problem: error }
    const webhook = c?.webhook[j] ?? 0
    const eventLength = c?.eventLength[j] ?? 0
    return {
      coordinate,
      failed_at,
      reason: REASONS[reason] ?? "chain_failed",
      ...(webhook === 0 ? {} : { webhook_id: webhooks.values[webhook] ?? "" }),
      ...(eventLength === 0 ? {} : { event_id: eventIds.get(c?.eventAt[j] ?? 0, eventLength) }),
      failed_modules: moduleLists[c?.modules[j] ?? 0] ?? [],
      replay_count: c?.replay[j] ?? 0,
      ...(error === "" ? {} : { error })
    }
  }

  return {
    add,
    retainFrom,
    query,
    size: () => size,
    /** bytes of the columns (chunks are allocated whole) */
    bytes: () => chunks.length * CHUNK * (8 * 3 + 4 * 5 + 2 * 2 + 1) + eventIds.bytes()
  }
}

export type DlqIndex = ReturnType<typeof makeDlqIndex>

const bump = (counts: Float64Array, id: number) => {
  counts[id] = (counts[id] ?? 0) + 1
}

/** Inserts (at, row) into `top`, pairs sorted by time, newest first; on ties after those there (later rows). */
const insertTop = (top: Array<number>, at: number, row: number, limit: number) => {
  let k = top.length
  while (k > 0 && (top[k - 2] ?? 0) < at) k -= 2
  top.splice(k, 0, at, row)
  if (top.length > limit * 2) top.length = limit * 2
}
