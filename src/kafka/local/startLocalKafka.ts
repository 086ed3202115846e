import { Effect, Exit, Scope } from "effect"
import { LocalKafka, type LocalKafkaOptions, type RunningKafka } from "./LocalKafka.ts"

export interface LocalKafkaHandle extends RunningKafka {
  /** Stops the broker and deletes its data; idempotent. Resolves once the JVM is gone. */
  stop(): Promise<void>
  /** Outage drills: stops the JVM, keeping data and ports (rejects for an external cluster). */
  pause(): Promise<void>
  /** Starts the paused broker again on the same port and data; resolves with its pid once it answers. */
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
