/**
 * Everything this instance does for one input partition while it owns it: the offset
 * tracker, the per-key lanes (actor per key) and the fibers running its events. Closing
 * the worker's scope interrupts every one of those fibers: nothing of a revoked partition
 * keeps running or gets committed.
 *
 * A lane runs its key's events one at a time, each chain after the previous one ended. It
 * hands each event's outcome records to the publisher and goes on with the next event
 * without waiting for their ack (as in exactly-once mode, where they wait for the commit's
 * transaction): the offset becomes committable, and the event stops counting as in flight,
 * only once the ack has come. Outcomes of one key are published in their events' order.
 */
import { type Cause, Effect, Exit, FiberSet, Scope } from "effect"
import type { InputRecord } from "../kafka/InputRecord.ts"
import type { OutputRecord } from "../outcomes/records.ts"
import { KeyLanes } from "./KeyLanes.ts"
import { OffsetTracker } from "./OffsetTracker.ts"

export interface WorkerDeps {
  /** record → outcome records; never fails */
  readonly handle: (record: InputRecord) => Effect.Effect<ReadonlyArray<OutputRecord>>
  /** the lane a record runs in (records of one lane run one at a time, in order); default: its Kafka key */
  readonly laneKey?: ((record: InputRecord) => string | undefined) | undefined
  /** at-least-once: hand the records over; `onAcked` runs once Kafka has them all. Absent in
   * exactly-once mode, where the records wait in the tracker for the commit's transaction. */
  readonly publish: ((records: ReadonlyArray<OutputRecord>, onAcked: () => void) => void) | undefined
  /** called after every event that reached its durable outcome */
  readonly onDone: (worker: PartitionWorker) => void
  /**
   * Hands a record straight to the deferred path, synchronously (the input path; see
   * `slowLaneMs`). Absent: records always wait for their key (the deferred path).
   */
  readonly deferNow?: ((record: InputRecord) => ReadonlyArray<OutputRecord>) | undefined
  /**
   * A key whose running event has run this long is held up by something slow: its next events
   * do not wait behind it in memory, they are deferred (`deferNow`) and run after it on the
   * deferred path, in order. Default 1 s.
   */
  readonly slowLaneMs?: number | undefined
  /**
   * A lane died (never by design: `handle` never fails, so this is a bug in our own code, such
   * as a throw from `onDone`). The lane's key stays busy and would hold its partition's commit
   * back for good: the loop is told, once, and stops loudly instead of stalling in silence.
   */
  readonly onLaneDefect?: ((partition: number, cause: Cause.Cause<unknown>) => void) | undefined
}

const DEFAULT_SLOW_LANE_MS = 1_000

/** Tells the records that asked (deferred records, see deferOutcome) that Kafka has them. */
export const notifyDurable = (records: ReadonlyArray<OutputRecord>): void => {
  for (const r of records) r.onDurable?.()
}

/**
 * The worker owns its partition's offsets, as KafkaJS's OffsetManager does: what is durable
 * (`durableThrough`), what the next commit may carry (`commitCandidate`,
 * `transactionCandidate`) and what the group has (`committed`, moved only by `markCommitted`).
 */
export class PartitionWorker {
  private readonly tracker: OffsetTracker<ReadonlyArray<OutputRecord>>
  private readonly lanes = new KeyLanes<InputRecord>()
  /** the last offset the group has committed for this partition (through us) */
  private committedOffset: number
  /** exactly-once: records of taken prefixes not yet in a committed transaction */
  private readonly txnPending: Array<ReadonlyArray<OutputRecord>> = []
  private txnTarget: number

  readonly partition: number
  private readonly scope: Scope.Closeable
  private readonly run: (effect: Effect.Effect<void>) => unknown
  private readonly deps: WorkerDeps
  /** set when closing starts: acks arriving later belong to a partition that is no longer ours */
  private closed = false

  private constructor(
    partition: number,
    firstOffset: number,
    scope: Scope.Closeable,
    run: (effect: Effect.Effect<void>) => unknown,
    deps: WorkerDeps
  ) {
    this.partition = partition
    this.scope = scope
    this.run = run
    this.deps = deps
    this.tracker = new OffsetTracker(firstOffset)
    this.committedOffset = firstOffset
    this.txnTarget = firstOffset
  }

  static readonly make = (partition: number, firstOffset: number, deps: WorkerDeps): Effect.Effect<PartitionWorker> =>
    Effect.gen(function* () {
      // not per event: once per partition
      const scope = yield* Scope.make()
      const set = yield* FiberSet.make<void, never>().pipe(Scope.provide(scope))
      const run = yield* FiberSet.runtime(set)<never>()
      // the set's join ends with the first lane that died (interrupted lanes do not count)
      const onLaneDefect = deps.onLaneDefect
      if (onLaneDefect !== undefined)
        yield* FiberSet.join(set).pipe(
          Effect.catchCause((cause) => Effect.sync(() => onLaneDefect(partition, cause))),
          Effect.forkIn(scope)
        )
      return new PartitionWorker(partition, firstOffset, scope, (effect) => run(effect), deps)
    })

