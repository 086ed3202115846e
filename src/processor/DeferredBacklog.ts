/**
 * The deferred work this process holds and has not finished, per destination: what the
 * `hookstream_deferred_oldest_age_seconds` gauge and the console read. The deferred path runs
 * each partition in order and holds its oldest records first, so the oldest held is the oldest
 * not finished (per partition this process owns).
 */
export interface HeldDeferral {
  readonly deferredAt: number
}

export class DeferredBacklog {
  private readonly held = new Map<string, Set<HeldDeferral>>()

  /** `destinations` hold one more deferred record since `deferredAt`; the returned function releases it */
  hold(destinations: ReadonlyArray<string>, deferredAt: number): () => void {
    const entry: HeldDeferral = { deferredAt }
    for (const d of destinations) {
      let set = this.held.get(d)
      if (set === undefined) {
        set = new Set()
        this.held.set(d, set)
      }
      set.add(entry)
    }
    return () => {
      for (const d of destinations) {
        const set = this.held.get(d)
        if (set === undefined) continue
        set.delete(entry)
        if (set.size === 0) this.held.delete(d)
      }
    }
  }

  /** per destination (guard key): the oldest held record's deferral time and how many are held */
  snapshot(): ReadonlyArray<{ readonly destination: string; readonly oldest: number; readonly count: number }> {
    const out: Array<{ destination: string; oldest: number; count: number }> = []
    for (const [destination, set] of this.held) {
      let oldest = Number.POSITIVE_INFINITY
      for (const h of set) if (h.deferredAt < oldest) oldest = h.deferredAt
      out.push({ destination, oldest, count: set.size })
    }
    return out
  }
}
