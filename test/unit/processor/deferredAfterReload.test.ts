/**
 * Deferred work is parked in Kafka, not running: it runs on the config in use when its turn
 * comes (README, hot reload). Steps a reload removed meanwhile are not run, and that is said
 * (a warning naming them), never skipped silently; with none left, a dead letter says so.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { loadStreamsFromSources } from "../../../src/config/loadSources.ts"
import { DEFERRED_SCHEMA_ID, type DeferredRecord } from "../../../src/domain/DeferredRecord.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import type { InputRecord } from "../../../src/kafka/InputRecord.ts"
import { bindStreams } from "../../../src/processor/bindStreams.ts"
import { DeferredBacklog } from "../../../src/processor/DeferredBacklog.ts"
import { handleDeferred } from "../../../src/processor/handleDeferred.ts"

const STREAM = "id: orders\nchain:\n  - module: log\n    id: audit\n  - module: log\n    id: notify\n"

const deferredRecord = (remaining: ReadonlyArray<string>): InputRecord => {
  const now = new Date().toISOString()
  const record: DeferredRecord = {
    schema: DEFERRED_SCHEMA_ID,
    event_id: "evt-1",
    webhook_id: "orders",
    reason: "destination_congested",
    destinations: ["orders/notify"],
    event: { webhook_id: "orders", payload: { n: 1 } },
    source: { topic: "webhooks", partition: 0, offset: "7" },
    replay_count: 0,
    remaining: [...remaining],
    prior: [],
    started_at: now,
    deferred_at: now,
    not_before: now
  }
  return {
    topic: "webhooks.deferred",
    partition: 0,
    offset: "0",
    key: Buffer.from("orders"),
    value: Buffer.from(JSON.stringify(record)),
    headers: {},
    timestamp: Date.now()
  }
}

const run = (remaining: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const loaded = loadStreamsFromSources({ streams: [{ path: "orders.yaml", text: STREAM }], env: {} })
    if (loaded._tag !== "Success") return yield* Effect.die("the stream does not load")
    const engine = ChainEngine.make()
    const streams = yield* bindStreams(loaded.success, engine)
    const warnings: Array<string> = []
    const records = yield* handleDeferred(
      {
        streams,
        engine,
        topics: { results: "results", dlq: "dlq" },
        now: Date.now,
        // the source is not on this input topic: no order gate to wait for
        inputTopic: "another-topic",
        progress: { passed: () => Effect.void, waiting: () => 0, nudge: () => undefined },
        backlog: new DeferredBacklog()
      },
      deferredRecord(remaining)
    ).pipe(
      Effect.provide(
        Logger.layer([
          Logger.make(({ message, logLevel }) => {
            if (logLevel === "Warn") warnings.push(JSON.stringify(message))
          })
        ])
      )
    )
    const parsed = records.map((r) => ({ topic: r.topic, value: JSON.parse(r.value) }))
    return { parsed, warnings }
  }).pipe(Effect.scoped)

describe("deferred work after a reload", () => {
  it.effect("runs the steps still in the stream and warns about the ones a reload removed", () =>
    Effect.gen(function* () {
      const { parsed, warnings } = yield* run(["notify", "crm"])
      const result = parsed.find((r) => r.topic === "results")?.value
      assert.strictEqual(result?.status, "succeeded")
      assert.deepStrictEqual(
        result?.modules.map((m: { id: string }) => m.id),
        ["notify"]
      )
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0], "no longer in the stream")
      assert.include(warnings[0], "crm")
    })
  )

  it.effect("with none of its steps left, the event is a dead letter that says so", () =>
    Effect.gen(function* () {
      const { parsed } = yield* run(["crm"])
      const dead = parsed.find((r) => r.topic === "dlq")?.value
      assert.strictEqual(dead?.reason, "invalid_event")
      assert.include(JSON.stringify(dead?.error), "no longer in stream 'orders'")
    })
  )
})
