/**
 * The flags of `hookstream run` (every one with an environment variable; the flag wins), and
 * the defaults it runs with when none is given. Other commands reuse the ones they share
 * (brokers, topics, streams).
 */
import { hostname } from "node:os"
import { Config, Option } from "effect"
import { Flag } from "effect/cli"
import { DEFAULT_STREAMS_DIR } from "../config/loadStreams.ts"
import { DEFAULT_DLQ_TOPIC } from "../domain/DeadLetterRecord.ts"
import { DEFAULT_RESULTS_TOPIC } from "../domain/ResultRecord.ts"
import { DEFAULT_INPUT_TOPIC } from "../domain/WebhookEvent.ts"
import { DEFAULT_PRODUCER_CLIENT, producerClients } from "../kafka/producer/ProducerDriver.ts"
import { DEFAULT_OPS_PORT } from "../observability/opsPort.ts"
import { brokersFlag } from "./brokers.ts"

export const withEnv = <A>(flag: Flag.Flag<A>, config: Config.Config<A>, fallback: A) =>
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
  watch: withEnv(
    Flag.Boolean("watch").pipe(
      Flag.withDescription(
        "Reload the streams and connections when their files change (SIGHUP reloads either way); a change that does not validate never takes effect (env HOOKSTREAM_WATCH; on by default, --no-watch turns it off)"
      )
    ),
    Config.Boolean("HOOKSTREAM_WATCH"),
    true
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

export type RunInput = {
  readonly [K in keyof typeof runFlags]: (typeof runFlags)[K] extends Flag.Flag<infer A> ? A : never
}

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
  watch: true,
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
