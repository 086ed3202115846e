/**
 * The partitions a consumer loop owns and their workers, and what a (re)assignment does to
 * them. KafkaJS has no revoke callback (eager rebalance): the new assignment arrives with the
 * group join, and `reconcile` works out the rest:
 * - revoked: their workers are closed (chains interrupted); their offsets are not ours to
 *   commit any more, and their events are redelivered to the new owner;
 * - retained: if the group moved past what we have (we lost membership meanwhile and someone
 *   else committed), the worker is dropped and fetching starts over at the group's offset.
 */
import { Effect } from "effect"
import type { Backpressure } from "./Backpressure.ts"
import { PartitionWorker, type WorkerDeps } from "./PartitionWorker.ts"

export class Partitions {
  private readonly workers = new Map<number, PartitionWorker>()
  private owned: ReadonlyArray<number> = []
  private readonly deps: WorkerDeps
  private readonly backpressure: () => Backpressure
  private readonly runSync: <A>(effect: Effect.Effect<A>) => A

  constructor(deps: WorkerDeps, backpressure: () => Backpressure, runSync: <A>(effect: Effect.Effect<A>) => A) {
    this.deps = deps
    this.backpressure = backpressure
    this.runSync = runSync
  }

  get assigned(): ReadonlyArray<number> {
    return this.owned
  }

  get(partition: number): PartitionWorker | undefined {
    return this.workers.get(partition)
  }

  all(): ReadonlyArray<PartitionWorker> {
    return [...this.workers.values()]
  }

  /** the partition's worker, made on the first offset seen of it */
  workerFor(partition: number, firstOffset: number): PartitionWorker {
    let worker = this.workers.get(partition)
    if (worker === undefined) {
      worker = this.runSync(PartitionWorker.make(partition, firstOffset, this.deps))
      this.workers.set(partition, worker)
    }
    return worker
  }

  /** The new assignment; answers the partitions that were not ours before. */
  assign(partitions: ReadonlyArray<number>): ReadonlyArray<number> {
    const added = partitions.filter((p) => !this.owned.includes(p))
    this.owned = [...partitions]
    return added
  }

  /**
   * Closes the workers of revoked partitions, and of retained ones the group has moved past
   * (`committed`: the group's offsets); calls `seek` for the latter.
   */
  reconcile(
    committed: Effect.Effect<ReadonlyMap<number, number>>,
    seek: (partition: number, offset: number) => void
  ): Effect.Effect<void> {
    return Effect.suspend(() => {
      const now = new Set(this.owned)
      const revoked = [...this.workers.keys()].filter((p) => !now.has(p))
      return Effect.forEach(revoked, (p) => this.drop(p), { discard: true }).pipe(
        Effect.andThen(committed),
        Effect.flatMap((offsets) =>
          Effect.forEach(
            [...this.workers],
            ([partition, w]) => {
              const groupOffset = offsets.get(partition) ?? -1
              if (groupOffset <= w.durableThrough()) return Effect.void
              return Effect.andThen(
                this.drop(partition),
                Effect.sync(() => seek(partition, groupOffset))
              )
            },
            { discard: true }
          )
        )
      )
    })
  }

  /** Closes every worker (shutdown): their fibers are interrupted and awaited. */
  closeAll(): Effect.Effect<void> {
    return Effect.forEach(this.all(), (w) => w.close, { discard: true })
  }

  private drop(partition: number): Effect.Effect<void> {
    const w = this.workers.get(partition)
    if (w === undefined) return Effect.void
    this.workers.delete(partition)
    // count what is left only once its fibers have stopped: until then an event may still
    // finish (and count itself down)
    return Effect.andThen(
      w.close,
      Effect.sync(() => this.backpressure().dropped(w.pending))
    )
  }
}
