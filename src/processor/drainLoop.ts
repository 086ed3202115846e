/**
 * A consumer loop's shutdown, in order: stop fetching, let the chains in flight finish within
 * the shutdown timeout, interrupt the rest (their offsets stay uncommitted, so they are
 * redelivered), commit what is durable, leave the group.
 */
import { Effect, Schedule } from "effect"
import type { InputConsumer } from "../kafka/InputConsumer.ts"
import type { Backpressure } from "./Backpressure.ts"
import type { CommitLoop } from "./CommitLoop.ts"
import type { Partitions } from "./Partitions.ts"

export interface DrainParts {
  readonly consumer: InputConsumer
  readonly partitions: Partitions
  readonly backpressure: Backpressure
  readonly commits: CommitLoop
  readonly shutdownTimeoutMs: number
  /** for the last log line */
  readonly topic: string
  readonly processed: () => number
}

export const drainLoop = (parts: DrainParts): Effect.Effect<void> =>
  Effect.gen(function* () {
    const { consumer, partitions, backpressure, commits } = parts
    consumer.pause(partitions.assigned)
    backpressure.stop()
    const idle = Effect.repeat(
      Effect.sync(() => backpressure.inFlight),
      Schedule.spaced("50 millis").pipe(
        Schedule.setInputType<number>(),
        Schedule.while(({ input }) => input > 0)
      )
    )
    const drained = yield* Effect.timeoutOption(idle, parts.shutdownTimeoutMs)
    if (drained._tag === "None") {
      yield* Effect.logWarning("shutdown timeout: interrupting the chains still running; they will be redelivered", {
        in_flight: backpressure.inFlight
      })
    }
    yield* partitions.closeAll()
    yield* commits.commit.pipe(
      Effect.retry(Schedule.recurs(3)),
      Effect.catch((e) =>
        Effect.logWarning("final commit failed; the uncommitted events will be redelivered", e.message)
      )
    )
    yield* consumer.stop
    yield* Effect.logInfo("processor stopped", {
      topic: parts.topic,
      processed: parts.processed(),
      commits: commits.commits()
    })
  })
