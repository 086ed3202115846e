/**
 * Runs a stream's inline tests (`tests:` in its file) through the real record pipeline
 * (decode → size limit → payload_schema → chain → result and DLQ records) with the real engine, simulated
 * destinations and a TestClock, so a test of a 30 s deadline takes microseconds and
 * always gives the same answer. Used by `hookstream test` and by our own test suite.
 */
import { isDeepStrictEqual } from "node:util"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { StreamDefinition } from "../config/StreamDefinition.ts"
import type { SimulatedBehaviour, StreamTest } from "../config/StreamTest.ts"
import { streamRedactor } from "../domain/redact.ts"
import { ChainEngine } from "../engine/ChainEngine.ts"
import type { InputRecord } from "../kafka/InputRecord.ts"
import { handleRecord } from "../processor/handleRecord.ts"
import { type Behaviour, makeRecorder, type Recorder, simulatedDestination } from "./SimulatedDestination.ts"

export interface StreamTestResult {
  readonly stream: string
  readonly file: string
  readonly name: string
  readonly passed: boolean
  /** what differed from the expectation; empty when passed */
  readonly mismatches: ReadonlyArray<string>
}

const TOPICS = { results: "results", dlq: "dlq" }

const toBehaviour = (b: SimulatedBehaviour): Behaviour => {
  switch (b.behaviour) {
    case "succeed":
      return { _tag: "succeed", delayMs: b.delayMs }
    case "hang":
      return { _tag: "hang" }
    case "fail":
      return { _tag: "fail", retryable: b.retryable, reason: b.reason, delayMs: b.delayMs }
    case "flaky":
      return { _tag: "flaky", failures: b.failures, reason: b.reason, delayMs: b.delayMs }
  }
}

const inputRecord = (stream: StreamDefinition, test: StreamTest): InputRecord => {
  const event = {
    webhook_id: stream.plan.webhookId,
    payload: test.event.payload,
    ...(test.event.id === undefined ? {} : { id: test.event.id }),
    headers: test.event.headers,
    payload_encoding: test.event.payloadEncoding,
    ...(test.event.receivedAt === undefined ? {} : { received_at: test.event.receivedAt })
  }
  return {
    topic: "webhooks",
    partition: 0,
    offset: "0",
    key: test.event.key === undefined ? null : Buffer.from(test.event.key),
    value: Buffer.from(JSON.stringify(event)),
    headers: {},
    timestamp: 0
  }
}

export const runStreamTest = (stream: StreamDefinition, test: StreamTest): Effect.Effect<StreamTestResult> =>
  Effect.gen(function* () {
    const engine = ChainEngine.make()
    const recorder = makeRecorder()
    const destination = simulatedDestination((id) => {
      const behaviour = test.modules[id]
      return behaviour === undefined ? { _tag: "succeed" } : toBehaviour(behaviour)
    }, recorder)
    const { redaction } = stream
    const runnable = {
      chain: engine.bind(stream.plan, () => destination),
      maxPayloadBytes: stream.maxPayloadBytes,
      ...(redaction.payload ? { payloadRedactor: streamRedactor(redaction) } : {}),
      ...(stream.payloadContract === undefined ? {} : { payloadContract: stream.payloadContract })
    }
    const ctx = { streams: new Map([[stream.plan.webhookId, runnable]]), engine, topics: TOPICS, now: () => 0 }
    const fiber = yield* Effect.forkChild(handleRecord(ctx, inputRecord(stream, test)))
    yield* TestClock.adjust(stream.plan.timeoutMs + 1)
    const outputs = yield* Fiber.join(fiber)

    const mismatches: Array<string> = []
    const result = outputs.find((o) => o.topic === TOPICS.results)
    const dlq = outputs.find((o) => o.topic === TOPICS.dlq)
    const parsed =
      result === undefined
        ? undefined
        : (JSON.parse(result.value) as { status: string; modules: Array<{ id: string; status: string }> })
    const dlqReason = dlq === undefined ? null : (JSON.parse(dlq.value) as { reason: string }).reason
    const status = parsed?.status ?? "(no result record)"
    const expectedStatus = test.expect.status ?? "(no result record)"
    if (status !== expectedStatus) mismatches.push(`status: expected ${expectedStatus}, got ${status}`)
    for (const [id, expected] of Object.entries(test.expect.modules)) {
      const actual = parsed?.modules.find((m) => m.id === id)?.status ?? "(not run)"
      if (actual !== expected) mismatches.push(`module ${id}: expected ${expected}, got ${actual}`)
    }
    if (dlqReason !== test.expect.dlqReason) {
      // a refusal says why (the payload_schema's paths, for one): the fix starts there
      const message =
        dlq === undefined ? undefined : (JSON.parse(dlq.value) as { error?: { message?: string } }).error?.message
      const why = message === undefined ? "" : ` (${message})`
      mismatches.push(`dead letter: expected ${test.expect.dlqReason ?? "none"}, got ${dlqReason ?? "none"}${why}`)
    }
    mismatches.push(...receivedMismatches(test, recorder))
    return {
      stream: stream.plan.webhookId,
      file: stream.file,
      name: test.name,
      passed: mismatches.length === 0,
      mismatches
    }
  }).pipe(Effect.provide(TestClock.layer()))

/** What the sinks received against `expect.bodies` / `expect.headers`, as JSON (what a sink would be sent). */
const receivedMismatches = (test: StreamTest, recorder: Recorder): Array<string> => {
  const out: Array<string> = []
  const asJson = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)))
  for (const [id, expected] of Object.entries(test.expect.bodies ?? {})) {
    const received = recorder.received.get(id)
    if (received === undefined)
      out.push(`module ${id}: expected body ${JSON.stringify(expected)}, but it was not called`)
    else if (!isDeepStrictEqual(asJson(received.body), expected)) {
      out.push(`module ${id}: expected body ${JSON.stringify(expected)}, got ${JSON.stringify(received.body)}`)
    }
  }
  for (const [id, expected] of Object.entries(test.expect.headers ?? {})) {
    const received = recorder.received.get(id)
    const actual = received?.headers ?? {}
    if (received === undefined)
      out.push(`module ${id}: expected headers ${JSON.stringify(expected)}, but it was not called`)
    else if (!isDeepStrictEqual({ ...actual }, expected)) {
      out.push(`module ${id}: expected headers ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
    }
  }
  return out
}

export const runStreamTests = (
  streams: ReadonlyArray<StreamDefinition>
): Effect.Effect<ReadonlyArray<StreamTestResult>> =>
  Effect.forEach(
    streams.flatMap((stream) => stream.tests.map((test) => [stream, test] as const)),
    ([stream, test]) => runStreamTest(stream, test)
  )
