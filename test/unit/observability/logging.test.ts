/**
 * The process logger: JSON lines through pino with the level, the message and the fields;
 * secrets redacted by key and by value; stderr where the fiber asks for it; LOG_LEVEL
 * honoured; a line about an event names the span it was logged in.
 */

import { assert, describe, it } from "@effect/vitest"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Logger } from "effect"
import { addLogSecrets } from "../../../src/observability/logFields.ts"
import { loggingLayer, parseLogLevel } from "../../../src/observability/logging.ts"
import { tracingWith } from "../../../src/observability/tracing.ts"

const capture = () => {
  const lines: Array<string> = []
  return {
    lines,
    stream: { write: (line: string) => void lines.push(line) },
    json: () => lines.map((l) => JSON.parse(l))
  }
}

const setup = (level = "debug") => {
  const out = capture()
  const err = capture()
  const layer = loggingLayer({ level, stdout: out.stream, stderr: err.stream, pretty: false })
  return { out, err, layer }
}

describe("process logger", () => {
  it.effect("one JSON line per record: level, time, msg, annotations and fields", () =>
    Effect.gen(function* () {
      const { out, layer } = setup()
      yield* Effect.logInfo("event dead-lettered", { reason: "chain_failed" }).pipe(
        Effect.annotateLogs({ event_id: "e-1", webhook_id: "orders", partition: 2, offset: "41" }),
        Effect.provide(layer)
      )
      const [line] = out.json()
      assert.strictEqual(line.level, "info")
      assert.strictEqual(line.msg, "event dead-lettered")
      assert.match(line.time, /^\d{4}-\d\d-\d\dT/)
      assert.strictEqual(line.event_id, "e-1")
      assert.strictEqual(line.webhook_id, "orders")
      assert.strictEqual(line.partition, 2)
      assert.strictEqual(line.reason, "chain_failed")
    })
  )

  it.effect("secrets never appear: keys redacted, credentials in text removed, registered values too", () =>
    Effect.gen(function* () {
      const { out, layer } = setup()
      addLogSecrets(["s3cr3t-connection-pw"])
      yield* Effect.logWarning("connect failed: postgres://app:pg-pass-123@db:5432/x token=tok-999", {
        password: "hunter2",
        nested: { api_key: "key-777", note: "driver echoed s3cr3t-connection-pw" },
        cause: new Error("Bearer abc.def.ghi rejected")
      }).pipe(Effect.annotateLogs({ authorization: "Basic dXNlcjpwYXNz" }), Effect.provide(layer))
      const text = out.lines.join("")
      for (const secret of [
        "hunter2",
        "pg-pass-123",
        "tok-999",
        "key-777",
        "s3cr3t-connection-pw",
        "abc.def.ghi",
        "dXNlcjpwYXNz"
      ]) {
        assert.notInclude(text, secret)
      }
      const [line] = out.json()
      assert.strictEqual(line.password, "***REDACTED***")
      assert.strictEqual(line.authorization, "***REDACTED***")
    })
  )

  it.effect("LogToStderr sends the line to stderr; LOG_LEVEL=warn drops info", () =>
    Effect.gen(function* () {
      const a = setup()
      yield* Effect.logInfo("to stderr").pipe(Effect.provideService(Logger.LogToStderr, true), Effect.provide(a.layer))
      assert.deepStrictEqual(a.out.lines, [])
      assert.strictEqual(a.err.json()[0]?.msg, "to stderr")

      const b = setup("warn")
      yield* Effect.gen(function* () {
        yield* Effect.logInfo("quiet")
        yield* Effect.logError("loud")
      }).pipe(Effect.provide(b.layer))
      assert.deepStrictEqual(
        b.out.json().map((l) => [l.level, l.msg]),
        [["error", "loud"]]
      )
      assert.strictEqual(parseLogLevel("WARNING"), "Warn")
      assert.strictEqual(parseLogLevel(undefined), "Info")
      assert.isUndefined(parseLogLevel("chatty"))
    })
  )

  it.effect("a line about an event logged inside a span carries that span's trace and span ids", () =>
    Effect.gen(function* () {
      const { out, layer } = setup()
      const exporter = new InMemorySpanExporter()
      const span = yield* Effect.gen(function* () {
        const current = yield* Effect.currentSpan
        yield* Effect.logInfo("inside").pipe(Effect.annotateLogs({ event_id: "e-2" }))
        yield* Effect.logInfo("not about an event")
        return current
      }).pipe(
        Effect.withSpan("chain orders"),
        Effect.provide(tracingWith([new SimpleSpanProcessor(exporter)])),
        Effect.provide(layer)
      )
      const [about, other] = out.json()
      assert.strictEqual(about.trace_id, span.traceId)
      assert.strictEqual(about.span_id, span.spanId)
      assert.isUndefined(other.trace_id)
    })
  )
})
