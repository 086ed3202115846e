/**
 * The in-flight cap, shared fairly between the served streams. A slot is taken when a request
 * has passed every check that needs no body (before its body is read, so the cap also bounds
 * buffered bodies: at most `max` × the largest stream limit) and given back when both the
 * answer is sent and its record is settled with the producer. A request that was answered 503
 * while its record still waits on the broker keeps its slot, so a broker outage cannot pile
 * up records without bound.
 *
 * Fairness: half of the cap is split evenly into a reserve per stream, the other half is
 * shared, first come first served. A stream takes from its reserve first, then from the shared
 * half; it never touches another stream's reserve. So a flood on one stream (slow bodies, or
 * anything else that holds slots) takes at most its reserve plus the shared half, and every
 * other stream keeps its reserve whatever the flood does. With few streams one stream may
 * still use most of the cap (one stream: all of it; two: three quarters). A cap too small to
 * give each stream a slot of its own is shared only.
 *
 * A reload changes the served streams (`serve`): the reserves are split again over the new
 * list. Slots a stream holds beyond its new reserve (all of them, for a stream no longer
 * served) count against the shared part until released, and the cap itself is never exceeded,
 * so right after a reload a reserve may have to wait for slots of the old plan to come back.
 */

export interface Slot {
  /** one more holder (the producer, while it owns the record) */
  readonly hold: () => void
  /** a holder is done; the last one frees the slot. Idempotent per holder is the caller's duty. */
  readonly release: () => void
}

export interface InFlight {
  /** a slot for a request to `stream`, or `undefined` when neither its reserve nor the shared part has one */
  readonly tryAcquire: (stream: string) => Slot | undefined
  /** the streams that get a reserve from now on (a reload) */
  readonly serve: (streams: ReadonlyArray<string>) => void
  readonly count: () => number
}

export const makeInFlight = (
  max: number,
  streams: ReadonlyArray<string>,
  onChange?: (count: number) => void
): InFlight => {
  let served = new Set<string>()
  let reserve = 0
  let shared = max
  /** slots held, by stream; a stream no longer served stays until its last slot is back */
  const held = new Map<string, number>()
  /** invariant: the sum over streams of the slots held beyond the stream's current reserve */
  let sharedUsed = 0
  let count = 0
  const reserveOf = (stream: string) => (served.has(stream) ? reserve : 0)

  const serve = (next: ReadonlyArray<string>) => {
    served = new Set(next)
    reserve = served.size === 0 ? 0 : Math.floor(max / 2 / served.size)
    shared = max - reserve * served.size
    for (const [stream, n] of held) if (n === 0 && !served.has(stream)) held.delete(stream)
    sharedUsed = 0
    for (const [stream, n] of held) sharedUsed += Math.max(0, n - reserveOf(stream))
  }
  serve(streams)

  const tryAcquire = (stream: string): Slot | undefined => {
    const mine = held.get(stream) ?? 0
    // beyond its reserve a stream takes from the shared part (streams not served have no reserve)
    const fromShared = mine >= reserveOf(stream)
    if (count >= max || (fromShared && sharedUsed >= shared)) return undefined
    if (fromShared) sharedUsed++
    held.set(stream, mine + 1)
    count++
    onChange?.(count)
    let holders = 1
    return {
      hold: () => {
        holders++
      },
      release: () => {
        if (holders === 0) return
        holders--
        if (holders > 0) return
        const now = held.get(stream) ?? 1
        // the slot above the reserve line (the current one) goes back to the shared part, whichever request took it
        if (now > reserveOf(stream)) sharedUsed--
        if (now > 1 || served.has(stream)) held.set(stream, now - 1)
        else held.delete(stream)
        count--
        onChange?.(count)
      }
    }
  }
  return { tryAcquire, serve, count: () => count }
}
