/**
 * The process entry: runs an Effect as the Node main program. A numeric success value is
 * the exit code (the CLI answers 0/1/2). SIGTERM/SIGINT interrupt the main fiber, so every
 * Scope closes and the processor drains, commits and leaves its group; a shutdown that
 * completes that way is a clean exit (0), not Effect's default 130 for interruption.
 * Failures keep a non-zero code.
 *
 * Every entry point gets the process's logger (pino; LOG_LEVEL) and tracing (OpenTelemetry
 * when an OTEL_* exporter is configured, else off). The SDK is imported only when tracing is on.
 * Its fibers are counted for `/metrics` (hookstream_fibers_active). V8's heap is kept from
 * growing to several times the live set (see ../runtime/heapProfile.ts). Started through npm,
 * the process stops when npm goes away (see ../runtime/exitWithParent.ts).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Layer, Runtime } from "effect"
import { fiberCountLayer } from "../observability/fiberMetrics.ts"
import { loggingLayer } from "../observability/logging.ts"
import { tracingDisabled, tracingMode } from "../observability/tracingMode.ts"
import { exitWithParent } from "../runtime/exitWithParent.ts"
import { applyHeapProfile } from "../runtime/heapProfile.ts"

const tracing = tracingMode(process.env).enabled
  ? Layer.unwrap(Effect.promise(() => import("../observability/tracing.ts")).pipe(Effect.map((t) => t.tracingLayer())))
  : tracingDisabled

export const runMain = <E, A>(effect: Effect.Effect<A, E>): void => {
  applyHeapProfile()
  exitWithParent()
  NodeRuntime.runMain(
    effect.pipe(
      Effect.provide(tracing),
      Effect.provide(loggingLayer({ level: process.env["LOG_LEVEL"] })),
      Effect.provide(fiberCountLayer)
    ),
    {
      teardown: (exit, onExit) => {
        if (Exit.isSuccess(exit) && typeof exit.value === "number") return onExit(exit.value)
        if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return onExit(0)
        return Runtime.defaultTeardown(exit, onExit)
      }
    }
  )
}
