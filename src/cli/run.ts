/**
 * `hookstream run`: the processor. Every flag has an environment variable (flag wins).
 * Invalid streams or connections stop it before it consumes anything, with the same
 * messages as `hookstream validate`.
 */
import { hostname } from "node:os"
import { Config, Console, Effect, Option, Predicate } from "effect"
import { Command, Flag } from "effect/cli"
import { DEFAULT_STREAMS_DIR } from "../config/loadStreams.ts"
import type { LoadedConfig } from "../config/StreamDefinition.ts"
import { DEFAULT_DLQ_TOPIC } from "../domain/DeadLetterRecord.ts"
import { DEFAULT_DEFERRED_PARTITIONS, defaultDeferredTopic } from "../domain/DeferredRecord.ts"
import { DEFAULT_RESULTS_TOPIC } from "../domain/ResultRecord.ts"
import { DEFAULT_INPUT_TOPIC } from "../domain/WebhookEvent.ts"
import { ChainEngine } from "../engine/ChainEngine.ts"
import { DEFAULT_PRODUCER_CLIENT, producerClients } from "../kafka/producer/ProducerDriver.ts"
import { ensureTopics } from "../kafka/topics.ts"
import { addLogSecrets } from "../observability/logFields.ts"
import { DEFAULT_OPS_PORT } from "../observability/opsPort.ts"
import type { OpsServer } from "../observability/opsServer.ts"
import { bindStreams, connectionSecrets } from "../processor/bindStreams.ts"
import { parseDuration } from "../schema/Duration.ts"
import { awaitBrokers, brokersFlag, chooseBrokers } from "./brokers.ts"
import { CliExit, EXIT_FAILURE, usageError } from "./CliExit.ts"
import { kafkaWithReadiness } from "./kafkaReadiness.ts"
import { loadConfigOrExit, streamPaths } from "./loadConfigOrExit.ts"

const withEnv = <A>(flag: Flag.Flag<A>, config: Config.Config<A>, fallback: A) =>
  flag.pipe(Flag.withFallbackConfig(config), Flag.withDefault(fallback))

