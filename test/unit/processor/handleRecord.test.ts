import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeRedactor } from "../../../src/domain/redact.ts"
import { parseTraceparent } from "../../../src/domain/TraceContext.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import type { InputRecord } from "../../../src/kafka/InputRecord.ts"
import type { Delivery } from "../../../src/modules/Destination.ts"
import { loggingLayer } from "../../../src/observability/logging.ts"
import { tracingDisabled } from "../../../src/observability/tracingMode.ts"
import { handleRecord, type RunnableStream } from "../../../src/processor/handleRecord.ts"
import { fail, makeRecorder, simulatedDestination, succeed } from "../../../src/streamTests/SimulatedDestination.ts"
import { chain } from "../engine/fixtures.ts"

const topics = { results: "webhooks.results", dlq: "webhooks.dlq" }

const setup = (behaviours: Record<string, ReturnType<typeof succeed>> = {}, extra: Partial<RunnableStream> = {}) => {
  const engine = ChainEngine.make()
  const recorder = makeRecorder()
  const seen: Array<unknown> = []
  const sim = simulatedDestination((id) => behaviours[id] ?? succeed(), recorder)
  const destination = {
    send: (d: Parameters<typeof sim.send>[0]) =>
      Effect.suspend(() => {
        seen.push(d.payload)
        return sim.send(d)
      })
  }
  const plan = chain("sequential", ["a", "b"])
  const stream: RunnableStream = { chain: engine.bind(plan, () => destination), maxPayloadBytes: 1_024, ...extra }
  const ctx = { streams: new Map([["orders", stream]]), engine, topics, now: () => 1_700_000_000_000 }
  return { ctx, recorder, seen }
}

const record = (value: unknown, headers: Record<string, string> = {}, key: string | null = "k1"): InputRecord => ({
  topic: "webhooks",
  partition: 2,
  offset: "41",
  key: key === null ? null : Buffer.from(key),
  value: value instanceof Buffer ? value : Buffer.from(typeof value === "string" ? value : JSON.stringify(value)),
  headers,
  timestamp: 0
})

