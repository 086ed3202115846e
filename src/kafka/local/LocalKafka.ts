import { randomBytes } from "node:crypto"
import { mkdir, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Context, Effect, Layer, type Scope } from "effect"
import { awaitBroker } from "./awaitBroker.ts"
import { type BrokerProfile, jvmFlags } from "./brokerConfig.ts"
import { findJava } from "./findExecutable.ts"
import { bootstrapOf, freeNodePorts, prepareNodes } from "./KafkaNodes.ts"
import { defaultKafkaHome, kafkaPaths } from "./KafkaPaths.ts"
import { KAFKA_VERSION } from "./KafkaVersion.ts"
import { LocalKafkaError } from "./LocalKafkaError.ts"
import { type LocalKafkaNode, makeLocalNode } from "./LocalNode.ts"
import { resolveJars } from "./resolveJars.ts"
import { PAUSED_FILE, sweepRuns } from "./sweepRuns.ts"

export type { LocalKafkaNode } from "./LocalNode.ts"

export interface LocalKafkaOptions {
  /** Use this cluster (`host:port,...`) and start nothing. Defaults to `$KAFKA_BROKERS`. */
  readonly brokers?: string | undefined
  readonly version?: string
  /**
   * KRaft nodes, each a broker and a controller on ports of its own. Default 1. Three or more
   * form a cluster as production runs one: replication factor 3, min.insync.replicas=2, the
   * internal topics replicated the same way.
   */
  readonly nodes?: number
  /** The java binary; `$JAVA_HOME/bin/java`, else `java` on PATH, by default. */
  readonly java?: string
  /** JVM flags: `test` (default, small heap, C1 only) or `bench` (the distribution's defaults). */
  readonly profile?: BrokerProfile
  /** Where jars and runs live; `<project>/.kafka` by default. */
  readonly home?: string
  /** How long to wait for describeCluster to answer. Default 60 s. */
  readonly readyTimeoutMs?: number
  /** SIGTERM-to-SIGKILL grace on stop. Default 20 s (10 s for a cluster's nodes). */
  readonly stopGraceMs?: number
}

export interface RunningKafka {
  /** bootstrap servers, `host:port[,host:port]` */
  readonly brokers: string
  /** true when `brokers`/KAFKA_BROKERS named a cluster and nothing was started */
  readonly external: boolean
  /** the (first) node's stdout/stderr and log4j output; undefined for an external cluster */
  readonly logFile: string | undefined
  /** the (first) node's JVM as started */
  readonly pid: number | undefined
  /** every node, by id (1…n): stop one (SIGTERM or SIGKILL) and start it again; empty when external */
  readonly nodes: ReadonlyArray<LocalKafkaNode>
  /** from the call to the first describeCluster answer, jar resolution included */
  readonly startedInMs: number
  /**
   * Outage drills (the whole cluster goes away and comes back): `pause` stops every JVM and
   * keeps data and ports; `resume` starts them again on both, resolving once they answer, with
   * the first node's new pid. Undefined for an external cluster, which is not ours to stop.
   */
  readonly restart?: {
    readonly pause: Effect.Effect<void>
    readonly resume: Effect.Effect<number, LocalKafkaError>
  }
}

const io = (message: string) => (cause: unknown) =>
  new LocalKafkaError({ reason: "io", message: `${message}: ${String(cause)}` })

export const javaOrFail = (given?: string): Effect.Effect<string, LocalKafkaError> =>
  Effect.suspend(() => {
    const java = given ?? findJava()
    return java === undefined
      ? Effect.fail(
          new LocalKafkaError({
            reason: "tool_missing",
            message:
              "java not found (JAVA_HOME or PATH): the local Kafka broker needs a JDK 17 or newer " +
              "(Debian: apt-get install openjdk-17-jre-headless), or set KAFKA_BROKERS=host:port to use a running cluster"
          })
        )
      : Effect.succeed(java)
  })

/** A port and a controller port, distinct (the single dev broker's). */
export const twoFreePorts = freeNodePorts(1).pipe(
  Effect.map((nodes) => {
    const [only] = nodes as [{ port: number; controllerPort: number }]
    return [only.port, only.controllerPort] as const
  })
)

const externalCluster = (brokers: string, timeoutMs: number) =>
  Effect.gen(function* () {
    const started = Date.now()
    yield* awaitBroker(brokers, timeoutMs)
    return {
      brokers,
      external: true,
      logFile: undefined,
      pid: undefined,
      nodes: [],
      startedInMs: Date.now() - started
    } satisfies RunningKafka
  })

