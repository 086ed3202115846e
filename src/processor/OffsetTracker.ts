/**
 * Per-partition offset bookkeeping: which fetched records have a durable outcome, and so
 * which offset may be committed. The commit offset is the offset of the oldest record
 * still without one (or one past the newest when all are done): never past an unfinished
 * event, whatever order chains finish in. Gaps in offsets (compaction, transaction
 * markers) are fine: only offsets we actually received are tracked.
 *
 * Offsets are JS numbers: exact up to 2^53 (≈ 9·10^15, centuries at a million records a
 * second); conversion from and to Kafka's decimal strings happens at the port.
 *
 * `V` is what a completed entry carries until its commit: nothing in at-least-once mode,
 * the outcome records in exactly-once mode (published in the commit's transaction).
 */

interface Entry<V> {
  readonly offset: number
  done: boolean
  value: V | undefined
}

export interface DonePrefix<V> {
  /** the offset to commit (next to consume) */
  readonly commitOffset: number
  /** values of the entries in the prefix, in offset order */
  readonly values: ReadonlyArray<V>
}

export class OffsetTracker<V = undefined> {
  private readonly entries: Array<Entry<V> | undefined> = []
  private head = 0
  /** highest offset ever added; records at or below it are redeliveries */
  private lastAdded = -1
  private pendingCount = 0

  /** `committedOffset`: where the group's committed position was when we got the partition */
  constructor(committedOffset = 0) {
    this.lastAdded = committedOffset - 1
  }

  /** Starts tracking `offset`; false for a redelivered offset we already have (or had). */
  add(offset: number): boolean {
    if (offset <= this.lastAdded) return false
    const entry: Entry<V> = { offset, done: false, value: undefined }
    // no index by offset: entries are in offset order, so `find` bisects them (a Map here
    // cost a hash-table insert and delete, and their rehashes, per record)
    this.entries.push(entry)
    this.lastAdded = offset
    this.pendingCount++
    return true
  }

  /**
   * Offsets up to `offset` that were never added hold no record for us (transaction markers,
   * aborted records): once every record below is done, the commit may move past them. Without
   * this, a partition whose last entries are a transaction's commit marker would always show a
   * lag of one. Only for offsets the consumer has read past.
   */
  skipThrough(offset: number): void {
    if (offset > this.lastAdded) this.lastAdded = offset
  }

  /** Marks `offset` durable (its outcome acknowledged); false if it is not tracked or already done. */
  complete(offset: number, value?: V): boolean {
    const entry = this.find(offset)
    if (entry === undefined || entry.done) return false
    entry.done = true
    entry.value = value
    this.pendingCount--
    return true
  }

  /** The live entry for `offset` (entries from `head` on are in increasing offset order). */
  private find(offset: number): Entry<V> | undefined {
    let lo = this.head
    let hi = this.entries.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const entry = this.entries[mid] as Entry<V>
      if (entry.offset === offset) return entry
      if (entry.offset < offset) lo = mid + 1
      else hi = mid - 1
    }
    return undefined
  }

  /** records received and not yet done */
  get pending(): number {
    return this.pendingCount
  }

  /** records held (done or not) since the last `takeDonePrefix` */
  get size(): number {
    return this.entries.length - this.head
  }

  get highestOffset(): number {
    return this.lastAdded
  }

  /** the offset that would be committed now, without consuming anything */
  commitOffset(): number {
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry<V>
      if (!entry.done) return entry.offset
    }
    return this.lastAdded + 1
  }

  /**
   * Removes the contiguous done prefix and returns it with the offset to commit, or
   * `undefined` when nothing new became committable. The caller owns the values from here.
   */
  takeDonePrefix(): DonePrefix<V> | undefined {
    const values: Array<V> = []
    let i = this.head
    while (i < this.entries.length && (this.entries[i] as Entry<V>).done) {
      const entry = this.entries[i] as Entry<V>
      if (entry.value !== undefined) values.push(entry.value)
      this.entries[i] = undefined
      i++
    }
    if (i === this.head) return undefined
    this.head = i
    // compact once the dead head dominates, so memory follows the live window only
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head)
      this.head = 0
    }
    const next = this.entries[this.head]
    return { commitOffset: next === undefined ? this.lastAdded + 1 : next.offset, values }
  }
}
