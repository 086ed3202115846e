/** One attempt of a step: the send through the guard's permit, under the attempt timeout, optionally under its span. */
import { type Cause, Effect, type Exit } from "effect"
import type { DestinationError } from "../domain/DestinationError.ts"
import { formatTraceparent, spanContextOf } from "../domain/TraceContext.ts"
import type { BoundStep } from "./BoundChain.ts"
import { type AttemptFailure, classifyAttempt } from "./classifyAttempt.ts"
import { deliveryOf } from "./deliveryOf.ts"
import { exitWithin } from "./exitWithin.ts"
import type { Admission } from "./Guard.ts"
import type { StepContext } from "./StepContext.ts"
import type { StepState } from "./StepState.ts"
import { attemptSpanName, attemptSpanOptions, endAttemptSpan, NO_STACK } from "./spans.ts"

/** One attempt's exit: the send through the guard's permit, under the attempt timeout. */
export const attemptExit = (
  step: BoundStep,
  ctx: StepContext,
  state: StepState,
  admission: Admission,
  traceparent: string | undefined,
  now: number
): Effect.Effect<Exit.Exit<unknown, DestinationError | Cause.TimeoutError>> => {
  const { plan, guard } = step
  const send = step.destination.send(deliveryOf(step, ctx, state, traceparent))
  // When the attempt timeout reaches past the chain deadline, the deadline is what bounds
  // this attempt: leave it to the chain (its outcome is then `timed_out` by deadline).
  const bounded = plan.timeoutMs < ctx.deadline - now ? exitWithin(ctx.clock, send, plan.timeoutMs) : Effect.exit(send)
  return Effect.onInterrupt(guard.semaphore.withPermit(bounded), guard.abandonedOnInterrupt(admission))
}

/** An attempt under its span: the sink is handed that span's context as its traceparent. */
export const tracedAttempt = (
  step: BoundStep,
  ctx: StepContext,
  state: StepState,
  admission: Admission,
  now: number
): Effect.Effect<AttemptFailure | undefined> =>
  Effect.useSpan(attemptSpanName(step.plan), attemptSpanOptions(step.plan, ctx.webhookId, state.attempts), (span) => {
    const context = spanContextOf(span)
    const traceparent = context === undefined ? ctx.input.traceparent : formatTraceparent(context)
    return Effect.withParentSpan(attemptExit(step, ctx, state, admission, traceparent, now), span, NO_STACK).pipe(
      Effect.map((exit) => {
        const failure = classifyAttempt(exit, step.plan.timeoutMs, ctx.sanitize)
        endAttemptSpan(span, failure?.info, ctx.clock.currentTimeNanosUnsafe())
        return failure
      }),
      Effect.onInterrupt(() => Effect.sync(() => span.attribute("hookstream.status", "interrupted")))
    )
  })
