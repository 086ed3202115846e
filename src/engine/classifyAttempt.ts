/** What an attempt's exit says: success, or a failure with its error info, breaker verdict and retry hint. */
import { Cause, Exit } from "effect"
import { DestinationError } from "../domain/DestinationError.ts"
import type { ErrorInfo, StepStatus } from "../domain/Outcome.ts"
import type { Sanitizer } from "../domain/sanitize.ts"

export interface AttemptFailure {
  readonly info: ErrorInfo
  /** whether this failure says the sink is unhealthy (counts for the breaker) */
  readonly unhealthy: boolean
  readonly retryAfterMs: number | undefined
}

const fromDestinationError = (e: DestinationError, sanitize: Sanitizer): AttemptFailure => ({
  info: { tag: e._tag, reason: e.reason, retryable: e.retryable, message: sanitize(e.message) },
  unhealthy: e.retryable,
  retryAfterMs: e.retryAfterMs
})

/** `undefined` for a success. */
export const classifyAttempt = (
  exit: Exit.Exit<unknown, DestinationError | Cause.TimeoutError>,
  timeoutMs: number,
  sanitize: Sanitizer
): AttemptFailure | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag === "Some" && (Cause.isTimeoutError(error.value) || error.value instanceof DestinationError)) {
    const e = error.value
    if (Cause.isTimeoutError(e)) {
      return {
        info: {
          tag: "DestinationError",
          reason: "timeout",
          retryable: true,
          message: `attempt timed out after ${timeoutMs} ms`
        },
        unhealthy: true,
        retryAfterMs: undefined
      }
    }
    return fromDestinationError(e, sanitize)
  }
  // A defect (or a failure that breaks the Destination contract) is a bug in an adapter,
  // not a verdict on the sink: report it, never retry it.
  const defect = error._tag === "Some" ? error.value : Cause.squash(exit.cause)
  return {
    info: {
      tag: "Defect",
      reason: "unknown",
      retryable: false,
      message: sanitize(`unexpected error in destination: ${defect instanceof Error ? defect.message : String(defect)}`)
    },
    unhealthy: false,
    retryAfterMs: undefined
  }
}

/** The status of a step whose last attempt failed so. */
export const failedStatus = (failure: AttemptFailure): StepStatus =>
  failure.info.reason === "timeout" ? "timed_out" : "failed"
