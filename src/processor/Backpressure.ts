/**
 * When a consumer loop takes more records: the in-flight caps of the process and of each
 * partition, and how a partition at its cap stops fetching.
 *
 * - `wait` (the input path): the batch waits for room inside KafkaJS's `eachBatch`,
 *   heartbeating (InputConsumer), so the whole fetch loop waits with it. Fine there, because
 *   nothing holds a slot for long: congested work is deferred.
 * - `pause` (the deferred path, where records do wait for slow destinations): the partition
 *   alone is paused and resumed once half its cap is free, so the other partitions go on.
 *
 * Owns the count of events in flight; the partitions' own counts come from their workers.
 */
import type { PartitionWorker } from "./PartitionWorker.ts"

export interface BackpressureSettings {
  /** events in flight in the loop */
  readonly maxInFlight: number
  /** events in flight per partition */
  readonly perPartition: number
  /** records held per partition since the last commit (done or not) */
  readonly window: number
  readonly mode: "wait" | "pause"
}

export interface PartitionControl {
  readonly pause: (partitions: ReadonlyArray<number>) => void
  readonly resume: (partitions: ReadonlyArray<number>) => void
}

/** a pause or resume the consumer refused (it is told, never thrown at the caller) */
export type ControlFailure = (call: "pause" | "resume", partition: number, error: unknown) => void

export class Backpressure {
  /** events taken and without a durable outcome yet */
  private count = 0
  /** eachBatch calls waiting for room, by partition (`wait`) */
  private readonly waiting = new Map<number, () => void>()
  /** partitions paused at their cap (`pause`) */
  private readonly paused = new Set<number>()
  /** partitions that take nothing until their handler's `prepare` is done */
  private readonly preparing = new Set<number>()
  private stopped = false

  private readonly settings: BackpressureSettings
  private readonly workerOf: (partition: number) => PartitionWorker | undefined
  private readonly control: PartitionControl
  private readonly onControlFailure: ControlFailure

  constructor(
    settings: BackpressureSettings,
    workerOf: (partition: number) => PartitionWorker | undefined,
    control: PartitionControl,
    onControlFailure: ControlFailure = () => undefined
  ) {
    this.settings = settings
    this.workerOf = workerOf
    this.control = control
    this.onControlFailure = onControlFailure
  }

  /**
   * Runs a pause or resume; false if the consumer threw. `done()` runs this from an event's
   * settle, inside its key's lane: a throw there would end the lane with its key still marked
   * busy, so every later record of that key would wait forever and hold the commit back (a
   * full-size rolling_restart once stalled the deferred path this way, while KafkaJS
   * restarted a crashed consumer and refused resume).
   */
  private tryControl(call: "pause" | "resume", partition: number): boolean {
    try {
      this.control[call]([partition])
      return true
    } catch (e) {
      this.onControlFailure(call, partition, e)
      return false
    }
  }

  get inFlight(): number {
    return this.count
  }

  /** shutting down: nothing more is taken */
  get isStopped(): boolean {
    return this.stopped
  }

  /** partitions whose fetch waits for room */
  get blocked(): ReadonlyArray<number> {
    return [...this.waiting.keys(), ...this.paused]
  }

  hasRoom(partition: number): boolean {
    if (this.stopped || this.count >= this.settings.maxInFlight) return false
    if (this.preparing.size > 0 && this.preparing.has(partition)) return false
    const w = this.workerOf(partition)
    return w === undefined || (w.pending < this.settings.perPartition && w.held < this.settings.window)
  }

  took(): void {
    this.count++
  }

  /** an event reached its durable outcome */
  done(): void {
    this.count--
    this.wake()
  }

  /** a partition's worker stopped with `pending` events that will never finish here */
  dropped(pending: number): void {
    this.count -= pending
    this.wake()
  }

  /** `partitions` take nothing until `ready` */
  hold(partitions: ReadonlyArray<number>): void {
    for (const p of partitions) this.preparing.add(p)
  }

  ready(partitions: ReadonlyArray<number>): void {
    for (const p of partitions) this.preparing.delete(p)
    this.wake()
  }

  /** partitions no longer ours: nothing of theirs stays paused */
  assigned(partitions: ReadonlySet<number>): void {
    for (const p of this.paused) if (!partitions.has(p)) this.paused.delete(p)
  }

  /** `wait`: resolves when `partition` may take more, or after a second (to heartbeat); false: stop */
  waitForRoom(partition: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve(false)
      if (this.hasRoom(partition)) return resolve(true)
      const timer = setTimeout(() => {
        this.waiting.delete(partition)
        resolve(!this.stopped)
      }, 1_000)
      this.waiting.set(partition, () => {
        clearTimeout(timer)
        resolve(!this.stopped)
      })
    })
  }

  /** `pause`: the partition is at its cap; the rest of its fetch is read again once resumed */
  full(partition: number): void {
    if (this.stopped) return
    // not paused (the consumer is restarting): the rest of the batch comes again when it fetches
    if (!this.tryControl("pause", partition)) return
    this.paused.add(partition)
    // room may have come meanwhile (an ack between the take and this call)
    this.wake()
  }

  /** Wakes the batches waiting for room and resumes the paused partitions, once there is some. */
  wake(): void {
    if ((this.waiting.size === 0 && this.paused.size === 0) || this.count >= this.settings.maxInFlight) return
    for (const [partition, wake] of this.waiting) {
      if (this.hasRoom(partition)) {
        this.waiting.delete(partition)
        wake()
      }
    }
    // a paused partition resumes only once half its cap is free: resuming at the first free
    // slot would fetch (and decode) the same batch again for one record each time
    for (const partition of this.paused) {
      const w = this.workerOf(partition)
      // kept paused if the consumer refused: the next wake tries again
      if (
        this.hasRoom(partition) &&
        (w === undefined || w.pending <= this.settings.perPartition / 2) &&
        this.tryControl("resume", partition)
      )
        this.paused.delete(partition)
    }
  }

  /** Shutdown: nothing more is taken, and every waiting batch ends. */
  stop(): void {
    this.stopped = true
    for (const wake of this.waiting.values()) wake()
    this.waiting.clear()
  }
}
