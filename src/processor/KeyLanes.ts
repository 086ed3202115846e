/**
 * The actor-per-key mailbox of one partition: jobs with the same key run one at a time in
 * arrival (offset) order; different keys, and jobs without a key, run concurrently. A lane
 * exists only while its key has work, so memory follows the keys in flight, not the key
 * space (10,000 keys on one partition cost nothing once drained).
 *
 * Pure scheduling: `start` is called with a job when it may run; the caller reports
 * `finish(key)` and receives the next job of that key, if any. Each lane knows since when its
 * running job runs, so the caller can tell a key held up by a slow job (`busyFor`).
 */
interface Lane<J> {
  /** created when a job first waits behind the running one: most lanes never queue */
  queue: Array<J> | undefined
  /** when the running job started (epoch ms) */
  since: number
}

/**
 * A key no job can have (keys are strings). It stays in the map for good: V8 shrinks a Map
 * whose last entry is deleted, reallocating its table, and a lane that opens and closes per
 * event (a chain that never waits runs to its end inside `submit`'s caller) did that for
 * every event (~150 bytes).
 */
const KEEP: unique symbol = Symbol("KeyLanes.keep")

export class KeyLanes<J> {
  private readonly lanes = new Map<string | typeof KEEP, Lane<J>>([[KEEP, { queue: undefined, since: 0 }]])

  /** Returns true when the job may start now; false when it waits behind its key. */
  submit(key: string | undefined, job: J, now = 0): boolean {
    if (key === undefined) return true
    const lane = this.lanes.get(key)
    if (lane === undefined) {
      this.lanes.set(key, { queue: undefined, since: now })
      return true
    }
    if (lane.queue === undefined) lane.queue = [job]
    else lane.queue.push(job)
    return false
  }

  /** How long the running job of `key` has run (0: none runs). */
  busyFor(key: string | undefined, now: number): number {
    if (key === undefined) return 0
    const lane = this.lanes.get(key)
    return lane === undefined ? 0 : now - lane.since
  }

  /** Removes and returns the jobs waiting behind `key`'s running job, in order. */
  takeQueued(key: string | undefined): ReadonlyArray<J> {
    if (key === undefined) return []
    const lane = this.lanes.get(key)
    if (lane === undefined || lane.queue === undefined || lane.queue.length === 0) return []
    return lane.queue.splice(0)
  }

  /** Call when the running job of `key` ended; returns the next one of that key to start. */
  finish(key: string | undefined, now = 0): J | undefined {
    if (key === undefined) return undefined
    const lane = this.lanes.get(key)
    if (lane === undefined) return undefined
    const next = lane.queue?.shift()
    if (next === undefined) this.lanes.delete(key)
    else lane.since = now
    return next
  }

  /** keys with a running job */
  get activeKeys(): number {
    return this.lanes.size - 1
  }

  /** jobs waiting behind their key */
  get queued(): number {
    let n = 0
    for (const lane of this.lanes.values()) n += lane.queue?.length ?? 0
    return n
  }

  clear(): void {
    this.lanes.clear()
    this.lanes.set(KEEP, { queue: undefined, since: 0 })
  }
}
