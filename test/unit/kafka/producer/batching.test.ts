/**
 * The producer kit's batching, without a broker: requests cut by bytes, records grouped by
 * topic, and natural batching (what arrives while a batch is with the broker forms the next;
 * a withdrawn item is never sent; limits cut batches).
 */
import { Deferred, Effect, type Scope } from "effect"
import { describe, expect, it } from "vitest"
import { chunksByBytes, groupByTopic, makeBatcher, recordBytes } from "../../../../src/kafka/producer/batching.ts"
import type { ProducerRecord } from "../../../../src/kafka/producer/ProducerDriver.ts"

const record = (n: number, bytes: number, topic = "t"): ProducerRecord => ({
  topic,
  key: null,
  value: "x".repeat(bytes),
  headers: { n: String(n) }
})

describe("chunksByBytes", () => {
  it("cuts requests so none exceeds the limit (a larger record goes alone); order kept", () => {
    const records = [record(0, 100), record(1, 100), record(2, 300), record(3, 2_000), record(4, 10)]
    const chunks = chunksByBytes(records, 800)
    expect(chunks.map((c) => c.map((r) => r.headers["n"]))).toEqual([["0", "1"], ["2"], ["3"], ["4"]])
    for (const chunk of chunks.filter((c) => c.length > 1))
      expect(chunk.reduce((n, r) => n + recordBytes(r), 0)).toBeLessThanOrEqual(800)
    expect(chunksByBytes([], 800)).toEqual([])
    expect(chunksByBytes(records, 800, () => 500).map((c) => c.length)).toEqual([1, 1, 1, 1, 1])
  })

  it("counts key, value and headers in a record's bytes", () => {
    const plain = recordBytes(record(0, 100))
    expect(recordBytes({ ...record(0, 100), key: Buffer.alloc(50) })).toBe(plain + 50)
    expect(recordBytes({ ...record(0, 100), headers: { n: "0", extra: "yyyy" } })).toBe(plain + 8 + 5 + 4)
  })
})

describe("groupByTopic", () => {
  it("keeps each topic's records in their order", () => {
    const grouped = groupByTopic([record(0, 1, "a"), record(1, 1, "b"), record(2, 1, "a")], (r) => r.headers["n"])
    expect(grouped).toEqual([
      { topic: "a", messages: ["0", "2"] },
      { topic: "b", messages: ["1"] }
    ])
  })
})

describe("makeBatcher", () => {
  /** A batcher whose every send waits until the test answers it. */
  const scripted = (options: { maxRecords: number; maxBytes?: number; take?: (item: string) => boolean }) =>
    Effect.gen(function* () {
      const sent: Array<ReadonlyArray<string>> = []
      const answers: Array<Deferred.Deferred<void>> = []
      const batcher = yield* makeBatcher<string>({
        ...options,
        bytes: (item) => item.length,
        send: (batch) =>
          Effect.gen(function* () {
            const answer = yield* Deferred.make<void>()
            sent.push(batch)
            answers.push(answer)
            yield* Deferred.await(answer)
          })
      })
      const answer = (i: number) => Deferred.succeed(answers[i] as Deferred.Deferred<void>, undefined)
      return { batcher, sent, answer }
    })

  const run = <A>(effect: Effect.Effect<A, never, Scope.Scope>) => Effect.runPromise(Effect.scoped(effect))
  const settle = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))

  it("what arrives while a batch is in flight forms the next batch, in order", () =>
    run(
      Effect.gen(function* () {
        const { batcher, sent, answer } = yield* scripted({ maxRecords: 100 })
        batcher.offer("a")
        yield* settle
        for (const item of ["b", "c", "d"]) batcher.offer(item)
        yield* settle
        expect(sent).toEqual([["a"]])
        yield* answer(0)
        yield* settle
        expect(sent).toEqual([["a"], ["b", "c", "d"]])
      })
    ))

  it("cuts batches at the record and byte limits; an item over the byte limit goes alone", () =>
    run(
      Effect.gen(function* () {
        const { batcher, sent, answer } = yield* scripted({ maxRecords: 2, maxBytes: 5 })
        batcher.offer("first")
        yield* settle
        for (const item of ["a", "b", "c", "dd", "eeeeee", "f"]) batcher.offer(item)
        for (let i = 0; i < 5; i++) {
          yield* answer(i)
          yield* settle
        }
        expect(sent).toEqual([["first"], ["a", "b"], ["c", "dd"], ["eeeeee"], ["f"]])
      })
    ))

  it("an item withdrawn while it waited is never sent; clear hands back what waits", () =>
    run(
      Effect.gen(function* () {
        const withdrawn = new Set(["b"])
        const { batcher, sent, answer } = yield* scripted({ maxRecords: 10, take: (item) => !withdrawn.has(item) })
        batcher.offer("a")
        yield* settle
        for (const item of ["b", "c"]) batcher.offer(item)
        yield* answer(0)
        yield* settle
        expect(sent).toEqual([["a"], ["c"]])
        batcher.offer("d")
        batcher.offer("e")
        expect(batcher.clear()).toEqual(["d", "e"])
        yield* answer(1)
        yield* settle
        expect(sent).toHaveLength(2)
      })
    ))
})
