/**
 * `hookstream run`: the processor. Every flag has an environment variable (flag wins; see
 * runFlags.ts). Invalid streams or connections stop it before it consumes anything, with the
 * same messages as `hookstream validate`; once it runs, a change to them is reloaded without
 * a restart (configReload.ts), and an invalid change never takes effect.
 */
import { Console, Effect, Predicate } from "effect"
import { Command } from "effect/cli"
import type { LoadedConfig } from "../config/StreamDefinition.ts"
import { DEFAULT_DEFERRED_PARTITIONS, defaultDeferredTopic } from "../domain/DeferredRecord.ts"
import { ChainEngine } from "../engine/ChainEngine.ts"
import { ensureTopics } from "../kafka/topics.ts"
import { addLogSecrets } from "../observability/logFields.ts"
import type { OpsServer } from "../observability/opsServer.ts"
import { connectionSecrets } from "../processor/bindStreams.ts"
import { LiveStreams } from "../processor/LiveStreams.ts"
import { parseDuration } from "../schema/Duration.ts"
import { awaitBrokers, chooseBrokers } from "./brokers.ts"
import { CliExit, EXIT_FAILURE, usageError } from "./CliExit.ts"
import { startConfigReload } from "./configReload.ts"
import { kafkaWithReadiness } from "./kafkaReadiness.ts"
import { loadConfigOrExit, streamPaths } from "./loadConfigOrExit.ts"
import { defaultRunInput, type RunInput, runFlags } from "./runFlags.ts"

/** Kafka topics the streams' kafka steps publish to (for `npm start`'s local broker). */
export const sinkTopics = (config: LoadedConfig): ReadonlyArray<string> => [
  ...new Set(
    config.streams.flatMap((s) =>
      s.plan.modules.flatMap((m) =>
        m.module === "kafka" && Predicate.isObject(m.config) && typeof m.config["topic"] === "string"
          ? [m.config["topic"]]
          : []
      )
    )
  )
]

/** The deferred topic `run` uses: `--deferred`, else `<input>.deferred`; `off`: none. */
export const deferredTopicOf = (input: { readonly deferred: string; readonly input: string }): string | undefined =>
  input.deferred === "off" ? undefined : input.deferred === "" ? defaultDeferredTopic(input.input) : input.deferred

export { defaultRunInput, type RunInput, runFlags } from "./runFlags.ts"

const usage = (message: string) => usageError("run", message)

/**
 * Loads, binds and runs until interrupted (SIGTERM/SIGINT) or until Kafka fails for good.
 * `ops`: an ops server already running in this process (`npm start` shares the ingress's),
 * else one is started on --ops-host/--ops-port.
 */
