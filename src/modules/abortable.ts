/**
 * Runs one promise-based I/O step so that interruption reaches the I/O. The step gets an
 * AbortSignal; on interruption the signal is aborted and the fiber waits, within a bound,
 * for the step to settle, so whatever the step does on abort (cancel a query, destroy a
 * pooled connection) has happened by the time interruption returns.
 *
 * `Effect.tryPromise` aborts the signal too, but does not wait: a driver's cleanup would
 * then race the scope closing behind it.
 */
import { Effect } from "effect"
import type { DestinationError } from "../domain/DestinationError.ts"

/** how long interruption waits for an aborted step to settle; past it the step is left to finish on its own */
export const ABORT_SETTLE_MS = 1_500

const settledWithin = (promise: Promise<unknown>, ms: number): Promise<void> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  return Promise.race([
    promise.then(
      () => undefined,
      () => undefined
    ),
    bound
  ]).finally(() => clearTimeout(timer))
}

export const abortable = <A>(
  run: (signal: AbortSignal) => Promise<A>,
  onError: (cause: unknown) => DestinationError,
  settleWithinMs: number = ABORT_SETTLE_MS
): Effect.Effect<A, DestinationError> =>
  Effect.callback<A, DestinationError>((resume) => {
    const controller = new AbortController()
    let promise: Promise<A>
    try {
      promise = run(controller.signal)
    } catch (cause) {
      resume(Effect.suspend(() => Effect.fail(onError(cause))))
      return
    }
    promise.then(
      (value) => resume(Effect.succeed(value)),
      (cause: unknown) => resume(Effect.suspend(() => Effect.fail(onError(cause))))
    )
    return Effect.promise(() => {
      controller.abort()
      return settledWithin(promise, settleWithinMs)
    })
  })

/** The rejection an aborted step settles with (never seen by callers: the fiber is interrupted). */
export const abortedError = (): Error => new Error("aborted by interruption")
