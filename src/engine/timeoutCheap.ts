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
 */
import { Cause, Clock, Effect, type Exit, Fiber, Option } from "effect"

const systemClock = Effect.runSync(Clock.clockWith(Effect.succeed))

/** The effect's exit, or `undefined` once `ms` passed (the effect interrupted and exited). */
const exitWithin = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  ms: number
): Effect.Effect<Exit.Exit<A, E> | undefined, never, R> =>
  Effect.flatMap(Effect.forkChild(self, { startImmediately: true }), (fiber) => {
    const finished = fiber.pollUnsafe()
    if (finished !== undefined) return Effect.succeed(finished)
    return Effect.callback<Exit.Exit<A, E> | undefined>((resume) => {
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        fiber.interruptUnsafe()
      }, ms)
      fiber.addObserver((exit) => {
        clearTimeout(timer)
        resume(Effect.succeed(timedOut ? undefined : exit))
      })
      // the caller was interrupted: so is the child, and the caller waits for it
      return Effect.suspend(() => {
        clearTimeout(timer)
        return Fiber.interrupt(fiber)
      })
    })
  })

/** `Effect.timeout(self, ms)`: fails with a `Cause.TimeoutError` when `ms` passes first. */
export const timeoutCheap = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  ms: number
): Effect.Effect<A, E | Cause.TimeoutError, R> =>
  Effect.clockWith((clock) =>
    clock !== systemClock
      ? Effect.timeout(self, ms)
      : Effect.flatMap(
          exitWithin(self, ms),
          (exit): Effect.Effect<A, E | Cause.TimeoutError> =>
            exit === undefined ? Effect.fail(new Cause.TimeoutError(`Operation timed out after ${ms} ms`)) : exit
        )
  )

/** `Effect.timeoutOption(self, ms)`: `None` when `ms` passes first. */
export const timeoutOptionCheap = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  ms: number
): Effect.Effect<Option.Option<A>, E, R> =>
  Effect.clockWith((clock) =>
    clock !== systemClock
      ? Effect.timeoutOption(self, ms)
      : Effect.flatMap(exitWithin(self, ms), (exit) =>
          exit === undefined ? Effect.succeedNone : Effect.map(exit, Option.some)
        )
  )
