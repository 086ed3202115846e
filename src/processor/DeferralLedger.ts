/**
 * Which (stream, key) pairs have deferred work that has not finished: while one has, later
 * events of that key in that stream are deferred too (reason `key_deferred`), so a key's
 * events reach each destination in order whichever path they take.
 *
 * A mark is made when an event of the pair is deferred. It learns where its record is once
 * Kafka has it: the deferred topic's end offset of the record's partition, read after the
 * ack, is past the record. It is dropped once the deferred group has committed that far (the
 * record and everything before it in its partition have their outcome), which works whichever
 * instance owns that partition. A newer mark of the same pair replaces the older one: the
 * deferred path runs a partition in order, so the newer bound covers both.
 *
 * After a (re)assignment the marks of the newly owned input partitions are rebuilt from the
 * deferred topic's undrained records (`restore`) before their events run.
 *
 * Keys are raw bytes as latin1 strings (as the partition lanes use them). Events without a key
 * have no order to keep and are never marked.
 */

export interface DeferralMark {
  /** partition of the deferred topic the record goes to */
  readonly partition: number
  /** Kafka has the record */
  durable: boolean
  /** the mark is gone once the deferred group's committed offset on `partition` reaches this */
  bound: number | undefined
}

const pairKey = (webhookId: string, key: string): string => `${webhookId}\u0000${key}`

export class DeferralLedger {
  private readonly marks = new Map<string, DeferralMark>()
  private readonly partitionOf: (webhookId: string) => number

  /** `partitionOf`: the deferred topic's partition of a stream's records (they are keyed by webhook id) */
  constructor(partitionOf: (webhookId: string) => number) {
    this.partitionOf = partitionOf
  }

  get size(): number {
    return this.marks.size
  }

  has(webhookId: string, key: string): boolean {
    return this.marks.size > 0 && this.marks.has(pairKey(webhookId, key))
  }

  /** An event of the pair is being deferred; `durable` on the returned mark once Kafka has its record. */
  add(webhookId: string, key: string): DeferralMark {
    const mark: DeferralMark = { partition: this.partitionOf(webhookId), durable: false, bound: undefined }
    this.marks.set(pairKey(webhookId, key), mark)
    return mark
  }

  /** A record of the pair found on the deferred topic, at `offset` of `partition`, not yet committed past. */
  restore(webhookId: string, key: string, partition: number, offset: number): void {
    const k = pairKey(webhookId, key)
    const existing = this.marks.get(k)
    if (existing !== undefined && (existing.bound === undefined || existing.bound > offset)) return
    this.marks.set(k, { partition, durable: true, bound: offset + 1 })
  }

  /** Marks that are durable but not yet bounded: bound them with end offsets read after this call. */
  unbounded(): ReadonlyArray<DeferralMark> {
    const out: Array<DeferralMark> = []
    for (const mark of this.marks.values()) if (mark.durable && mark.bound === undefined) out.push(mark)
    return out
  }

  /**
   * `pending`: what `unbounded()` returned before `ends` was read; `ends`: the deferred topic's
   * end offsets; `committed`: the deferred group's. Bounds the pending marks, drops finished ones.
   */
  settle(
    pending: ReadonlyArray<DeferralMark>,
    ends: ReadonlyMap<number, number>,
    committed: ReadonlyMap<number, number>
  ): void {
    for (const mark of pending) {
      const end = ends.get(mark.partition)
      if (end !== undefined) mark.bound = end
    }
    for (const [k, mark] of this.marks) {
      if (mark.bound !== undefined && (committed.get(mark.partition) ?? -1) >= mark.bound) this.marks.delete(k)
    }
  }

  /** Forgets every mark (shutdown). */
  clear(): void {
    this.marks.clear()
  }
}
