/**
 * The engine's spans as OpenTelemetry exports them (in-memory exporter behind the real
 * bridge): one `chain <webhook_id>` span whose remote parent is the event's traceparent, a
 * child span per module attempt, and each sink handed its attempt span's context.
 */

import { assert, describe, it } from "@effect/vitest"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect } from "effect"
import { parseTraceparent } from "../../../src/domain/TraceContext.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import type { Delivery } from "../../../src/modules/Destination.ts"
import { tracingDisabled, tracingWith } from "../../../src/observability/tracing.ts"
import { fail, flaky, makeRecorder, simulatedDestination } from "../../../src/streamTests/SimulatedDestination.ts"
import { chain, input } from "./fixtures.ts"

const PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

/** runs `effect` with the OpenTelemetry bridge; the spans are read before the provider shuts down (which clears them) */
const withTracing = <A extends object>(exporter: InMemorySpanExporter, effect: Effect.Effect<A>) =>
  effect.pipe(
    Effect.map((a) => ({ ...a, spans: exporter.getFinishedSpans() })),
    Effect.provide(tracingWith([new SimpleSpanProcessor(exporter)]))
  )

/** runs one event with real time (short backoffs) and returns the deliveries the sink saw */
const runOnce = (traceparent: string | undefined) =>
  Effect.gen(function* () {
    const engine = ChainEngine.make({ secrets: ["hunter2-secret"] })
    const seen: Array<Delivery> = []
    const sim = simulatedDestination(
      (id) => (id === "b" ? flaky(1) : id === "c" ? fail(false) : { _tag: "succeed" }),
      makeRecorder()
    )
    const plan = chain("sequential", [
      "a",
      { id: "b", retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } },
      "c"
    ])
    const bound = engine.bind(plan, () => ({
      send: (d) =>
        Effect.suspend(() => {
          seen.push(d)
          return sim.send(d)
        })
    }))
    const event = { ...input("evt-9"), ...(traceparent === undefined ? {} : { traceparent }) }
    const outcome = yield* engine.run(bound, event)
    return { outcome, seen }
  })

const attr = (span: ReadableSpan, key: string) => span.attributes[key]

describe("engine spans", () => {
  it.live("chain span under the traceparent's span, one child per attempt, context handed to sinks", () =>
    Effect.gen(function* () {
      const exporter = new InMemorySpanExporter()
      const { outcome, seen, spans } = yield* withTracing(exporter, runOnce(PARENT))
      const chainSpan = spans.find((s) => s.name === "chain orders")
      assert.isDefined(chainSpan)
      if (chainSpan === undefined) return
      // the remote parent from the header
      assert.strictEqual(chainSpan.spanContext().traceId, "0af7651916cd43dd8448eb211c80319c")
      assert.strictEqual(chainSpan.parentSpanContext?.spanId, "b7ad6b7169203331")
      assert.strictEqual(chainSpan.parentSpanContext?.isRemote, true)
      assert.strictEqual(attr(chainSpan, "hookstream.event_id"), "evt-9")
      assert.strictEqual(attr(chainSpan, "hookstream.status"), "partial")
      assert.strictEqual(chainSpan.status.code, 2) // ERROR: not every module succeeded

      const attempts = spans.filter((s) => s.name.startsWith("module "))
      assert.deepStrictEqual(
        attempts.map((s) => [s.name, attr(s, "hookstream.attempt"), attr(s, "hookstream.status")]),
        [
          ["module a", 1, "succeeded"],
          ["module b", 1, "failed"],
          ["module b", 2, "succeeded"],
          ["module c", 1, "failed"]
        ]
      )
      for (const s of attempts) {
        assert.strictEqual(s.parentSpanContext?.spanId, chainSpan.spanContext().spanId)
        assert.strictEqual(s.spanContext().traceId, chainSpan.spanContext().traceId)
        assert.strictEqual(attr(s, "hookstream.module"), "http")
      }
      // each sink got its own attempt span's context, not the inbound header
      assert.deepStrictEqual(
        seen.map((d) => parseTraceparent(d.traceparent)?.spanId),
        attempts.map((s) => s.spanContext().spanId)
      )
      // the outcome names the chain span, for the result and DLQ records
      assert.strictEqual(outcome.trace?.spanId, chainSpan.spanContext().spanId)
      assert.strictEqual(outcome.trace?.traceId, "0af7651916cd43dd8448eb211c80319c")
    })
  )

  it.live("without a traceparent the chain starts a trace of its own", () =>
    Effect.gen(function* () {
      const exporter = new InMemorySpanExporter()
      const { spans } = yield* withTracing(exporter, runOnce(undefined).pipe(Effect.withSpan("unrelated outer span")))
      const chainSpan = spans.find((s) => s.name === "chain orders")
      assert.isDefined(chainSpan)
      assert.isUndefined(chainSpan?.parentSpanContext)
    })
  )

  it.live("tracing off: no spans, the inbound traceparent reaches the sinks unchanged", () =>
    Effect.gen(function* () {
      const { outcome, seen } = yield* runOnce(PARENT).pipe(Effect.provide(tracingDisabled))
      assert.isUndefined(outcome.trace)
      assert.deepStrictEqual([...new Set(seen.map((d) => d.traceparent))], [PARENT])
    })
  )
})
