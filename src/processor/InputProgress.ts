/**
 * The deferred path's order gate: a deferred record of input offset `o` on partition `p` runs
 * only once the input group has committed past `o` on `p`. That commit exists only when every
 * earlier event of that partition has its durable outcome, so any earlier event of the same
 * key that was still running on the input path when this one was deferred has finished: the
 * key's events reach each destination in order, whichever instance ran them. (The commit is
 * made at most a commit interval after the hand-off, so the gate adds about a second.)
 *
 * One poll of the group's offsets serves every waiter; nothing is polled while nobody waits.
 */
import { Deferred, Effect, Schedule, type Scope } from "effect"
import type { OffsetsReader } from "../kafka/OffsetsReader.ts"

export interface InputProgress {
  /** completes once the input group's committed offset on `partition` is past `offset` */
  readonly passed: (partition: number, offset: number) => Effect.Effect<void>
  /** records waiting at the gate (for metrics) */
  readonly waiting: () => number
}

interface Waiter {
  readonly offset: number
  readonly latch: Deferred.Deferred<void>
}

export const makeInputProgress = (
  offsets: OffsetsReader,
  groupId: string,
  topic: string,
  pollMs = 250
): Effect.Effect<InputProgress, never, Scope.Scope> =>
  Effect.gen(function* () {
    const committed = new Map<number, number>()
    const waiters = new Map<number, Array<Waiter>>()
    let count = 0

    const release = () => {
      for (const [partition, list] of waiters) {
        const at = committed.get(partition) ?? -1
        const keep = list.filter((w) => {
          if (at > w.offset) {
            Deferred.doneUnsafe(w.latch, Effect.void)
            count--
            return false
          }
          return true
        })
        if (keep.length === 0) waiters.delete(partition)
        else waiters.set(partition, keep)
      }
    }

    const poll = Effect.suspend(() =>
      count === 0
        ? Effect.void
        : offsets.committed(groupId, topic).pipe(
            Effect.tap((latest) =>
              Effect.sync(() => {
                for (const [p, o] of latest) if (o > (committed.get(p) ?? -1)) committed.set(p, o)
                release()
              })
            ),
            Effect.ignore
          )
    )
    yield* Effect.forkScoped(Effect.repeat(poll, Schedule.spaced(pollMs)))

    return {
      passed: (partition, offset) =>
        Effect.suspend(() => {
          if ((committed.get(partition) ?? -1) > offset) return Effect.void
          const latch = Deferred.makeUnsafe<void>()
          const list = waiters.get(partition)
          if (list === undefined) waiters.set(partition, [{ offset, latch }])
          else list.push({ offset, latch })
          count++
          return Deferred.await(latch).pipe(
            // interrupted (partition revoked): stop waiting, and stop counting
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                const current = waiters.get(partition)
                if (current === undefined) return
                const i = current.findIndex((w) => w.latch === latch)
                if (i >= 0) {
                  current.splice(i, 1)
                  count--
                }
              })
            )
          )
        }),
      waiting: () => count
    }
  })
