/**
 * A stream's payload_schema on the processor's input path: an event that did not pass the
 * ingress (written to the topic directly, or replayed) and does not match is dead-lettered
 * as invalid_payload with the JSON Pointer paths and no values, before any module runs.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { validateSources } from "../../../src/config/loadSources.ts"
import { compilePayloadSchema } from "../../../src/config/payloadSchema.ts"
import * as H from "../../../src/domain/KafkaHeaders.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import type { InputRecord } from "../../../src/kafka/InputRecord.ts"
import { bindStreams } from "../../../src/processor/bindStreams.ts"
import { handleRecord, type RunnableStream } from "../../../src/processor/handleRecord.ts"
import { makeRecorder, simulatedDestination, succeed } from "../../../src/streamTests/SimulatedDestination.ts"
import { chain } from "../engine/fixtures.ts"

const topics = { results: "webhooks.results", dlq: "webhooks.dlq" }

const setup = () => {
  const engine = ChainEngine.make()
  const recorder = makeRecorder()
  const compiled = compilePayloadSchema({
    type: "object",
    required: ["order_id"],
    properties: { order_id: { type: "string" }, total: { type: "number" } }
  })
  if (!compiled.ok) throw new Error(compiled.problem)
  const stream: RunnableStream = {
    chain: engine.bind(chain("sequential", ["a"]), () => simulatedDestination(() => succeed(), recorder)),
    maxPayloadBytes: 10_000,
    payloadContract: compiled.contract
  }
  const deadLettered: Array<string> = []
  const ctx = {
    streams: new Map([["orders", stream]]),
    engine,
    topics,
    now: () => 1_700_000_000_000,
    observer: { chainFinished: () => undefined, deadLettered: (reason: string) => deadLettered.push(reason) }
  }
  return { ctx, recorder, deadLettered }
}

const record = (event: unknown, headers: Record<string, string> = {}): InputRecord => ({
  topic: "webhooks",
  partition: 0,
  offset: "5",
  key: null,
  value: Buffer.from(JSON.stringify(event)),
  headers,
  timestamp: 0
})

describe("payload_schema in the processor", () => {
  it.effect("a matching payload runs the chain", () =>
    Effect.gen(function* () {
      const { ctx, recorder } = setup()
      const out = yield* handleRecord(ctx, record({ webhook_id: "orders", payload: { order_id: "o-1", total: 2 } }))
      assert.strictEqual(JSON.parse(out[0]?.value ?? "").status, "succeeded")
      assert.deepStrictEqual(recorder.effects, ["a"])
    })
  )

  it.effect(
    "one that does not match: an invalid_payload dead letter naming the paths, not the values; nothing runs",
    () =>
      Effect.gen(function* () {
        const { ctx, recorder, deadLettered } = setup()
        const event = { webhook_id: "orders", id: "evt-1", payload: { total: "4111-1111-1111-1111" } }
        const out = yield* handleRecord(ctx, record(event))
        assert.strictEqual(out.length, 1)
        assert.strictEqual(out[0]?.topic, "webhooks.dlq")
        const dlq = JSON.parse(out[0]?.value ?? "")
        assert.strictEqual(dlq.reason, "invalid_payload")
        assert.strictEqual(dlq.event_id, "evt-1")
        assert.deepStrictEqual(dlq.error, {
          tag: "InvalidEvent",
          reason: "invalid_payload",
          retryable: false,
          message:
            "the payload does not match the stream's payload_schema: /order_id: is required; /total: must be number"
        })
        // the event is kept whole for a replay once the producer or the schema is fixed
        assert.deepStrictEqual(dlq.event.payload, event.payload)
        assert.deepStrictEqual(recorder.started, [])
        assert.deepStrictEqual(deadLettered, ["invalid_payload"])
      })
  )

  it.effect(
    "a replay is checked again (only-modules and replay count change nothing); a base64 payload never matches",
    () =>
      Effect.gen(function* () {
        const { ctx, recorder } = setup()
        const replayed = yield* handleRecord(
          ctx,
          record({ webhook_id: "orders", id: "evt-1", payload: {} }, { [H.REPLAY_COUNT]: "1", [H.ONLY_MODULES]: "a" })
        )
        const dlq = JSON.parse(replayed[0]?.value ?? "")
        assert.strictEqual(dlq.reason, "invalid_payload")
        assert.strictEqual(dlq.replay_count, 1)
        const raw = yield* handleRecord(
          ctx,
          record({ webhook_id: "orders", payload_encoding: "base64", payload: Buffer.from("x").toString("base64") })
        )
        assert.strictEqual(JSON.parse(raw[0]?.value ?? "").reason, "invalid_payload")
        assert.include(JSON.parse(raw[0]?.value ?? "").error.message, "(root): is base64 (not JSON)")
        assert.deepStrictEqual(recorder.started, [])
      })
  )
})

describe("from a stream file to the running processor", () => {
  it.effect("bindStreams carries the stream's compiled payload_schema to the handler", () =>
    Effect.gen(function* () {
      const { config, issues } = validateSources({
        streams: [
          {
            path: "streams/orders.yaml",
            text: "id: orders\npayload_schema: { type: object, required: [order_id] }\nchain: [{ module: log }]\n"
          }
        ],
        env: {}
      })
      assert.deepStrictEqual(issues, [])
      if (config === undefined) return
      const engine = ChainEngine.make()
      const streams = yield* bindStreams(config, engine)
      const ctx = { streams, engine, topics, now: () => 0 }
      const out = yield* handleRecord(ctx, record({ webhook_id: "orders", payload: { total: 1 } }))
      assert.strictEqual(JSON.parse(out[0]?.value ?? "").reason, "invalid_payload")
    }).pipe(Effect.scoped)
  )
})
