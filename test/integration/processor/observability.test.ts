/**
 * What an operator sees of a known run of the real processor against the broker: exact
 * metric values, the span tree of a chain whose parent came from a Kafka header, log lines
 * that name the event and carry no secret nor payload, and /readyz turning 503 while the
 * processor drains on shutdown. One processor run serves every check (group joins cost seconds).
 */
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Exit, Layer, Scope } from "effect"
import { Partitioners } from "kafkajs"
import { Registry } from "prom-client"
import { describe, expect, it } from "vitest"
import type { ChainPlan, ModulePlan } from "../../../src/domain/ChainPlan.ts"
import { destinationError } from "../../../src/domain/DestinationError.ts"
import { parseTraceparent } from "../../../src/domain/TraceContext.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { makeKafka } from "../../../src/kafka/kafkaClient.ts"
import type { Destination } from "../../../src/modules/Destination.ts"
import { logDestination } from "../../../src/modules/log.ts"
import { addLogSecrets } from "../../../src/observability/logFields.ts"
import { loggingLayer } from "../../../src/observability/logging.ts"
import { makeOpsServer } from "../../../src/observability/opsServer.ts"
import { tracingWith } from "../../../src/observability/tracing.ts"
import type { RunnableStream } from "../../../src/processor/handleRecord.ts"
import { startProcessor } from "../../../src/processor/Processor.ts"
import { processorMetrics } from "../../../src/processor/ProcessorMetrics.ts"
import { consumeRecords, kafkaBrokers, uniqueName } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { freshTopics, testKafkaClient } from "./harness.ts"

const CONNECTION_PASSWORD = "conn-pw-Zx81q"
const PAYLOAD_PASSWORD = "hunter2-payload"
const PAYLOAD_TOKEN = "tok-payload-4471"
const PAYLOAD_MARKER = "marker-payload-93"
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT_SPAN = "00f067aa0ba902b7"

const step = (id: string, module: ModulePlan["module"], index: number, config: unknown, maxAttempts: number) => ({
  id,
  module,
  index,
  timeoutMs: 10_000,
  retry: { maxAttempts, initialDelayMs: 10, maxDelayMs: 20, multiplier: 2, jitter: false },
  config,
  guard: { key: `obs/${id}`, maxInFlight: 100, maxQueued: 100, failureThreshold: 1_000, cooldownMs: 1_000 }
})

const plan: ChainPlan = {
  webhookId: "obs",
  execution: "sequential",
  continueOnError: true,
  timeoutMs: 30_000,
  maxParallel: 1,
  modules: [
    step("a", "log", 0, Object.freeze({ level: "info", include_payload: true, include_headers: false }), 1),
    step("b", "http", 1, Object.freeze({}), 2)
  ]
}

/** `b`: fails (retryably, echoing the connection password) for `fail` events; waits for `slow` ones */
const sinkB = (slow: Promise<void>): Destination => ({
  send: (d) => {
    const payload = d.payload as { fail?: boolean; slow?: boolean }
    if (payload.slow === true) return Effect.promise(() => slow).pipe(Effect.as({}))
    return payload.fail === true
      ? Effect.fail(destinationError("unavailable", `auth failed for app password=${CONNECTION_PASSWORD} at db:5432`))
      : Effect.succeed({})
  }
})

/** one sample of the registry (a histogram's `_count`/`_sum`/`_bucket` samples by their own names) */
const metricValue = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values as ReadonlyArray<{ value: number; labels: object; metricName?: string }>) {
      if ((v.metricName ?? metric.name) !== name) continue
      const own = v.labels as Record<string, unknown>
      if (Object.entries(labels).every(([k, want]) => String(own[k]) === want)) return v.value
    }
  }
  return undefined
}

const lagSeries = (metrics: Awaited<ReturnType<Registry["getMetricsAsJSON"]>>) =>
  (metrics.find((m) => m.name === "hookstream_consumer_lag")?.values ?? []).map((v) => v.value)

