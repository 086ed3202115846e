/**
 * Exactly-once commits when the commit's answer is lost (a broker restart, a coordinator
 * move): the transaction may have committed. The next attempt settles that first, from the
 * group's committed offsets after a fence, instead of sending the same outcomes again — which
 * is how a rolling restart of the brokers produced duplicate outcomes for read_committed readers.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import type { InputRecord } from "../../../src/kafka/InputRecord.ts"
import { KafkaError } from "../../../src/kafka/KafkaError.ts"
import type { CommitOffsets, ProducerRecord } from "../../../src/kafka/producer/ProducerDriver.ts"
import type { OutputRecord } from "../../../src/outcomes/records.ts"
import { makeCommitLoop } from "../../../src/processor/CommitLoop.ts"
import { commitExactlyOnce, type ExactlyOnceState, makeStats } from "../../../src/processor/Committer.ts"
import { PartitionWorker } from "../../../src/processor/PartitionWorker.ts"

const record = (offset: number): InputRecord => ({
  topic: "webhooks",
  partition: 0,
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  value: Buffer.from("{}"),
  headers: {},
  timestamp: 0
})

const unanswered = new KafkaError({
  operation: "transaction.commit",
  message: "The coordinator is not available",
  retriable: true,
  fenced: false,
  code: "COORDINATOR_NOT_AVAILABLE"
})

/**
 * A broker stand-in for one group and one transactional id: `run` fails its commit when told
 * to, having (or not) applied it, as a coordinator does whose answer is lost.
 */
const setup = (commitThenLoseAnswer: ReadonlyArray<boolean | undefined>) =>
  Effect.gen(function* () {
    const visible: Array<string> = []
    let committedOffset = -1
    let call = 0
    let fences = 0
    const producer = {
      run: (records: ReadonlyArray<ProducerRecord>, offsets?: CommitOffsets) =>
        Effect.suspend(() => {
          const mode = commitThenLoseAnswer[call++]
          if (mode === false) return Effect.fail(unanswered) // never reached the coordinator
          for (const r of records) visible.push(String(r.value))
          committedOffset = Number(offsets?.partitions[0]?.offset ?? -1)
          return mode === true ? Effect.fail(unanswered) : Effect.void
        }),
      fence: Effect.sync(() => {
        fences++
      })
    }
    const state: ExactlyOnceState = {
      committed: Effect.sync(() => new Map([[0, committedOffset]])),
      inDoubt: undefined
    }
    const worker = yield* PartitionWorker.make(0, 0, {
      handle: (r) => Effect.succeed([{ topic: "results", key: r.key, value: `result of ${r.offset}`, headers: {} }]),
      publish: undefined,
      onDone: () => undefined
    })
    const stats = makeStats()
    const commit = commitExactlyOnce([worker], producer, "g", "webhooks", stats, state).pipe(
      Effect.result,
      Effect.map((r) => r._tag)
    )
    return { worker, visible, commit, stats, state, fences: () => fences }
  })

const outputs = (values: ReadonlyArray<OutputRecord>) => values.map((v) => v.value)

describe("commitExactlyOnce with an unanswered commit", () => {
  it.live("a commit that went through is not sent again", () =>
    Effect.gen(function* () {
      const { worker, visible, commit, stats, state, fences } = yield* setup([true])
      worker.accept(record(0))
      worker.accept(record(1))
      yield* Effect.sleep(5)
      assert.strictEqual(yield* commit, "Failure")
      assert.isDefined(state.inDoubt)
      assert.deepStrictEqual(outputs(state.inDoubt?.records ?? []), ["result of 0", "result of 1"])

      assert.strictEqual(yield* commit, "Success")
      assert.strictEqual(fences(), 1)
      assert.deepStrictEqual(visible, ["result of 0", "result of 1"])
      assert.strictEqual(worker.committed, 2)
      assert.strictEqual(stats.commits, 1)
      assert.isUndefined(state.inDoubt)
      yield* worker.close
    })
  )

  it.live("a commit that did not go through is sent again, once", () =>
    Effect.gen(function* () {
      const { worker, visible, commit, fences } = yield* setup([false])
      worker.accept(record(0))
      yield* Effect.sleep(5)
      assert.strictEqual(yield* commit, "Failure")
      assert.strictEqual(yield* commit, "Success")
      assert.strictEqual(fences(), 1)
      assert.deepStrictEqual(visible, ["result of 0"])
      assert.strictEqual(worker.committed, 1)
      yield* worker.close
    })
  )

  it.live("events finished meanwhile go in the next transaction after the doubt is settled", () =>
    Effect.gen(function* () {
      const { worker, visible, commit } = yield* setup([true, undefined])
      worker.accept(record(0))
      yield* Effect.sleep(5)
      assert.strictEqual(yield* commit, "Failure")
      worker.accept(record(1))
      yield* Effect.sleep(5)
      assert.strictEqual(yield* commit, "Success")
      assert.deepStrictEqual(visible, ["result of 0", "result of 1"])
      assert.strictEqual(worker.committed, 2)
      yield* worker.close
    })
  )

  it.live("a failure before the commit request (send, offsets) leaves nothing in doubt", () =>
    Effect.gen(function* () {
      const { worker, commit, state } = yield* setup([])
      const sendFailed = new KafkaError({
        operation: "producer.send",
        message: "The coordinator is not available",
        retriable: true,
        fenced: false,
        code: "COORDINATOR_NOT_AVAILABLE"
      })
      const failing = commitExactlyOnce(
        [worker],
        { run: () => Effect.fail(sendFailed), fence: Effect.void },
        "g",
        "webhooks",
        makeStats(),
        state
      )
      worker.accept(record(0))
      yield* Effect.sleep(5)
      yield* Effect.ignore(failing)
      assert.isUndefined(state.inDoubt)
      assert.strictEqual(yield* commit, "Success")
      yield* worker.close
    })
  )
})

describe("the commit loop", () => {
  it.live(
    "runs one commit at a time: a commit before a rebalance meeting the tick never puts the same outcomes in two transactions",
    () =>
      Effect.gen(function* () {
        const transactions: Array<ReadonlyArray<string>> = []
        let open = 0
        let overlapped = false
        const producer = {
          run: (records: ReadonlyArray<ProducerRecord>) =>
            Effect.gen(function* () {
              open++
              if (open > 1) overlapped = true
              yield* Effect.sleep(20)
              transactions.push(records.map((r) => String(r.value)))
              open--
            }),
          fence: Effect.void
        }
        const worker = yield* PartitionWorker.make(0, 0, {
          handle: (r) =>
            Effect.succeed([{ topic: "results", key: r.key, value: `result of ${r.offset}`, headers: {} }]),
          publish: undefined,
          onDone: () => undefined
        })
        const failed = yield* Deferred.make<never, KafkaError | Error>()
        const loop = makeCommitLoop({
          workers: () => [worker],
          transactional: producer,
          consumer: { commit: () => Effect.void, committed: Effect.succeed(new Map()) },
          groupId: "g",
          topic: "webhooks",
          metrics: { offsetsCommitted: () => undefined, commitFailed: () => undefined, publishFailed: () => undefined },
          afterCommit: () => undefined,
          failed
        })
        worker.accept(record(0))
        worker.accept(record(1))
        yield* Effect.sleep(5)
        yield* Effect.all([loop.commitQuietly, loop.commitQuietly, loop.commit], { concurrency: "unbounded" })
        assert.isFalse(overlapped)
        assert.deepStrictEqual(transactions, [["result of 0", "result of 1"]])
        assert.strictEqual(worker.committed, 2)
        yield* worker.close
      })
  )
})