/**
 * A throw-away local Kafka (one KRaft node, or `nodes` of them) on free loopback ports, alive
 * as long as the scope: closing it stops every JVM (SIGTERM, SIGKILL after the grace period)
 * and deletes the data. With KAFKA_BROKERS set (or `options.brokers`), waits for that cluster
 * instead.
 */
const start = Effect.fnUntraced(function* (
  options: LocalKafkaOptions = {}
): Effect.fn.Return<RunningKafka, LocalKafkaError, Scope.Scope> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000
  const external = options.brokers ?? process.env["KAFKA_BROKERS"]
  if (external !== undefined && external !== "") return yield* externalCluster(external, readyTimeoutMs)

  const started = Date.now()
  const count = Math.max(1, Math.floor(options.nodes ?? 1))
  const home = options.home ?? defaultKafkaHome
  const version = options.version ?? KAFKA_VERSION
  const java = yield* javaOrFail(options.java)
  const jars = yield* resolveJars({ home, version })
  const paths = kafkaPaths(home, version)
  yield* sweepRuns(paths.runsDir)

  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")
  const dir = join(paths.runsDir, `${stamp}-${process.pid}-${randomBytes(3).toString("hex")}`)
  yield* Effect.tryPromise({ try: () => mkdir(dir, { recursive: true }), catch: io(`cannot create ${dir}`) })
  const ports = yield* freeNodePorts(count)
  const prepared = yield* prepareNodes(java, jars, dir, ports)

  // broker.pid lists every node's JVM, so sweepRuns knows the run is in use while one lives
  const pids = new Map<number, number>()
  const pidFile = join(dir, "broker.pid")
  const onSpawned = (node: number, pid: number) => {
    pids.set(node, pid)
    const text = [...pids.values()].map((p) => `${p}\n`).join("")
    return Effect.tryPromise({ try: () => writeFile(pidFile, text), catch: io(`cannot write ${pidFile}`) })
  }
  const settings = {
    java,
    classpath: jars.classpath,
    jvmFlags: jvmFlags(options.profile ?? "test"),
    readyTimeoutMs,
    stopGraceMs: options.stopGraceMs ?? (count > 1 ? 10_000 : 20_000),
    onSpawned
  }
  const nodes = prepared.map(({ id, files }) => makeLocalNode(id, files, settings))
  const stopAll = Effect.forEach(nodes, (node) => node.stop("SIGTERM"), { concurrency: "unbounded", discard: true })
  // all at once: a cluster stopped node by node loses its quorum and the last one hangs
  yield* Effect.addFinalizer(() =>
    stopAll.pipe(Effect.andThen(Effect.promise(() => rm(join(dir, "data"), { recursive: true, force: true }))))
  )
  const startAll = Effect.forEach(nodes, (node) => node.start, { concurrency: "unbounded" })
  const brokers = bootstrapOf(ports)
  yield* startAll
  if (count > 1) yield* awaitBroker(brokers, readyTimeoutMs, count)
  const first = nodes[0] as LocalKafkaNode

  // While paused no JVM runs in `dir`: the marker (our pid) keeps another process's
  // sweepRuns from taking it for an abandoned run and deleting its data.
  const pausedMarker = join(dir, PAUSED_FILE)
  const restart = {
    pause: Effect.promise(() => writeFile(pausedMarker, `${process.pid}\n`)).pipe(Effect.andThen(stopAll)),
    resume: Effect.gen(function* () {
      const [pid] = yield* startAll
      yield* Effect.promise(() => rm(pausedMarker, { force: true }))
      if (count > 1) yield* awaitBroker(brokers, readyTimeoutMs, count)
      return pid as number
    })
  }
  return {
    brokers,
    external: false,
    logFile: first.logFile,
    pid: first.pid(),
    nodes,
    startedInMs: Date.now() - started,
    restart
  }
})

/** A running Kafka cluster for the lifetime of a scope or layer; see `LocalKafka.start`. */
export class LocalKafka extends Context.Service<LocalKafka, RunningKafka>()("hookstream/kafka/local/LocalKafka") {
  static readonly start = start
  static readonly layer = (options: LocalKafkaOptions = {}): Layer.Layer<LocalKafka, LocalKafkaError> =>
    Layer.effect(LocalKafka, start(options))
}
