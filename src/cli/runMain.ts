/**
 * The process entry: runs an Effect as the Node main program. A numeric success value is
 * the exit code (the CLI answers 0/1/2). SIGTERM/SIGINT interrupt the main fiber, so every
 * Scope closes and the processor drains, commits and leaves its group; a shutdown that
 * completes that way is a clean exit (0), not Effect's default 130 for interruption.
 * Failures keep a non-zero code.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Cause, type Effect, Exit, Runtime } from "effect"

export const runMain = <E, A>(effect: Effect.Effect<A, E>): void =>
  NodeRuntime.runMain(effect, {
    teardown: (exit, onExit) => {
      if (Exit.isSuccess(exit) && typeof exit.value === "number") return onExit(exit.value)
      if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return onExit(0)
      return Runtime.defaultTeardown(exit, onExit)
    }
  })