const parse = (v: string) => JSON.parse(v)
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
const PARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`

describe("handleRecord", () => {
  it.effect("a succeeded chain gives exactly one result record, keyed like the input, with source headers", () =>
    Effect.gen(function* () {
      const { ctx } = setup()
      const out = yield* handleRecord(
        ctx,
        record({ webhook_id: "orders", payload: { n: 1 } }, { traceparent: PARENT, "x-correlation-id": "c-1" })
      )
      assert.strictEqual(out.length, 1)
      const [r] = out
      assert.strictEqual(r?.topic, "webhooks.results")
      assert.strictEqual(r?.key?.toString(), "k1")
      const v = parse(r?.value ?? "")
      assert.strictEqual(v.schema, "hookstream.result/v1")
      assert.strictEqual(v.event_id, "webhooks-2-41")
      assert.strictEqual(v.status, "succeeded")
      assert.strictEqual(v.correlation_id, "c-1")
      assert.deepStrictEqual(v.source, { topic: "webhooks", partition: 2, offset: "41" })
      // the record continues the chain's span: same trace, the chain span as parent
      const context = parseTraceparent(r?.headers.traceparent)
      assert.strictEqual(context?.traceId, TRACE_ID)
      assert.notStrictEqual(context?.spanId, "b7ad6b7169203331")
      assert.strictEqual(v.trace_id, TRACE_ID)
      assert.strictEqual(r?.headers["hookstream-source-offset"], "41")
    })
  )

  it.effect(
    "tracing off: the inbound traceparent is passed on as is; without one, a new trace id is shared by the records",
    () =>
      Effect.gen(function* () {
        const { ctx } = setup({ b: fail(false) })
        const passed = yield* handleRecord(ctx, record({ webhook_id: "orders", payload: {} }, { traceparent: PARENT }))
        assert.deepStrictEqual(
          passed.map((r) => r.headers.traceparent),
          [PARENT, PARENT]
        )
        assert.strictEqual(parse(passed[0]?.value ?? "").trace_id, TRACE_ID)

        const started = yield* handleRecord(
          ctx,
          record({ webhook_id: "orders", payload: {} }, { traceparent: "00-abc-def-01" })
        )
        const [result, dlq] = started.map((r) => parseTraceparent(r.headers.traceparent))
        assert.isDefined(result)
        assert.notStrictEqual(result?.traceId, TRACE_ID)
        assert.strictEqual(result?.sampled, false)
        assert.deepStrictEqual(dlq, result)
        assert.strictEqual(parse(started[0]?.value ?? "").trace_id, result?.traceId)

        const refused = yield* handleRecord(ctx, record("not an event"))
        assert.isDefined(parseTraceparent(refused[0]?.headers.traceparent))
      }).pipe(Effect.provide(tracingDisabled))
  )

  it.effect("a partial chain gives a result and a dead letter listing the failed modules", () =>
    Effect.gen(function* () {
      const { ctx } = setup({ b: fail(false) })
      const out = yield* handleRecord(
        ctx,
        record({ webhook_id: "orders", id: "evt-7", payload: {} }, { "hookstream-replay-count": "2" })
      )
      assert.strictEqual(out.length, 2)
      const dlq = parse(out[1]?.value ?? "")
      assert.strictEqual(out[1]?.topic, "webhooks.dlq")
      assert.strictEqual(dlq.reason, "chain_failed")
      assert.deepStrictEqual(dlq.failed_modules, ["b"])
      assert.strictEqual(dlq.event_id, "evt-7")
      assert.strictEqual(dlq.replay_count, 2)
      assert.strictEqual(dlq.result.status, "partial")
      assert.strictEqual(out[1]?.headers["hookstream-dlq-reason"], "chain_failed")
      assert.strictEqual(out[1]?.headers["hookstream-webhook-id"], "orders")
    })
  )

  it.effect.each([
    ["not JSON", Buffer.from([0xff, 0x00, 0x7b]), "invalid_event", "not_json"],
    ["empty", Buffer.alloc(0), "invalid_event", "empty"],
    ["wrong types", { webhook_id: 7, payload: 1 }, "invalid_event", "schema"],
    [
      "deep nesting",
      JSON.parse(`{"webhook_id":"orders","payload":${"[".repeat(60)}${"]".repeat(60)}}`),
      "invalid_event",
      "too_deep"
    ],
    ["unknown webhook id", { webhook_id: "nope", payload: 1 }, "unknown_webhook", "unknown_webhook"],
    ["too large", { webhook_id: "orders", payload: "x".repeat(2_000) }, "payload_too_large", "payload_too_large"]
  ] as const)("%s → one dead letter with reason %s", ([_, value, reason, errorReason]) =>
    Effect.gen(function* () {
      const { ctx, recorder } = setup()
      const out = yield* handleRecord(ctx, record(value))
      assert.strictEqual(out.length, 1)
      assert.strictEqual(out[0]?.topic, "webhooks.dlq")
      const dlq = parse(out[0]?.value ?? "")
      assert.strictEqual(dlq.reason, reason)
      assert.strictEqual(dlq.error.reason, errorReason)
      assert.strictEqual(recorder.started.length, 0)
      if (reason === "invalid_event") {
        // raw bytes kept, so nothing is lost
        const raw = Buffer.from(dlq.event.raw, "base64")
        assert.isTrue(raw.equals(value instanceof Buffer ? value : Buffer.from(JSON.stringify(value))))
      }
    })
  )

  it.effect("replay headers: only the listed modules run; an unknown list is refused", () =>
    Effect.gen(function* () {
      const { ctx, recorder } = setup()
      const out = yield* handleRecord(
        ctx,
        record({ webhook_id: "orders", payload: 1 }, { "hookstream-only-modules": "b, zz" })
      )
      assert.deepStrictEqual(recorder.effects, ["b"])
      assert.deepStrictEqual(
        parse(out[0]?.value ?? "").modules.map((m: { id: string }) => m.id),
        ["b"]
      )
      const refused = yield* handleRecord(
        ctx,
        record({ webhook_id: "orders", payload: 1 }, { "hookstream-only-modules": "zz" })
      )
      assert.strictEqual(parse(refused[0]?.value ?? "").error.reason, "unknown_modules")
    })
  )

  it.effect("modules receive the payload as parsed (no copy) unless the stream asks for redaction", () =>
    Effect.gen(function* () {
      const plain = setup()
      yield* handleRecord(plain.ctx, record({ webhook_id: "orders", payload: { password: "p", author: "a" } }))
      assert.deepStrictEqual(plain.seen[0], { password: "p", author: "a" })
      assert.strictEqual(plain.seen[0], plain.seen[1])
      const redacting = setup({}, { payloadRedactor: makeRedactor() })
      yield* handleRecord(redacting.ctx, record({ webhook_id: "orders", payload: { password: "p", author: "a" } }))
      assert.deepStrictEqual(redacting.seen[0], { password: "***REDACTED***", author: "a" })
    })
  )
  it.effect(
    "every line logged while the chain runs names the event, after the annotations around it, and only then",
    () =>
      Effect.gen(function* () {
        const lines: Array<Record<string, unknown>> = []
        const logging = loggingLayer({
          level: "info",
          stdout: { write: (line: string) => void lines.push(JSON.parse(line)) },
          stderr: { write: () => undefined },
          pretty: false
        })
        const engine = ChainEngine.make()
        const plan = chain("sequential", ["a"])
        const logs = { send: (d: Delivery) => Effect.as(Effect.logInfo(`sent ${d.moduleId}`), {}) }
        // the inline path (a destination that never waits) and the supervised one
        for (const destination of [logs, { ...logs, immediate: true as const }]) {
          lines.length = 0
          const stream: RunnableStream = { chain: engine.bind(plan, () => destination), maxPayloadBytes: 1_024 }
          const ctx = { streams: new Map([["orders", stream]]), engine, topics, now: Date.now }
          const input = record({ webhook_id: "orders", id: "e-7", payload: {} }, { "x-correlation-id": "c-9" })
          yield* Effect.andThen(handleRecord(ctx, input), Effect.logInfo("after")).pipe(
            Effect.annotateLogs({ worker: "w1", offset: "outer" }),
            Effect.provide(logging)
          )
          const [during, after] = lines
          assert.strictEqual(during?.msg, "sent a")
          for (const [name, value] of Object.entries({
            worker: "w1",
            topic: "webhooks",
            partition: 2,
            offset: "41",
            correlation_id: "c-9",
            event_id: "e-7",
            webhook_id: "orders"
          }))
            assert.strictEqual(during?.[name], value, name)
          assert.match(String(during?.trace_id), /^[0-9a-f]{32}$/)
          assert.strictEqual(after?.msg, "after")
          assert.strictEqual(after?.offset, "outer")
          assert.isUndefined(after?.event_id)
        }
      })
  )
})