describe("observability of a processor run", () => {
  it("exact metrics, the span tree from a Kafka traceparent, clean event logs, /readyz 503 while draining", async () => {
    const kafka = testKafkaClient()
    const topics = await freshTopics(kafka, 2)
    const registry = new Registry()
    const exporter = new InMemorySpanExporter()
    const lines: Array<string> = []
    const capture = { write: (line: string) => void lines.push(line) }
    let release: () => void = () => undefined
    const slow = new Promise<void>((resolve) => {
      release = resolve
    })

    addLogSecrets([CONNECTION_PASSWORD])
    const engine = ChainEngine.make({ secrets: [CONNECTION_PASSWORD] })
    const log = Effect.runSync(Effect.scoped(logDestination.make(undefined)))
    const b = sinkB(slow)
    const chain = engine.bind(plan, (m) => (m.id === "a" ? (log as Destination) : b))
    const streams = new Map<string, RunnableStream>([["obs", { chain, maxPayloadBytes: 1_048_576 }]])

    const scope = Effect.runSync(Scope.make())
    const services = await Effect.runPromise(
      Layer.buildWithScope(
        Layer.mergeAll(
          tracingWith([new SimpleSpanProcessor(exporter)]),
          loggingLayer({ level: "info", stdout: capture, stderr: capture, pretty: false })
        ),
        scope
      )
    )
    const inScope = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) =>
      Effect.runPromise(effect.pipe(Scope.provide(scope), Effect.provide(Layer.succeedContext(services))))
    const ops = await inScope(makeOpsServer({ host: "127.0.0.1", port: 0 }))
    const processor = await inScope(
      startProcessor(makeKafka({ brokers: kafkaBrokers().split(","), clientId: uniqueName("obs") }), streams, engine, {
        groupId: topics.group,
        inputTopic: topics.input,
        topics: { results: topics.results, dlq: topics.dlq },
        maxInFlight: 1_024,
        maxInFlightPerPartition: 256,
        shutdownTimeoutMs: 20_000,
        exactlyOnce: false,
        commitIntervalMs: 200,
        instanceId: "obs",
        sessionTimeoutMs: 10_000,
        metrics: processorMetrics(registry)
      })
    )
    ops.addReadinessCheck({ name: "processor", problem: () => processor.status().problem })
    let stopped: Promise<void> | undefined
    const stop = () => {
      stopped ??= Effect.runPromise(Scope.close(scope, Exit.void))
      return stopped
    }

    try {
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
      await producer.connect()
      const events = Array.from({ length: 10 }, (_, seq) => ({
        key: `k-${seq % 3}`,
        value: JSON.stringify({
          webhook_id: "obs",
          payload: {
            seq,
            fail: seq === 3 || seq === 7,
            password: PAYLOAD_PASSWORD,
            api_token: PAYLOAD_TOKEN,
            note: PAYLOAD_MARKER
          }
        }),
        headers: {
          "x-correlation-id": `corr-${seq}`,
          ...(seq === 0 ? { traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` } : {})
        }
      }))
      await producer.send({ topic: topics.input, acks: -1, messages: [...events, { key: "bad", value: "not json{" }] })

      const results = await consumeRecords(kafka, { topic: topics.results, count: 10 })
      const dead = await consumeRecords(kafka, { topic: topics.dlq, count: 3 })
      expect(results).toHaveLength(10)
      expect(dead).toHaveLength(3)
      // offsets committed behind the outcomes, nothing in flight, no lag left
      await waitFor(
        async () =>
          ((await metricValue(registry, "hookstream_offset_commits_total")) ?? 0) > 0 &&
          (await metricValue(registry, "hookstream_inflight_events")) === 0 &&
          lagSeries(await registry.getMetricsAsJSON()).every((v) => v === 0) &&
          lagSeries(await registry.getMetricsAsJSON()).length > 0,
        { description: "commits, no events in flight, zero lag" }
      )

      // ── metrics: exact values after the known run
      const m = (name: string, labels?: Record<string, string>) => metricValue(registry, name, labels)
      expect(await m("hookstream_events_consumed_total")).toBe(11)
      expect(await m("hookstream_chain_executions_total", { webhook_id: "obs", status: "succeeded" })).toBe(8)
      expect(await m("hookstream_chain_executions_total", { webhook_id: "obs", status: "partial" })).toBe(2)
      expect(await m("hookstream_module_executions_total", { module: "log", status: "succeeded" })).toBe(10)
      expect(await m("hookstream_module_executions_total", { module: "http", status: "succeeded" })).toBe(8)
      expect(await m("hookstream_module_executions_total", { module: "http", status: "failed" })).toBe(2)
      expect(await m("hookstream_module_retries_total", { module: "http" })).toBe(2)
      expect(await m("hookstream_dlq_records_total", { reason: "chain_failed" })).toBe(2)
      expect(await m("hookstream_dlq_records_total", { reason: "invalid_event" })).toBe(1)
      expect(await m("hookstream_chain_duration_seconds_count", { webhook_id: "obs" })).toBe(10)
      expect(await m("hookstream_chain_duration_seconds_bucket", { webhook_id: "obs", le: "+Inf" })).toBe(10)
      // every step that started: 10 log steps, 10 http steps (8 succeeded, 2 failed after a retry)
      expect(await m("hookstream_module_duration_seconds_count", { module: "log" })).toBe(10)
      expect(await m("hookstream_module_duration_seconds_count", { module: "http" })).toBe(10)
      expect(await m("hookstream_outcome_publish_failures_total")).toBe(0)
      expect(await m("hookstream_circuit_state", { module: "http", connection: "obs/b" })).toBe(0)
      expect(await m("hookstream_partitions_assigned")).toBe(2)

      // ── spans: the chain of the event with a traceparent header, under that header's span
      const spans = exporter.getFinishedSpans()
      expect(spans.filter((s) => s.name === "chain obs")).toHaveLength(10)
      const traced = spans.filter((s) => s.spanContext().traceId === TRACE_ID)
      const chainSpan = traced.find((s) => s.name === "chain obs") as ReadableSpan
      expect(chainSpan.parentSpanContext?.spanId).toBe(PARENT_SPAN)
      expect(chainSpan.attributes["messaging.destination.name"]).toBe(topics.input)
      expect(chainSpan.attributes["hookstream.correlation_id"]).toBe("corr-0")
      expect(chainSpan.attributes["hookstream.status"]).toBe("succeeded")
      const children = traced.filter((s) => s.parentSpanContext?.spanId === chainSpan.spanContext().spanId)
      expect(
        children.map((s) => [s.name, s.attributes["hookstream.module"], s.attributes["hookstream.attempt"]])
      ).toEqual([
        ["module a", "log", 1],
        ["module b", "http", 1]
      ])
      // its result record continues the chain span
      const result = results.find((r) => JSON.parse(r.value ?? "{}").trace_id === TRACE_ID)
      expect(parseTraceparent(String(result?.headers.traceparent))?.spanId).toBe(chainSpan.spanContext().spanId)
      // a failing event: two attempts of b, both failed, the chain span in error
      const failedChain = spans.find((s) => s.name === "chain obs" && s.attributes["hookstream.status"] === "partial")
      const retries = spans.filter(
        (s) => s.name === "module b" && s.parentSpanContext?.spanId === failedChain?.spanContext().spanId
      )
      expect(retries.map((s) => [s.attributes["hookstream.attempt"], s.attributes["hookstream.status"]])).toEqual([
        [1, "failed"],
        [2, "failed"]
      ])
      expect(failedChain?.status.code).toBe(2)
      expect(JSON.stringify(retries.map((s) => s.events))).not.toContain(CONNECTION_PASSWORD)

      // ── logs: every line about an event names it; no secret, no payload anywhere
      const text = lines.join("")
      for (const secret of [CONNECTION_PASSWORD, PAYLOAD_PASSWORD, PAYLOAD_TOKEN, PAYLOAD_MARKER]) {
        expect(text).not.toContain(secret)
      }
      const json = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
      const aboutEvents = json.filter((l) => l["event_id"] !== undefined)
      expect(aboutEvents.length).toBeGreaterThanOrEqual(12)
      for (const line of aboutEvents) {
        for (const field of ["webhook_id", "correlation_id", "trace_id", "topic", "partition", "offset"]) {
          expect(line[field], `${field} in ${JSON.stringify(line)}`).toBeDefined()
        }
      }
      const delivered = aboutEvents.filter((l) => l["msg"] === "webhook delivered")
      expect(new Set(delivered.map((l) => l["correlation_id"]))).toEqual(
        new Set(Array.from({ length: 10 }, (_, i) => `corr-${i}`))
      )
      expect(delivered.find((l) => l["correlation_id"] === "corr-0")?.["trace_id"]).toBe(TRACE_ID)
      const deadLines = json.filter((l) => l["msg"] === "event dead-lettered")
      expect(deadLines.map((l) => l["reason"]).sort()).toEqual(["chain_failed", "chain_failed", "invalid_event"])
      expect(deadLines.every((l) => l["level"] === "warn" && l["trace_id"] !== undefined)).toBe(true)
      expect(JSON.stringify(deadLines)).toContain("[REDACTED]")

      // ── /readyz: ready while serving, 503 "shutting down" as soon as the drain starts
      const readyz = async () => {
        const res = await fetch(`${ops.url}/readyz`)
        return { code: res.status, body: await res.text() }
      }
      expect((await readyz()).code).toBe(200)
      await producer.send({
        topic: topics.input,
        acks: -1,
        messages: [{ key: "s", value: JSON.stringify({ webhook_id: "obs", payload: { slow: true } }) }]
      })
      await producer.disconnect()
      await waitFor(() => processor.status().inFlight === 1, { description: "the slow event in flight" })
      const stopping = stop()
      await waitFor(async () => (await readyz()).code === 503, { description: "/readyz 503 during the drain" })
      expect((await readyz()).body).toContain("shutting down")
      expect((await fetch(`${ops.url}/healthz`)).status).toBe(200)
      release()
      await stopping
    } finally {
      release()
      await stop()
    }
  })
})