export const runFlags = {
  brokers: brokersFlag,
  group: withEnv(
    Flag.String("group").pipe(Flag.withDescription("Consumer group id (env HOOKSTREAM_GROUP; default hookstream)")),
    Config.String("HOOKSTREAM_GROUP"),
    "hookstream"
  ),
  input: withEnv(
    Flag.String("input").pipe(
      Flag.withDescription(`Input topic (env HOOKSTREAM_INPUT; default ${DEFAULT_INPUT_TOPIC})`)
    ),
    Config.String("HOOKSTREAM_INPUT"),
    DEFAULT_INPUT_TOPIC
  ),
  results: withEnv(
    Flag.String("results").pipe(
      Flag.withDescription(`Results topic (env HOOKSTREAM_RESULTS; default ${DEFAULT_RESULTS_TOPIC})`)
    ),
    Config.String("HOOKSTREAM_RESULTS"),
    DEFAULT_RESULTS_TOPIC
  ),
  dlq: withEnv(
    Flag.String("dlq").pipe(
      Flag.withDescription(`Dead-letter topic (env HOOKSTREAM_DLQ; default ${DEFAULT_DLQ_TOPIC})`)
    ),
    Config.String("HOOKSTREAM_DLQ"),
    DEFAULT_DLQ_TOPIC
  ),
  deferred: withEnv(
    Flag.String("deferred").pipe(
      Flag.withDescription(
        "Deferred topic: work a congested or down destination cannot take now goes here instead of waiting in memory, drained by group <group>.deferred; created when missing; 'off' keeps such work in memory (env HOOKSTREAM_DEFERRED; default <input>.deferred)"
      )
    ),
    Config.String("HOOKSTREAM_DEFERRED"),
    ""
  ),
  streams: withEnv(
    Flag.String("streams").pipe(
      Flag.withDescription(`Stream files or directory (env HOOKSTREAM_STREAMS; default ${DEFAULT_STREAMS_DIR})`)
    ),
    Config.String("HOOKSTREAM_STREAMS"),
    DEFAULT_STREAMS_DIR
  ),
  connections: withEnv(
    Flag.String("connections").pipe(
      Flag.withDescription(
        "Connections file; default connections.yaml next to the streams (env HOOKSTREAM_CONNECTIONS)"
      )
    ),
    Config.String("HOOKSTREAM_CONNECTIONS"),
    ""
  ),
  maxInFlight: withEnv(
    Flag.Int("max-in-flight").pipe(
      Flag.withDescription("Events in flight in this process (env HOOKSTREAM_MAX_IN_FLIGHT; default 1024)")
    ),
    Config.Int("HOOKSTREAM_MAX_IN_FLIGHT"),
    1_024
  ),
  maxInFlightPerPartition: withEnv(
    Flag.Int("max-in-flight-per-partition").pipe(
      Flag.withDescription(
        "Events in flight per input partition (env HOOKSTREAM_MAX_IN_FLIGHT_PER_PARTITION; default 256)"
      )
    ),
    Config.Int("HOOKSTREAM_MAX_IN_FLIGHT_PER_PARTITION"),
    256
  ),
  shutdownTimeout: withEnv(
    Flag.String("shutdown-timeout").pipe(
      Flag.withDescription(
        "How long in-flight chains may finish on SIGTERM, e.g. 30s (env HOOKSTREAM_SHUTDOWN_TIMEOUT; default 30s)"
      )
    ),
    Config.String("HOOKSTREAM_SHUTDOWN_TIMEOUT"),
    "30s"
  ),
  sessionTimeout: withEnv(
    Flag.String("session-timeout").pipe(
      Flag.withDescription(
        "How long the group waits for a silent instance (crashed, killed, cut off) before its partitions move, e.g. 30s; the broker allows 6s-30m by default (env HOOKSTREAM_SESSION_TIMEOUT; default 30s)"
      )
    ),
    Config.String("HOOKSTREAM_SESSION_TIMEOUT"),
    "30s"
  ),
  exactlyOnce: withEnv(
    Flag.Boolean("exactly-once").pipe(
      Flag.withDescription(
        "Transactional outcomes + offsets; read_committed readers see one outcome per event (env HOOKSTREAM_EXACTLY_ONCE)"
      )
    ),
    Config.Boolean("HOOKSTREAM_EXACTLY_ONCE"),
    false
  ),
  producerClient: withEnv(
    Flag.Literals("producer-client", producerClients).pipe(
      Flag.withDescription(
        `Kafka client that writes records: kafkajs or platformatic (measured faster); transactions that carry consumer offsets (--exactly-once, named replays) are KafkaJS's either way (env HOOKSTREAM_PRODUCER_CLIENT; default ${DEFAULT_PRODUCER_CLIENT})`
      )
    ),
    Config.Literals(producerClients, "HOOKSTREAM_PRODUCER_CLIENT"),
    DEFAULT_PRODUCER_CLIENT
  ),
  instanceId: withEnv(
    Flag.String("instance-id").pipe(
      Flag.withDescription(
        "Stable id of this instance; names its transactional producer (env HOOKSTREAM_INSTANCE_ID; default the host name)"
      )
    ),
    Config.String("HOOKSTREAM_INSTANCE_ID"),
    hostname()
  ),
  createTopics: withEnv(
    Flag.Boolean("create-topics").pipe(
      Flag.withDescription("Create the input, results and DLQ topics if missing (env HOOKSTREAM_CREATE_TOPICS)")
    ),
    Config.Boolean("HOOKSTREAM_CREATE_TOPICS"),
    false
  ),
  partitions: withEnv(
    Flag.Int("partitions").pipe(
      Flag.withDescription("Partitions of topics created by --create-topics (env HOOKSTREAM_PARTITIONS; default 6)")
    ),
    Config.Int("HOOKSTREAM_PARTITIONS"),
    6
  ),
  opsHost: withEnv(
    Flag.String("ops-host").pipe(
      Flag.withDescription(
        "Address of the ops endpoints /healthz, /readyz, /metrics (env HOOKSTREAM_OPS_HOST; default 0.0.0.0)"
      )
    ),
    Config.String("HOOKSTREAM_OPS_HOST"),
    "0.0.0.0"
  ),
  opsPort: withEnv(
    Flag.Int("ops-port").pipe(
      Flag.withDescription(
        `Port of /healthz, /readyz, /metrics; 0 picks a free one (env HOOKSTREAM_OPS_PORT; default ${DEFAULT_OPS_PORT})`
      )
    ),
    Config.Int("HOOKSTREAM_OPS_PORT"),
    DEFAULT_OPS_PORT
  ),
  console: withEnv(
    Flag.Boolean("console").pipe(
      Flag.withDescription(
        "Serve the operator console at /console on the ops port; on a non-loopback ops host only with a token (env HOOKSTREAM_CONSOLE; on by default, --no-console turns it off)"
      )
    ),
    Config.Boolean("HOOKSTREAM_CONSOLE"),
    true
  ),
  consoleToken: withEnv(
    Flag.String("console-token").pipe(
      Flag.withDescription("Bearer token the console's API requires (env HOOKSTREAM_CONSOLE_TOKEN, preferred)")
    ),
    Config.String("HOOKSTREAM_CONSOLE_TOKEN"),
    ""
  )
}

type RunInput = { readonly [K in keyof typeof runFlags]: (typeof runFlags)[K] extends Flag.Flag<infer A> ? A : never }

/** The defaults `hookstream run` would use (flags absent, env unset). */
export const defaultRunInput: RunInput = {
  brokers: Option.none(),
  group: "hookstream",
  input: DEFAULT_INPUT_TOPIC,
  results: DEFAULT_RESULTS_TOPIC,
  dlq: DEFAULT_DLQ_TOPIC,
  deferred: "",
  streams: DEFAULT_STREAMS_DIR,
  connections: "",
  maxInFlight: 1_024,
  maxInFlightPerPartition: 256,
  shutdownTimeout: "30s",
  sessionTimeout: "30s",
  exactlyOnce: false,
  producerClient: DEFAULT_PRODUCER_CLIENT,
  instanceId: hostname(),
  createTopics: false,
  partitions: 6,
  opsHost: "0.0.0.0",
  opsPort: DEFAULT_OPS_PORT,
  console: true,
  consoleToken: ""
}

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
  const { mountConsole, consoleMetrics } = yield* Effect.promise(() => import("../console/mountConsole.ts"))
  const hub = yield* mountConsole(server, {
    enabled: input.console,
    token: input.consoleToken,
    kafka,
    topics: { input: input.input, results: input.results, dlq: input.dlq },
    streams: config.streams
  })

  const engine = ChainEngine.make({ secrets: connectionSecrets(config) })
  const streams = yield* bindStreams(config, engine)
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
  yield* Effect.logInfo("streams loaded", { streams: [...streams.keys()], ops: server.url })
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
