/**
 * The actor-per-key mailbox of one partition: jobs with the same key run one at a time in
 * arrival (offset) order; different keys, and jobs without a key, run concurrently. A lane
 * exists only while its key has work, so memory follows the keys in flight, not the key
 * space (10,000 keys on one partition cost nothing once drained).
 *
 * Pure scheduling: `start` is called with a job when it may run; the caller reports
 * `finish(key)` and receives the next job of that key, if any.
 */
export class KeyLanes<J> {
  private readonly lanes = new Map<string, Array<J>>()

  /** Returns true when the job may start now; false when it waits behind its key. */
  submit(key: string | undefined, job: J): boolean {
    if (key === undefined) return true
    const queue = this.lanes.get(key)
    if (queue === undefined) {
      this.lanes.set(key, [])
      return true
    }
    queue.push(job)
    return false
  }

  /** Call when the running job of `key` ended; returns the next one of that key to start. */
  finish(key: string | undefined): J | undefined {
    if (key === undefined) return undefined
    const queue = this.lanes.get(key)
    if (queue === undefined) return undefined
    const next = queue.shift()
    if (next === undefined) this.lanes.delete(key)
    return next
  }

  /** keys with a running job */
  get activeKeys(): number {
    return this.lanes.size
  }

  /** jobs waiting behind their key */
  get queued(): number {
    let n = 0
    for (const q of this.lanes.values()) n += q.length
    return n
  }

  clear(): void {
    this.lanes.clear()
  }
}