  /** Takes a fetched record. Returns false for a redelivery we already track (or tracked). */
  accept(record: InputRecord): boolean {
    if (!this.tracker.add(Number(record.offset))) return false
    // keys are compared as raw bytes: latin1 maps each byte to one char, losslessly
    const laneKey = this.deps.laneKey
    const key =
      laneKey !== undefined ? laneKey(record) : record.key === null ? undefined : record.key.toString("latin1")
    const deferNow = this.deps.deferNow
    if (key === undefined || deferNow === undefined) {
      if (this.lanes.submit(key, record)) this.run(this.lane(key, record))
      return true
    }
    const now = Date.now()
    // behind an event held up by something slow: this one waits on the deferred path, not here,
    // after those that queued before it (the deferred path runs a key's records in order)
    if (this.lanes.busyFor(key, now) > (this.deps.slowLaneMs ?? DEFAULT_SLOW_LANE_MS)) {
      for (const queued of this.lanes.takeQueued(key)) this.settle(Number(queued.offset), deferNow(queued))
      this.settle(Number(record.offset), deferNow(record))
    } else if (this.lanes.submit(key, record, now)) this.run(this.lane(key, record))
    return true
  }

  /**
   * One lane: this record, then every record queued behind it with the same key, each after
   * the previous one's chain ended. A continuation per record (one closure), not a generator:
   * most lanes run a single record, and a generator costs a few hundred bytes to set up.
   */
  private lane(key: string | undefined, record: InputRecord): Effect.Effect<void> {
    return Effect.flatMap(this.deps.handle(record), (outputs) => {
      this.settle(Number(record.offset), outputs)
      const next = this.next(key)
      return next === undefined ? Effect.void : this.lane(key, next)
    })
  }

  /** The key's next record to run, if any; what queued behind a slow record goes to the deferred path. */
  private next(key: string | undefined): InputRecord | undefined {
    const deferNow = this.deps.deferNow
    if (deferNow === undefined) return this.lanes.finish(key)
    const now = Date.now()
    // it was slow: what queued behind it meanwhile goes to the deferred path, in order
    if (this.lanes.busyFor(key, now) > (this.deps.slowLaneMs ?? DEFAULT_SLOW_LANE_MS)) {
      for (const queued of this.lanes.takeQueued(key)) this.settle(Number(queued.offset), deferNow(queued))
    }
    return this.lanes.finish(key, now)
  }

  /** `outputs` of the event at `offset` go to the publisher (or wait for the commit's transaction) */
  private settle(offset: number, outputs: ReadonlyArray<OutputRecord>): void {
    if (this.deps.publish === undefined) this.durable(offset, outputs)
    else
      this.deps.publish(outputs, () => {
        notifyDurable(outputs)
        this.durable(offset)
      })
  }

  /** the event at `offset` has its durable outcome (`outputs` waits for the commit in exactly-once mode) */
  private durable(offset: number, outputs?: ReadonlyArray<OutputRecord>): void {
    if (this.closed) return
    this.tracker.complete(offset, outputs)
    this.deps.onDone(this)
  }

  /** records received and without a durable outcome yet */
  get pending(): number {
    return this.tracker.pending
  }

  /** records held since the last commit (done or not): the window a slow event holds open */
  get held(): number {
    return this.tracker.size
  }

  /** the offset below which every record taken here has its durable outcome */
  durableThrough(): number {
    return this.tracker.commitOffset()
  }

  /** the group's committed offset for this partition, as far as this worker knows */
  get committed(): number {
    return this.committedOffset
  }

  /** offsets up to `offset` hold no record for us (transaction markers): the commit may pass them */
  skipThrough(offset: number): void {
    this.tracker.skipThrough(offset)
  }

  /** at-least-once: the offset to commit now, if it moved past the committed one */
  commitCandidate(): number | undefined {
    this.tracker.takeDonePrefix()
    const offset = this.tracker.commitOffset()
    return offset > this.committedOffset ? offset : undefined
  }

  /**
   * exactly-once: the outcome records of the newly finished prefix (with those of a failed
   * transaction before) and the offset to commit with them, if it moved. They stay here until
   * `markCommitted`, so a failed transaction is retried with them.
   */
  transactionCandidate():
    | { readonly records: ReadonlyArray<ReadonlyArray<OutputRecord>>; readonly offset: number }
    | undefined {
    const prefix = this.tracker.takeDonePrefix()
    if (prefix !== undefined) {
      this.txnPending.push(...prefix.values)
      this.txnTarget = prefix.commitOffset
    }
    // past skipped offsets (transaction markers) with no new record done
    const target = this.tracker.commitOffset()
    if (target > this.txnTarget) this.txnTarget = target
    return this.txnTarget > this.committedOffset ? { records: this.txnPending, offset: this.txnTarget } : undefined
  }

  /** the group has `offset` for this partition now; in exactly-once mode its records are committed too */
  markCommitted(offset: number): void {
    this.committedOffset = offset
    if (offset >= this.txnTarget) this.txnPending.length = 0
  }

  /** Interrupts every fiber of this partition and waits for them (finalizers included). */
  readonly close: Effect.Effect<void> = Effect.suspend(() => {
    this.closed = true
    this.lanes.clear()
    return Scope.close(this.scope, Exit.void)
  })
}