export const runProcessorCommand = Effect.fn("run")(function* (input: RunInput, ops?: OpsServer) {
  const shutdownTimeoutMs = parseDuration(input.shutdownTimeout)
  if (shutdownTimeoutMs === undefined)
    return yield* usage(`--shutdown-timeout: not a duration: ${input.shutdownTimeout}`)
  const sessionTimeoutMs = parseDuration(input.sessionTimeout)
  if (sessionTimeoutMs === undefined || sessionTimeoutMs < 1_000)
    return yield* usage(`--session-timeout: expected a duration of at least 1s, got ${input.sessionTimeout}`)
  if (input.maxInFlight < 1 || input.maxInFlightPerPartition < 1) return yield* usage("in-flight caps must be ≥ 1")
  const deferredTopic = deferredTopicOf(input)
  // chosen before the streams load (npm start's broker becomes ${KAFKA_BROKERS} for the
  // connections file), contacted only once they are valid: invalid streams stop run with no Kafka call
  const chosen = yield* chooseBrokers("run", input.brokers)
  const config = yield* loadConfigOrExit(
    "run",
    { paths: streamPaths(input.streams), connections: input.connections },
    "nothing consumed"
  )

  const brokers = yield* awaitBrokers("run", chosen)
  // connection passwords and tokens never reach a log line, whatever a driver echoes
  addLogSecrets(connectionSecrets(config))
  // loaded here, not at the top: other commands do not pay for fastify and prom-client
  const { startProcessor } = yield* Effect.promise(() => import("../processor/Processor.ts"))
  const server =
    ops ??
    (yield* Effect.promise(() => import("../observability/opsServer.ts")).pipe(
      Effect.flatMap(({ makeOpsServer }) => makeOpsServer({ host: input.opsHost, port: input.opsPort })),
      Effect.catchTag("OpsServerError", (e) =>
        Console.error(`hookstream run: ${e.message}`).pipe(
          Effect.andThen(Effect.fail(new CliExit({ code: EXIT_FAILURE })))
        )
      )
    ))
  let status: (() => { readonly problem: string | undefined }) | undefined
  server.addReadinessCheck({ name: "processor", problem: () => (status === undefined ? "starting" : status().problem) })
  const kafka = yield* kafkaWithReadiness(server, "processor kafka", {
    brokers,
    clientId: `hookstream-${input.instanceId}`
  })
  if (input.createTopics) {
    const created = yield* ensureTopics(kafka, [
      { topic: input.input, partitions: input.partitions },
      { topic: input.results, partitions: input.partitions },
      { topic: input.dlq, partitions: input.partitions },
      ...(deferredTopic === undefined ? [] : [{ topic: deferredTopic, partitions: DEFAULT_DEFERRED_PARTITIONS }])
    ])
    if (created.length > 0) yield* Effect.logInfo("created topics", created.join(", "))
  }

  if (input.consoleToken !== "") addLogSecrets([input.consoleToken])
  const engine = ChainEngine.make({ secrets: connectionSecrets(config) })
  const streams = yield* LiveStreams.make(config, engine, { drainTimeoutMs: shutdownTimeoutMs })
  const reloader = yield* startConfigReload({
    component: "processor",
    source: { paths: streamPaths(input.streams), connections: input.connections },
    initial: config,
    watch: input.watch,
    apply: (next) =>
      Effect.gen(function* () {
        const secrets = connectionSecrets(next)
        addLogSecrets(secrets)
        engine.addSecrets(secrets)
        const swapped = yield* streams.swap(next)
        return { added: swapped.added, removed: swapped.removed, closing: swapped.closing }
      })
  })

  const { mountConsole, consoleMetrics } = yield* Effect.promise(() => import("../console/mountConsole.ts"))
  const hub = yield* mountConsole(server, {
    enabled: input.console,
    token: input.consoleToken,
    kafka,
    topics: { input: input.input, results: input.results, dlq: input.dlq },
    streams: () => reloader.config().streams,
    reload: reloader.status
  })

  const running = yield* startProcessor(kafka, streams, engine, {
    groupId: input.group,
    inputTopic: input.input,
    topics: { results: input.results, dlq: input.dlq },
    maxInFlight: input.maxInFlight,
    maxInFlightPerPartition: input.maxInFlightPerPartition,
    shutdownTimeoutMs,
    sessionTimeoutMs,
    exactlyOnce: input.exactlyOnce,
    commitIntervalMs: input.exactlyOnce ? 100 : 1_000,
    instanceId: input.instanceId,
    producerClient: input.producerClient,
    ...(deferredTopic === undefined ? {} : { deferred: { topic: deferredTopic, groupId: `${input.group}.deferred` } }),
    ...(hub === undefined ? {} : { metrics: consoleMetrics(hub) })
  })
  status = running.status
  yield* Effect.logInfo("streams loaded", {
    streams: streams.keys(),
    version: config.version,
    reload: input.watch ? "on file change and SIGHUP" : "on SIGHUP",
    ops: server.url
  })
  return yield* running.failed
}, Effect.scoped)

/** `hookstream run` from code, with the given settings over the defaults. */
export const runProcessorWith = (overrides: Partial<RunInput>, ops?: OpsServer) =>
  runProcessorCommand({ ...defaultRunInput, ...overrides }, ops)

export const runCommand = Command.make("run", runFlags, (input) => runProcessorCommand(input)).pipe(
  Command.withDescription(
    "Consume the webhooks topic, run each event's chain (per-key order), publish results and dead letters, and commit only what is durable. Stops cleanly on SIGTERM/SIGINT."
  ),
  Command.withExamples([
    { command: "hookstream run --create-topics", description: "Run the streams in streams/, creating missing topics" },
    {
      command: "hookstream run --exactly-once",
      description: "Transactional outcomes: a read_committed reader sees one per event"
    }
  ])
)
