/**
 * `Effect.timeout` / `Effect.timeoutOption` for the engine's hot path, same semantics, lower
 * cost. Effect's versions race the effect against `sleep` (two forked fibers, a sleep effect, a
 * fiber set); an attempt and a chain deadline are paid on every event, which made them the
 * largest cost of a chain in the benchmark (npm run bench: ~14% of the processor's CPU per event
 * against a 20 ms HTTP sink, ~17% with no-op modules).
 *
 * Here the effect runs in one child fiber, started at once: if it completes synchronously there
 * is nothing else to do; otherwise a timer interrupts it when the time is up. As with Effect's
 * versions, the caller resumes only once the child has exited (its finalizers ran), and an
 * interrupted caller interrupts the child. Only with the system clock: under any other Clock
 * (TestClock) time is not the timer's, so Effect's own versions run.
 *
 * The engine calls `exitWithin` / `finishedWithin` with the clock it read once per chain:
 * they return the exit as a value (no failure raised and caught again) and allocate nothing
 * per call beyond the child fiber and one continuation.
 */
import { Cause, Clock, Effect, Exit, Fiber, Option } from "effect"

const systemClock = Effect.runSync(Clock.clockWith(Effect.succeed))
const START_NOW = { startImmediately: true } as const

/** The effect's exit, or `onTimeout(ms)` once `ms` passed (the effect interrupted and exited). */
const raceTimer = <A, E, R, T>(
  self: Effect.Effect<A, E, R>,
  ms: number,
  onTimeout: (ms: number) => T
): Effect.Effect<Exit.Exit<A, E> | T, never, R> =>
  Effect.flatMap(Effect.forkChild(self, START_NOW), (fiber) => {
    const finished = fiber.pollUnsafe()
    if (finished !== undefined) return Effect.succeed(finished)
    return Effect.callback<Exit.Exit<A, E> | T>((resume) => {
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        fiber.interruptUnsafe()
      }, ms)
      fiber.addObserver((exit) => {
        clearTimeout(timer)
        resume(Effect.succeed(timedOut ? onTimeout(ms) : exit))
      })
      // the caller was interrupted: so is the child, and the caller waits for it
      return Effect.suspend(() => {
        clearTimeout(timer)
        return Fiber.interrupt(fiber)
      })
    })
  })

const timeoutError = (ms: number) => new Cause.TimeoutError(`Operation timed out after ${ms} ms`)
const timedOutExit = (ms: number): Exit.Exit<never, Cause.TimeoutError> => Exit.fail(timeoutError(ms))
const timedOutUndefined = (): undefined => undefined

/** `Effect.exit(Effect.timeout(self, ms))`, given the fiber's clock. */
export const exitWithin = <A, E, R>(
  clock: Clock.Clock,
  self: Effect.Effect<A, E, R>,
  ms: number
): Effect.Effect<Exit.Exit<A, E | Cause.TimeoutError>, never, R> =>
  clock !== systemClock ? Effect.exit(Effect.timeout(self, ms)) : raceTimer(self, ms, timedOutExit)

/** `self`'s exit, or `undefined` when `ms` passed first (`self` interrupted and exited), given the fiber's clock. */
export const finishedWithin = <A, E, R>(
  clock: Clock.Clock,
  self: Effect.Effect<A, E, R>,
  ms: number
): Effect.Effect<Exit.Exit<A, E> | undefined, never, R> =>
  clock !== systemClock
    ? Effect.map(Effect.exit(Effect.timeoutOption(self, ms)), (exit) =>
        Exit.isSuccess(exit)
          ? Option.isSome(exit.value)
            ? Exit.succeed(exit.value.value)
            : undefined
          : Exit.failCause(exit.cause)
      )
    : raceTimer(self, ms, timedOutUndefined)
