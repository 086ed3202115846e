/**
 * A step's expressions as the engine applies them: its `when` (decided before anything else,
 * congestion included, so a step left out is never deferred) and its shape (the transformed
 * body and templated headers, rendered once per run before the first attempt). Failures are
 * non-retryable: the same event and expression would fail the same way on every attempt.
 */
import type { ExpressionContext, ExpressionFailure } from "../domain/Expression.ts"
import { CONDITION_FALSE, type ErrorInfo, type StepStatus } from "../domain/Outcome.ts"
import type { BoundStep } from "./BoundChain.ts"

export interface Verdict {
  readonly status: StepStatus
  readonly error: ErrorInfo
}

export const expressionError = (failure: ExpressionFailure): ErrorInfo => ({
  tag: "ExpressionError",
  reason: failure.reason,
  retryable: false,
  message: failure.message
})

/** Why the step does not run (its `when` is false, or failed), or undefined: it runs. */
export const whenVerdict = (step: BoundStep, context: ExpressionContext): Verdict | undefined => {
  const when = step.plan.when
  if (when === undefined) return undefined
  const result = when.test(context)
  if (result === true) return undefined
  if (result === false) {
    return {
      status: "skipped",
      error: {
        tag: "Skipped",
        reason: CONDITION_FALSE,
        retryable: false,
        message: `not run: ${when.path} is false`
      }
    }
  }
  return { status: "failed", error: expressionError(result) }
}
