/**
 * Scenario child: the real processor (`startProcessor`, at-least-once, the in-flight caps and
 * commit interval `hookstream run` uses) on one stream whose chain is three no-op modules or
 * one `http` module against the harness's slow sink, under `runMain` like `hookstream run`
 * (its logger, LOG_LEVEL, and tracing only when OTEL_* asks for it). Started by the harness
 * (see ../childProtocol.ts), never by hand.
 */
import { Effect, Schema } from "effect"
import { logLevel } from "kafkajs"
import { runMain } from "../../../src/cli/runMain.ts"
import type { ChainPlan, ModulePlan } from "../../../src/domain/ChainPlan.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { makeKafka } from "../../../src/kafka/kafkaClient.ts"
import type { Destination } from "../../../src/modules/Destination.ts"
import { loadDestination } from "../../../src/modules/registry.ts"
import type { RunnableStream } from "../../../src/processor/handleRecord.ts"
import { newLease } from "../../../src/processor/LiveStreams.ts"
import { startProcessor } from "../../../src/processor/Processor.ts"
import { childReporter, childSettings } from "../childProtocol.ts"

const httpDestination = await loadDestination("http")

const settings = childSettings()

const step = (id: string, index: number, module: "log" | "http", config: unknown): ModulePlan => ({
  id,
  module,
  index,
  timeoutMs: 5_000,
  retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: true },
  config,
  // as many sends in flight as the processor lets events run on one partition
  guard: { key: `bench/${id}`, maxInFlight: 256, maxQueued: 256, failureThreshold: 5, cooldownMs: 30_000 }
})

const program = Effect.gen(function* () {
  const engine = ChainEngine.make()
  let modules: Array<ModulePlan>
  let destination: Destination
  if (settings.chain === "http") {
    const config = Schema.decodeUnknownSync(httpDestination.config)({
      url: settings.sinkUrl,
      allowed_hosts: ["127.0.0.1"]
    })
    modules = [step("notify", 0, "http", config)]
    destination = yield* httpDestination.make(undefined)
  } else {
    modules = ["a", "b", "c"].map((id, index) => step(id, index, "log", {}))
    // like the log step it stands for: a send that neither waits nor fails (Destination.immediate)
    destination = { send: () => Effect.succeed({}), immediate: true }
  }
  const plan: ChainPlan = {
    webhookId: "bench",
    execution: settings.execution,
    continueOnError: false,
    timeoutMs: 30_000,
    maxParallel: modules.length,
    modules
  }
  // with a config lease and version, as `hookstream run` binds every stream (LiveStreams.ts)
  const streams = new Map<string, RunnableStream>([
    [
      "bench",
      {
        chain: engine.bind(plan, () => destination),
        maxPayloadBytes: 1_048_576,
        configVersion: "0123456789ab",
        lease: newLease().lease
      }
    ]
  ])
  const kafka = makeKafka({ brokers: settings.brokers, clientId: "bench-hookstream", logLevel: logLevel.ERROR })
  const processor = yield* startProcessor(kafka, streams, engine, {
    groupId: settings.group,
    inputTopic: settings.input,
    topics: { results: settings.output, dlq: settings.dlq },
    // the defaults of `hookstream run`
    maxInFlight: 1_024,
    maxInFlightPerPartition: 256,
    shutdownTimeoutMs: 10_000,
    exactlyOnce: false,
    commitIntervalMs: 1_000,
    instanceId: "bench",
    // as `hookstream run`: the deferred topic and path (docs/isolation.md), unless the scenario
    // measures without them
    ...(settings.deferral === false
      ? {}
      : { deferred: { topic: `${settings.input}.deferred`, groupId: `${settings.group}.deferred` } }),
    ...(settings.producerClient === undefined ? {} : { producerClient: settings.producerClient })
  })
  const reporter = childReporter(settings, () => processor.status().processed)
  const waitReady = setInterval(() => {
    if (processor.status().ready) {
      clearInterval(waitReady)
      reporter.ready()
    }
  }, 5)
  return yield* processor.failed.pipe(Effect.tapError((e) => Effect.sync(() => reporter.fail(e))))
})

runMain(Effect.scoped(program))
