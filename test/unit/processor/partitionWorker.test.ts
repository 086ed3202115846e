/**
 * PartitionWorker: one lane per key, events of a key in offset order, and an event's offset
 * committable only once its outcome is acknowledged. The lane does not wait for that ack: the
 * next event of the key runs while the previous outcome is still with the broker (at-least-once),
 * and acks arriving after the worker closed (partition revoked) change nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import type { InputRecord } from "../../../src/kafka/InputRecord.ts"
import type { OutputRecord } from "../../../src/outcomes/records.ts"
import { PartitionWorker } from "../../../src/processor/PartitionWorker.ts"

const record = (offset: number, key: string | null): InputRecord => ({
  topic: "webhooks",
  partition: 0,
  offset: String(offset),
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from("{}"),
  headers: {},
  timestamp: 0
})

const output = (r: InputRecord): OutputRecord => ({
  topic: "results",
  key: r.key,
  value: `result of ${r.offset}`,
  headers: {}
})

/** a worker whose publisher holds every batch until the test acknowledges it */
const setup = (firstOffset = 0) =>
  Effect.gen(function* () {
    const handled: Array<string> = []
    const published: Array<{ readonly records: ReadonlyArray<OutputRecord>; readonly ack: () => void }> = []
    let done = 0
    const worker = yield* PartitionWorker.make(0, firstOffset, {
      handle: (r) =>
        Effect.sync(() => {
          handled.push(r.offset)
          return [output(r)]
        }),
      publish: (records, onAcked) => {
        published.push({ records, ack: onAcked })
      },
      onDone: () => {
        done++
      }
    })
    return { worker, handled, published, done: () => done }
  })

/** lets the forked lanes run */
const settle = Effect.sleep(1)

describe("PartitionWorker (at-least-once)", () => {
  it.live("a key's next event runs before the previous outcome is acknowledged; offsets wait for the acks", () =>
    Effect.gen(function* () {
      const { worker, handled, published, done } = yield* setup()
      worker.accept(record(0, "k"))
      worker.accept(record(1, "k"))
      yield* settle
      assert.deepStrictEqual(handled, ["0", "1"])
      assert.deepStrictEqual(
        published.map((p) => p.records[0]?.value),
        ["result of 0", "result of 1"]
      )
      // nothing durable yet: nothing committable, both still in flight
      assert.strictEqual(worker.pending, 2)
      assert.strictEqual(worker.durableThrough(), 0)
      assert.strictEqual(done(), 0)

      published[1]?.ack()
      assert.strictEqual(worker.pending, 1)
      // offset 0 still waits: the commit cannot pass it
      assert.strictEqual(worker.durableThrough(), 0)
      published[0]?.ack()
      assert.strictEqual(worker.pending, 0)
      assert.strictEqual(worker.durableThrough(), 2)
      assert.strictEqual(done(), 2)
      yield* worker.close
    })
  )

  it.live("events of one key run in offset order, other keys alongside", () =>
    Effect.gen(function* () {
      const { worker, handled, published } = yield* setup(10)
      for (const [offset, key] of [
        [10, "a"],
        [11, "b"],
        [12, "a"],
        [13, null],
        [14, "a"]
      ] as const) {
        worker.accept(record(offset, key))
      }
      yield* settle
      assert.deepStrictEqual(
        handled.filter((o) => ["10", "12", "14"].includes(o)),
        ["10", "12", "14"]
      )
      assert.strictEqual(handled.length, 5)
      for (const p of published) p.ack()
      assert.strictEqual(worker.durableThrough(), 15)
      yield* worker.close
    })
  )

  it.live("acks arriving after the worker closed change nothing", () =>
    Effect.gen(function* () {
      const { worker, published, done } = yield* setup()
      worker.accept(record(0, "k"))
      yield* settle
      assert.strictEqual(published.length, 1)
      yield* worker.close
      published[0]?.ack()
      assert.strictEqual(done(), 0)
      assert.strictEqual(worker.pending, 1)
      assert.strictEqual(worker.durableThrough(), 0)
    })
  )
})

