/**
 * The in-flight cap. A slot is taken when a request arrives (before its body is read, so the
 * cap also bounds buffered bodies: at most `max` × the largest stream limit) and given back
 * when both the answer is sent and its record is settled with the producer. A request that
 * was answered 503 while its record still waits on the broker keeps its slot, so a broker
 * outage cannot pile up records without bound.
 */

export interface Slot {
  /** one more holder (the producer, while it owns the record) */
  readonly hold: () => void
  /** a holder is done; the last one frees the slot. Idempotent per holder is the caller's duty. */
  readonly release: () => void
}

export interface InFlight {
  /** a slot, or `undefined` when the cap is reached */
  readonly tryAcquire: () => Slot | undefined
  readonly count: () => number
}

export const makeInFlight = (max: number, onChange?: (count: number) => void): InFlight => {
  let count = 0
  const tryAcquire = (): Slot | undefined => {
    if (count >= max) return undefined
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
        if (holders === 0) {
          count--
          onChange?.(count)
        }
      }
    }
  }
  return { tryAcquire, count: () => count }
}
