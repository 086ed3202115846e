/**
 * npm run kafka:jars | kafka:start | kafka:stop | kafka:status
 *
 * `kafka:start` prints exactly one line on stdout, `KAFKA_BROKERS=127.0.0.1:<port>[,…]`, so
 * `export $(npm run -s kafka:start)` works; everything else goes to stderr. `-- --nodes 3`
 * starts a three-node cluster instead of the single dev broker.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { devBrokerStatus, startDevBroker, stopDevBroker } from "../src/kafka/local/devBroker.ts"
import { devClusterStatus, startDevCluster, stopDevCluster } from "../src/kafka/local/devCluster.ts"
import { KAFKA_VERSION } from "../src/kafka/local/KafkaVersion.ts"
import { LocalKafkaError } from "../src/kafka/local/LocalKafkaError.ts"
import { resolveJars } from "../src/kafka/local/resolveJars.ts"

const failWith = (error: LocalKafkaError) =>
  Console.error(`kafka: ${error.message}`).pipe(
    Effect.andThen(
      Effect.sync(() => {
        process.exitCode = 1
      })
    )
  )

const jars = Command.make("jars", {}, () =>
  Effect.gen(function* () {
    const started = Date.now()
    const resolved = yield* resolveJars()
    const how = resolved.cached ? "cached" : `resolved with Maven in ${Date.now() - started} ms`
    yield* Console.error(`Kafka ${resolved.version}: ${resolved.jars.length} jars in ${resolved.jarsDir} (${how})`)
  }).pipe(Effect.catch(failWith))
).pipe(Command.withDescription("Resolve the broker jars into .kafka/ (once; later runs are offline no-ops)"))

const start = Command.make(
  "start",
  {
    profile: Flag.Literals("profile", ["test", "bench"]).pipe(
      Flag.withDescription("JVM flags: test (small heap, fast start) or bench (the distribution's defaults)"),
      Flag.withDefault("test")
    ),
    nodes: Flag.Int("nodes").pipe(
      Flag.withDescription(
        "KRaft nodes: 1 (the dev broker, .kafka/dev/) or a cluster of n (.kafka/dev-cluster/; 3 gives replication factor 3, min.insync.replicas=2)"
      ),
      Flag.withDefault(1)
    )
  },
  ({ profile, nodes }) =>
    Effect.gen(function* () {
      const started = Date.now()
      if (nodes < 1) return yield* failWith(new LocalKafkaError({ reason: "io", message: "--nodes must be ≥ 1" }))
      if (nodes > 1) {
        const cluster = yield* startDevCluster(nodes, { profile })
        yield* Console.error(
          cluster.alreadyRunning
            ? `Kafka dev cluster already running (pids ${cluster.pids.join(", ")}); logs: ${cluster.dir}/node-*/broker.log`
            : `Kafka ${KAFKA_VERSION} dev cluster of ${nodes} nodes started in ${Date.now() - started} ms (pids ${cluster.pids.join(", ")}); logs: ${cluster.dir}/node-*/broker.log`
        )
        return yield* Console.log(`KAFKA_BROKERS=${cluster.brokers}`)
      }
      const broker = yield* startDevBroker({ profile })
      yield* Console.error(
        broker.alreadyRunning
          ? `Kafka dev broker already running (pid ${broker.pid}); log: ${broker.logFile}`
          : `Kafka ${KAFKA_VERSION} dev broker started in ${Date.now() - started} ms (pid ${broker.pid}); log: ${broker.logFile}`
      )
      yield* Console.log(`KAFKA_BROKERS=${broker.brokers}`)
    }).pipe(Effect.catch(failWith))
).pipe(Command.withDescription("Start the persistent dev broker (data in .kafka/dev/), detached; idempotent"))

const stop = Command.make("stop", {}, () =>
  Effect.gen(function* () {
    const result = yield* stopDevBroker()
    const cluster = yield* stopDevCluster()
    if (result !== "not_running" || cluster === "not_running")
      yield* Console.error(
        result === "not_running" ? "Kafka dev broker was not running" : `Kafka dev broker ${result} (data kept)`
      )
    if (cluster !== "not_running") yield* Console.error(`Kafka dev cluster ${cluster} (data kept)`)
  })
).pipe(Command.withDescription("Stop the dev broker and the dev cluster: SIGTERM, SIGKILL after 20 s"))

const status = Command.make("status", {}, () =>
  Effect.gen(function* () {
    const state = yield* devBrokerStatus()
    const cluster = yield* devClusterStatus()
    if (state.running) {
      yield* Console.log(`KAFKA_BROKERS=${state.brokers}`)
      yield* Console.error(`pid ${state.pid}; log: ${state.logFile}`)
    } else if (cluster.running) {
      yield* Console.log(`KAFKA_BROKERS=${cluster.brokers}`)
      yield* Console.error(
        `dev cluster: nodes ${cluster.up.join(", ")} of ${cluster.nodes} up; logs: ${cluster.dir}/node-*/broker.log`
      )
    } else {
      yield* Console.error("Kafka dev broker is not running (npm run kafka:start)")
      yield* Effect.sync(() => {
        process.exitCode = 1
      })
    }
  })
).pipe(Command.withDescription("Print KAFKA_BROKERS of the dev broker, or exit 1 if it is not running"))

Command.make("kafka").pipe(
  Command.withDescription(
    `Local Apache Kafka ${KAFKA_VERSION} (KRaft: one node, or a cluster) from Maven Central jars`
  ),
  Command.withSubcommands([jars, start, stop, status]),
  Command.run({ version: KAFKA_VERSION }),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