describe("PartitionWorker: a key held up by a slow event (input path)", () => {
  /** a worker whose handler blocks on offset `slow` until `release`, deferring synchronously */
  const slowSetup = (slow: number) =>
    Effect.gen(function* () {
      const handled: Array<string> = []
      const deferred: Array<string> = []
      const published: Array<string> = []
      const gate = yield* Deferred.make<void>()
      const worker = yield* PartitionWorker.make(0, 0, {
        handle: (r) =>
          Effect.andThen(
            Number(r.offset) === slow ? Deferred.await(gate) : Effect.void,
            Effect.sync(() => {
              handled.push(r.offset)
              return [output(r)]
            })
          ),
        deferNow: (r) => {
          deferred.push(r.offset)
          return [{ ...output(r), value: `deferred ${r.offset}` }]
        },
        slowLaneMs: 50,
        publish: (records, onAcked) => {
          for (const r of records) published.push(r.value)
          onAcked()
        },
        onDone: () => {}
      })
      return { worker, handled, deferred, published, release: Deferred.succeed(gate, undefined) }
    })

  it.live("behind an event running for long, the key's next events are deferred in order, not queued", () =>
    Effect.gen(function* () {
      const { worker, handled, deferred, published, release } = yield* slowSetup(0)
      worker.accept(record(0, "k"))
      // queued while the head is still young
      worker.accept(record(1, "k"))
      yield* Effect.sleep(80)
      // the head has run past 50 ms: the queued one and this one go to the deferred path, in order
      worker.accept(record(2, "k"))
      worker.accept(record(3, "other"))
      yield* Effect.sleep(30)
      assert.deepStrictEqual(deferred, ["1", "2"])
      assert.deepStrictEqual(handled, ["3"])
      // nothing of key k is held behind the slow event any more
      assert.strictEqual(worker.pending, 1)
      yield* release
      yield* Effect.sleep(30)
      assert.deepStrictEqual(handled, ["3", "0"])
      assert.deepStrictEqual(published.slice(0, 2), ["deferred 1", "deferred 2"])
      assert.strictEqual(worker.durableThrough(), 4)
      yield* worker.close
    })
  )

  it.live("what queued behind a head that turned out slow is deferred when it ends", () =>
    Effect.gen(function* () {
      const { worker, handled, deferred, release } = yield* slowSetup(0)
      worker.accept(record(0, "k"))
      worker.accept(record(1, "k"))
      worker.accept(record(2, "k"))
      yield* Effect.sleep(80)
      yield* release
      yield* Effect.sleep(30)
      assert.deepStrictEqual(handled, ["0"])
      assert.deepStrictEqual(deferred, ["1", "2"])
      assert.strictEqual(worker.durableThrough(), 3)
      yield* worker.close
    })
  )

  it.live("a fast key is never deferred, however many events queue behind it", () =>
    Effect.gen(function* () {
      const { worker, handled, deferred } = yield* slowSetup(-1)
      for (let i = 0; i < 200; i++) worker.accept(record(i, "hot"))
      yield* Effect.sleep(30)
      assert.strictEqual(handled.length, 200)
      assert.deepStrictEqual(deferred, [])
      yield* worker.close
    })
  )
})

describe("PartitionWorker (a lane that dies)", () => {
  it.live("a throw from onDone inside a lane is reported once with the partition, not left as a silent stall", () =>
    Effect.gen(function* () {
      const reported = yield* Deferred.make<number>()
      const worker = yield* PartitionWorker.make(7, 0, {
        handle: (r) => Effect.succeed([output(r)]),
        // exactly-once shape: the outcome is durable inside the lane, so onDone runs there
        publish: undefined,
        onDone: () => {
          throw new Error("bug in onDone")
        },
        onLaneDefect: (partition) => {
          Deferred.doneUnsafe(reported, Effect.succeed(partition))
        }
      })
      worker.accept(record(0, "k"))
      const partition = yield* Deferred.await(reported).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(partition, 7)
      yield* worker.close
    })
  )
})
