/**
 * A stream's `filter` on the input path: false gives one result record with status `filtered`
 * (no modules, no dead letter, counted by the observer); a filter that cannot be evaluated gives
 * a `filter_failed` dead letter; the filter reads the payload, headers and event metadata.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as H from "../../../src/domain/KafkaHeaders.ts"
import type { ChainOutcome } from "../../../src/domain/Outcome.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { compileCondition } from "../../../src/expressions/celCondition.ts"
import type { InputRecord } from "../../../src/kafka/InputRecord.ts"
import { handleRecord, type RunnableStream } from "../../../src/processor/handleRecord.ts"
import { makeRecorder, simulatedDestination, succeed } from "../../../src/streamTests/SimulatedDestination.ts"
import { chain } from "../engine/fixtures.ts"

const topics = { results: "webhooks.results", dlq: "webhooks.dlq" }

const setup = (filterSource: string) => {
  const engine = ChainEngine.make()
  const recorder = makeRecorder()
  const filter = compileCondition(filterSource, "filter")
  if ("problem" in filter) throw new Error(filter.problem.message)
  const plan = { ...chain("sequential", ["a", "b"]), filter: filter.ok }
  const stream: RunnableStream = {
    chain: engine.bind(plan, () => simulatedDestination(() => succeed(), recorder)),
    maxPayloadBytes: 10_000
  }
  const finished: Array<ChainOutcome["status"]> = []
  const deadLettered: Array<string> = []
  const ctx = {
    streams: new Map([["orders", stream]]),
    engine,
    topics,
    now: () => 1_700_000_000_000,
    observer: {
      chainFinished: (_: string, outcome: ChainOutcome) => finished.push(outcome.status),
      deadLettered: (reason: string) => deadLettered.push(reason)
    }
  }
  return { ctx, recorder, finished, deadLettered }
}

const record = (event: unknown, headers: Record<string, string> = {}, key = "cust-1"): InputRecord => ({
  topic: "webhooks",
  partition: 0,
  offset: "5",
  key: Buffer.from(key),
  value: Buffer.from(JSON.stringify(event)),
  headers,
  timestamp: 0
})

describe("stream filter", () => {
  it.effect("false: one result record, status filtered, no modules, no dead letter, nothing called", () =>
    Effect.gen(function* () {
      const { ctx, recorder, finished, deadLettered } = setup('headers["x-github-event"] == "push"')
      const out = yield* handleRecord(
        ctx,
        record({ webhook_id: "orders", payload: {}, headers: { "X-GitHub-Event": "ping" } })
      )
      assert.strictEqual(out.length, 1)
      const result = JSON.parse(out[0]?.value ?? "")
      assert.strictEqual(out[0]?.topic, "webhooks.results")
      assert.strictEqual(result.status, "filtered")
      assert.deepStrictEqual(result.modules, [])
      assert.deepStrictEqual(recorder.started, [])
      assert.deepStrictEqual(finished, ["filtered"])
      assert.deepStrictEqual(deadLettered, [])
    })
  )

  it.effect("true: the chain runs as usual (header names compared lower-cased)", () =>
    Effect.gen(function* () {
      const { ctx, recorder } = setup('headers["x-github-event"] == "push"')
      const out = yield* handleRecord(
        ctx,
        record({ webhook_id: "orders", payload: {}, headers: { "X-GitHub-Event": "push" } })
      )
      assert.strictEqual(JSON.parse(out[0]?.value ?? "").status, "succeeded")
      assert.deepStrictEqual(recorder.effects, ["a", "b"])
    })
  )

  it.effect("reads the event metadata: id, key, received_at, replay count, webhook_id", () =>
    Effect.gen(function* () {
      const { ctx } = setup(
        'event.id == "evt-9" && event.key == "cust-1" && event.received_at == "2026-01-02T03:04:05Z" && event.replay_count == 2 && webhook_id == "orders"'
      )
      const event = { webhook_id: "orders", id: "evt-9", received_at: "2026-01-02T03:04:05Z", payload: {} }
      const replayed = yield* handleRecord(ctx, record(event, { [H.REPLAY_COUNT]: "2" }))
      assert.strictEqual(JSON.parse(replayed[0]?.value ?? "").status, "succeeded")
      const first = yield* handleRecord(ctx, record(event))
      assert.strictEqual(JSON.parse(first[0]?.value ?? "").status, "filtered")
    })
  )

  it.effect("a filter that fails at run time dead-letters the event (filter_failed) without its values", () =>
    Effect.gen(function* () {
      const { ctx, recorder, deadLettered } = setup("payload.amount > 100.0")
      const out = yield* handleRecord(ctx, record({ webhook_id: "orders", payload: { amount: "very-secret" } }))
      assert.strictEqual(out.length, 1)
      const dlq = JSON.parse(out[0]?.value ?? "")
      assert.strictEqual(out[0]?.topic, "webhooks.dlq")
      assert.strictEqual(dlq.reason, "filter_failed")
      assert.strictEqual(dlq.error.reason, "condition_failed")
      assert.include(dlq.error.message, "filter `payload.amount > 100.0`")
      assert.notInclude(dlq.error.message, "very-secret")
      assert.deepStrictEqual(recorder.started, [])
      assert.deepStrictEqual(deadLettered, ["filter_failed"])
    })
  )
})
