/**
 * One node of a throw-away local Kafka. Outage drills may stop it (a clean SIGTERM shutdown
 * or a SIGKILL crash) and start it again on the same data and ports.
 */
import { Effect } from "effect"
import { awaitRunning } from "./awaitRunning.ts"
import { type BrokerProcess, spawnBroker, terminate } from "./BrokerProcess.ts"
import type { BrokerFiles } from "./brokerFiles.ts"
import type { LocalKafkaError } from "./LocalKafkaError.ts"

export interface LocalKafkaNode {
  readonly id: number
  /** `127.0.0.1:<port>`: this node alone */
  readonly address: string
  readonly logFile: string
  /** the JVM's pid while the node runs, else undefined */
  readonly pid: () => number | undefined
  /**
   * Stops the JVM, keeping data and ports: SIGTERM is Kafka's controlled shutdown (leadership
   * moves away first), SIGKILL a crash. Resolves once the JVM is gone.
   */
  readonly stop: (signal: "SIGTERM" | "SIGKILL") => Effect.Effect<void>
  /** Starts the stopped node again; resolves with the new pid once it answers describeCluster. */
  readonly start: Effect.Effect<number, LocalKafkaError>
}

export interface NodeSettings {
  readonly java: string
  readonly classpath: string
  readonly jvmFlags: ReadonlyArray<string>
  readonly readyTimeoutMs: number
  readonly stopGraceMs: number
  /** told each JVM started (the run records its pids for sweepRuns) */
  readonly onSpawned: (node: number, pid: number) => Effect.Effect<void, LocalKafkaError>
}

/**
 * The node, not started yet: its `start` spawns the JVM and waits for it to answer. Nothing
 * stops it by itself: the owner stops its nodes when its scope closes (all at once: a cluster
 * stopped node by node loses its quorum halfway and the last node's controlled shutdown hangs).
 */
export const makeLocalNode = (id: number, files: BrokerFiles, settings: NodeSettings): LocalKafkaNode => {
  let current: BrokerProcess | undefined
  const spawn = spawnBroker({
    java: settings.java,
    classpath: settings.classpath,
    jvmFlags: settings.jvmFlags,
    files,
    ownership: "owned"
  }).pipe(
    // known before anything else can interrupt: whoever stops the node must find this JVM
    Effect.tap((broker) =>
      Effect.sync(() => {
        current = broker
      })
    ),
    Effect.tap((broker) => settings.onSpawned(id, broker.pid)),
    Effect.uninterruptible
  )
  const stop = (signal: "SIGTERM" | "SIGKILL") =>
    Effect.suspend(() => {
      const broker = current
      if (broker === undefined) return Effect.void
      return terminate(broker.pid, settings.stopGraceMs, signal).pipe(
        Effect.andThen(
          Effect.sync(() => {
            if (current === broker) current = undefined
          })
        )
      )
    })
  const start = Effect.gen(function* () {
    yield* stop("SIGTERM")
    const broker = yield* spawn
    yield* awaitRunning(broker, files, settings.readyTimeoutMs)
    return broker.pid
  })
  return { id, address: `127.0.0.1:${files.port}`, logFile: files.logFile, pid: () => current?.pid, stop, start }
}
