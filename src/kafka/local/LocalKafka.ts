import { randomBytes } from "node:crypto"
import { mkdir, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Context, Effect, Layer, type Scope } from "effect"
import { awaitBroker } from "./awaitBroker.ts"
import { awaitRunning } from "./awaitRunning.ts"
import { spawnBroker, terminate } from "./BrokerProcess.ts"
import { type BrokerProfile, jvmFlags } from "./brokerConfig.ts"
import { formatStorage, writeBrokerFiles } from "./brokerFiles.ts"
import { findJava } from "./findExecutable.ts"
import { freePort } from "./freePort.ts"
import { defaultKafkaHome, kafkaPaths } from "./KafkaPaths.ts"
import { KAFKA_VERSION } from "./KafkaVersion.ts"
import { LocalKafkaError } from "./LocalKafkaError.ts"
import { resolveJars } from "./resolveJars.ts"
import { PAUSED_FILE, sweepRuns } from "./sweepRuns.ts"

export interface LocalKafkaOptions {
  /** Use this cluster (`host:port,...`) and start nothing. Defaults to `$KAFKA_BROKERS`. */
  readonly brokers?: string | undefined
  readonly version?: string
  /** The java binary; `$JAVA_HOME/bin/java`, else `java` on PATH, by default. */
  readonly java?: string
  /** JVM flags: `test` (default, small heap, C1 only) or `bench` (the distribution's defaults). */
  readonly profile?: BrokerProfile
  /** Where jars and runs live; `<project>/.kafka` by default. */
  readonly home?: string
  /** How long to wait for describeCluster to answer. Default 60 s. */
  readonly readyTimeoutMs?: number
  /** SIGTERM-to-SIGKILL grace on stop. Default 20 s. */
  readonly stopGraceMs?: number
}

export interface RunningKafka {
  /** bootstrap servers, `host:port[,host:port]` */
  readonly brokers: string
  /** true when `brokers`/KAFKA_BROKERS named a cluster and nothing was started */
  readonly external: boolean
  /** the broker's stdout/stderr and log4j output; undefined for an external cluster */
  readonly logFile: string | undefined
  readonly pid: number | undefined
  /** from the call to the first describeCluster answer, jar resolution included */
  readonly startedInMs: number
  /**
   * Outage drills (a broker that goes away and comes back): `pause` stops the JVM and keeps
   * its data and ports; `resume` starts it again on both, resolving once it answers, with the
   * new JVM's pid. Undefined for an external cluster, which is not ours to stop.
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

export const twoFreePorts = Effect.all([freePort, freePort]).pipe(
  Effect.mapError(io("cannot find free loopback ports")),
  // Two sockets closed in turn can be handed the same port; ask again in that rare case.
  Effect.repeat({ until: ([port, controllerPort]) => port !== controllerPort })
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
      startedInMs: Date.now() - started
    } satisfies RunningKafka
  })

/**
 * A throw-away single-node KRaft broker on free loopback ports, alive as long as the scope:
 * closing it stops the JVM (SIGTERM, SIGKILL after the grace period) and deletes its data.
 * With KAFKA_BROKERS set (or `options.brokers`), waits for that cluster instead.
 */
const start = Effect.fnUntraced(function* (
  options: LocalKafkaOptions = {}
): Effect.fn.Return<RunningKafka, LocalKafkaError, Scope.Scope> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000
  const external = options.brokers ?? process.env["KAFKA_BROKERS"]
  if (external !== undefined && external !== "") return yield* externalCluster(external, readyTimeoutMs)

  const started = Date.now()
  const home = options.home ?? defaultKafkaHome
  const version = options.version ?? KAFKA_VERSION
  const java = yield* javaOrFail(options.java)
  const jars = yield* resolveJars({ home, version })
  const paths = kafkaPaths(home, version)
  yield* sweepRuns(paths.runsDir)

  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")
  const dir = join(paths.runsDir, `${stamp}-${process.pid}-${randomBytes(3).toString("hex")}`)
  yield* Effect.tryPromise({ try: () => mkdir(dir, { recursive: true }), catch: io(`cannot create ${dir}`) })
  const [port, controllerPort] = yield* twoFreePorts
  const files = yield* writeBrokerFiles({ dir, port, controllerPort })
  yield* formatStorage(java, jars, files)

  const spawn = spawnBroker({
    java,
    classpath: jars.classpath,
    jvmFlags: jvmFlags(options.profile ?? "test"),
    files,
    ownership: "owned"
  }).pipe(
    Effect.tap((broker) =>
      Effect.tryPromise({
        try: () => writeFile(join(dir, "broker.pid"), `${broker.pid}\n`),
        catch: io(`cannot write ${dir}/broker.pid`)
      })
    )
  )
  const graceMs = options.stopGraceMs ?? 20_000
  // `current` changes when an outage drill restarts the JVM; the release stops whichever runs.
  const current = yield* Effect.acquireRelease(spawn.pipe(Effect.map((broker) => ({ broker }))), (current) =>
    terminate(current.broker.pid, graceMs).pipe(
      Effect.andThen(Effect.promise(() => rm(files.dataDir, { recursive: true, force: true })))
    )
  )
  yield* awaitRunning(current.broker, files, readyTimeoutMs)
  // While paused no JVM runs in `dir`: the marker (our pid) keeps another process's
  // sweepRuns from taking it for an abandoned run and deleting its data.
  const pausedMarker = join(dir, PAUSED_FILE)
  const restart = {
    pause: Effect.promise(() => writeFile(pausedMarker, `${process.pid}\n`)).pipe(
      // the pid of the JVM running now: a second drill must not signal the first one's
      Effect.andThen(Effect.suspend(() => terminate(current.broker.pid, graceMs))),
      Effect.asVoid
    ),
    resume: Effect.gen(function* () {
      yield* terminate(current.broker.pid, graceMs)
      current.broker = yield* spawn
      yield* Effect.promise(() => rm(pausedMarker, { force: true }))
      yield* awaitRunning(current.broker, files, readyTimeoutMs)
      return current.broker.pid
    })
  }
  return {
    brokers: `127.0.0.1:${port}`,
    external: false,
    logFile: files.logFile,
    pid: current.broker.pid,
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
