import { type Cause, Effect, Exit } from "effect"
import type { ChainPlan } from "../domain/ChainPlan.ts"
import type { DestinationError } from "../domain/DestinationError.ts"
import { idempotencyKeyOf } from "../domain/IdempotencyKey.ts"
import type { ChainRun } from "../domain/Outcome.ts"
import type { Receipt } from "../modules/Destination.ts"
import type { BoundStep } from "./BoundChain.ts"
import { chainOutcome } from "./chainOutcome.ts"
import { type AttemptFailure, classifyAttempt, failedStatus } from "./classifyAttempt.ts"
import { deliveryOf } from "./deliveryOf.ts"
import type { StepContext } from "./StepContext.ts"
import { finishStep, type StepState } from "./StepState.ts"

/**
 * A chain of immediate steps without conditions or transforms, run as one loop: one pair of
 * continuations for the whole chain instead of a suspension, an exit and two closures per
 * step (what a step would otherwise allocate is paid three times per event in the benchmark).
 * Same outcomes as running each step on its own (runStep.ts): one attempt, succeeded or
 * failed, and a failure stops the rest when `stopOnFailure`.
 *
 * Call it when the run starts (runChain's `execute` does): the first step starts right away,
 * without an `Effect.suspend` (a closure and an effect per event) to defer it. The loop ends
 * with the chain's outcome itself, rather than a `map` (another closure and effect) after it.
 */
export const runImmediateSteps = (
  plan: ChainPlan,
  steps: ReadonlyArray<BoundStep>,
  states: ReadonlyArray<StepState>,
  ctx: StepContext,
  stopOnFailure: boolean,
  startedAt: number
): Effect.Effect<ChainRun> => {
  let i = 0
  const start = (): Effect.Effect<ChainRun> => {
    if (i >= steps.length) return Effect.succeed(chainOutcome(plan, steps, states, false, startedAt, ctx.clock))
    const step = steps[i] as BoundStep
    const state = states[i] as StepState
    state.started = true
    state.startedAt = ctx.clock.currentTimeMillisUnsafe()
    state.idempotencyKey = idempotencyKeyOf(ctx.keyPrefix, step.plan.id)
    state.attempts = 1
    return Effect.matchCauseEffect(step.destination.send(deliveryOf(step, ctx, state, ctx.input.traceparent)), then)
  }
  const then = {
    // one parameter: Effect wraps a handler of any other arity in a closure per call
    onSuccess: (_receipt: Receipt): Effect.Effect<ChainRun> => {
      finishStep(steps[i] as BoundStep, states[i] as StepState, "succeeded", ctx.clock.currentTimeMillisUnsafe())
      i++
      return start()
    },
    onFailure: (cause: Cause.Cause<DestinationError>): Effect.Effect<ChainRun> => {
      const step = steps[i] as BoundStep
      const failure = classifyAttempt(Exit.failCause(cause), step.plan.timeoutMs, ctx.sanitize) as AttemptFailure
      finishStep(step, states[i] as StepState, failedStatus(failure), ctx.clock.currentTimeMillisUnsafe(), failure.info)
      i++
      if (stopOnFailure) i = steps.length
      return start()
    }
  }
  return start()
}
