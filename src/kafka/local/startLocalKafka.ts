import { Effect, Exit, Scope } from "effect"
import { LocalKafka, type LocalKafkaOptions, type RunningKafka } from "./LocalKafka.ts"

/** One node of the cluster, for outage drills (see LocalKafkaNode). */
export interface LocalKafkaNodeHandle {
  readonly id: number
  /** `127.0.0.1:<port>`: this node alone */
  readonly address: string
  readonly logFile: string
  /** the JVM's pid while the node runs */
  pid(): number | undefined
  /** SIGTERM: controlled shutdown; SIGKILL: a crash. Data and ports are kept. */
  stop(signal: "SIGTERM" | "SIGKILL"): Promise<void>
  /** Starts it again on its data and ports; resolves with the pid once it answers. */
  start(): Promise<number>
}

export interface LocalKafkaHandle extends Omit<RunningKafka, "nodes"> {
  /** every node by id (1…n); empty for an external cluster */
  readonly nodes: ReadonlyArray<LocalKafkaNodeHandle>
  /** Stops the broker and deletes its data; idempotent. Resolves once the JVM is gone. */
  stop(): Promise<void>
  /** Outage drills: stops every JVM, keeping data and ports (rejects for an external cluster). */
  pause(): Promise<void>
  /** Starts the paused nodes again on the same ports and data; resolves with the first's pid once they answer. */
  resume(): Promise<number>
}

/**
 * `LocalKafka.start` for Promise code (vitest globalSetup, scripts): the scope lives until
 * `stop()`. Rejects with a LocalKafkaError whose message carries the broker log tail.
 */
export const startLocalKafka = async (options: LocalKafkaOptions = {}): Promise<LocalKafkaHandle> => {
  const scope = Effect.runSync(Scope.make())
  const exit = await Effect.runPromiseExit(Scope.provide(scope)(LocalKafka.start(options)))
  if (Exit.isFailure(exit)) {
    await Effect.runPromise(Scope.close(scope, exit))
    return Effect.runPromise(Effect.failCause(exit.cause))
  }
  let stopping: Promise<void> | undefined
  return {
    ...exit.value,
    nodes: exit.value.nodes.map((node) => ({
      id: node.id,
      address: node.address,
      logFile: node.logFile,
      pid: node.pid,
      stop: (signal) => Effect.runPromise(node.stop(signal)),
      start: () => Effect.runPromise(node.start)
    })),
    stop: () => {
      stopping ??= Effect.runPromise(Scope.close(scope, Exit.void))
      return stopping
    },
    pause: () =>
      exit.value.restart === undefined
        ? Promise.reject(new Error("an external cluster cannot be paused"))
        : Effect.runPromise(exit.value.restart.pause),
    resume: () =>
      exit.value.restart === undefined
        ? Promise.reject(new Error("an external cluster cannot be resumed"))
        : Effect.runPromise(exit.value.restart.resume)
  }
}
