/**
 * Puts the operator console on an ops server (`hookstream run`, `npm start`), or decides
 * not to: see consoleAccess.ts. Answers the hub the processor's metrics are tapped into,
 * or `undefined` when the console is off (then nothing is tapped at all).
 */
import { Effect, Fiber, Schedule } from "effect"
import type { Kafka } from "kafkajs"
import type { ReloadStatus } from "../config/ReloadStatus.ts"
import type { StreamDefinition } from "../config/StreamDefinition.ts"
import type { OpsServer } from "../observability/opsServer.ts"
import { type ProcessorMetrics, processorMetrics } from "../processor/ProcessorMetrics.ts"
import { type ConsoleAccess, consoleAccess } from "./consoleAccess.ts"
import { type ConsoleDeps, makeConsoleApp } from "./consoleApp.ts"
import { makeDlqIndex } from "./DlqIndex.ts"
import { type DlqTailStatus, STARTING, startDlqTail } from "./dlqTail.ts"
import { type LiveHub, makeLiveHub } from "./LiveHub.ts"
import { makeReplayJobs } from "./ReplayJobs.ts"
import { tappedMetrics } from "./tappedMetrics.ts"

export interface ConsoleSettings {
  readonly enabled: boolean
  readonly token: string | undefined
  readonly kafka: Kafka
  readonly topics: ConsoleDeps["topics"]
  /** the streams in use now (a reload changes them) */
  readonly streams: () => ReadonlyArray<StreamDefinition>
  /** the config's reload status, where the config reloads */
  readonly reload?: () => ReloadStatus
}

/** The console's handler and hub for `access`, with replays forked in the caller's scope. */
export const makeConsole = Effect.fnUntraced(function* (
  settings: ConsoleSettings,
  access: Exclude<ConsoleAccess, { _tag: "Disabled" }>,
  mode: ConsoleDeps["mode"],
  hub: LiveHub
) {
  const context = yield* Effect.context<never>()
  const fork = Effect.runForkWith(context)
  const runPromise = Effect.runPromiseWith(context)
  const replays = new Set<Fiber.Fiber<unknown, unknown>>()
  // a replay still running when the process stops is interrupted: its open batch is aborted
  yield* Effect.addFinalizer(() => Effect.forEach([...replays], (f) => Fiber.interrupt(f), { discard: true }))
  const jobs = makeReplayJobs(settings.kafka, settings.topics, (effect) => {
    const fiber = fork(effect)
    replays.add(fiber)
    fiber.addObserver(() => replays.delete(fiber))
    return fiber
  })
  // the DLQ view is kept in memory, tailed from the topic; the page is answered from it from
  // the start, saying how far the tail is (never by reading a topic that may hold millions)
  const dlqIndex = makeDlqIndex(settings.topics.dlq)
  let tail: () => DlqTailStatus = () => STARTING
  yield* Effect.forkScoped(
    startDlqTail(settings.kafka, settings.topics.dlq, dlqIndex, (status) => {
      tail = status
    }).pipe(
      Effect.tapError((e) =>
        Effect.logWarning("console: cannot tail the DLQ yet; its views stay empty until it can (retrying every 10 s)", {
          topic: settings.topics.dlq,
          error: `${e.operation}: ${e.message}`
        })
      ),
      Effect.retry(Schedule.spaced("10 seconds"))
    )
  )
  const app = yield* Effect.promise(() =>
    makeConsoleApp({
      dlqIndex: { query: dlqIndex.query, status: () => tail() },
      access,
      mode,
      hub,
      kafka: settings.kafka,
      topics: settings.topics,
      streams: settings.streams,
      ...(settings.reload === undefined ? {} : { reload: settings.reload }),
      jobs,
      runPromise
    })
  )
  // runs before the server's own close (acquired earlier), which would otherwise wait for viewers
  yield* Effect.addFinalizer(() => Effect.sync(app.endStreams))
  return app.handler
})

export const mountConsole = Effect.fnUntraced(function* (ops: OpsServer, settings: ConsoleSettings) {
  const access = consoleAccess({ enabled: settings.enabled, host: ops.host, token: settings.token })
  if (access._tag === "Disabled") {
    yield* Effect.logInfo("operator console disabled", { reason: access.reason })
    return undefined
  }
  const hub = makeLiveHub()
  const handler = yield* makeConsole(settings, access, "processor", hub)
  ops.mount("console", handler)
  yield* Effect.logInfo("operator console", {
    url: `${ops.url}/console/`,
    access: access._tag === "Token" ? "token required" : "open on loopback (no token)"
  })
  return hub
})

/** The process's processor metrics with `hub` tapped in. */
export const consoleMetrics = (hub: LiveHub): ProcessorMetrics => tappedMetrics(processorMetrics(), hub)
