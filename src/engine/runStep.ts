/**
 * One chain step: attempts with a per-attempt timeout, retries with backoff for retryable
 * errors only, never starting a retry whose delay would cross the chain deadline, through
 * the step's guard (circuit breaker + per-connection concurrency limit).
 *
 * Progress is written into `StepState` as it happens, so when the step's fiber is
 * interrupted (a sibling failed, the deadline passed) the chain still knows how many
 * attempts ran and for how long.
 */
import { Effect, Exit, Random } from "effect"
import type { ExpressionContext, StepShape } from "../domain/Expression.ts"
import { idempotencyKeyOf } from "../domain/IdempotencyKey.ts"
import type { ErrorInfo, StepOutcome } from "../domain/Outcome.ts"
import { attemptExit, tracedAttempt } from "./attemptExit.ts"
import type { BoundStep } from "./BoundChain.ts"
import { retryDelayMs } from "./backoff.ts"
import { type AttemptFailure, classifyAttempt, failedStatus } from "./classifyAttempt.ts"
import { deliveryOf } from "./deliveryOf.ts"
import type { Admission } from "./Guard.ts"
import type { StepContext } from "./StepContext.ts"
import { finishStep, type StepState } from "./StepState.ts"
import { expressionError, whenVerdict } from "./stepExpressions.ts"

const circuitOpen = (step: BoundStep): ErrorInfo => ({
  tag: "CircuitOpen",
  reason: "circuit_open",
  retryable: true,
  message: `circuit for '${step.plan.guard.key}' is open after repeated failures`
})

/** Why a step was handed to the deferred path (reasons of `Deferred`, see DeferredRecord). */
const deferredInfo = (step: BoundStep, reason: "destination_congested" | "circuit_open"): ErrorInfo => ({
  tag: "Deferred",
  reason,
  retryable: true,
  message:
    reason === "circuit_open"
      ? `deferred: circuit for '${step.plan.guard.key}' is open`
      : `deferred: '${step.plan.guard.key}' has ${step.plan.guard.maxInFlight} sends in flight and ${step.plan.guard.maxQueued} waiting`
})

// No generator and no closure per step beyond one continuation per attempt: a step runs
// three times per event in the benchmark's chain, so what it allocates is paid at that rate.
export const runStep = (step: BoundStep, ctx: StepContext, state: StepState): Effect.Effect<StepOutcome> =>
  Effect.suspend(() => {
    state.started = true
    state.startedAt = ctx.clock.currentTimeMillisUnsafe()
    state.idempotencyKey = idempotencyKeyOf(ctx.keyPrefix, step.plan.id)
    const { when, shape } = step.plan
    if (ctx.expressions === undefined || (when === undefined && shape === undefined)) {
      return nextAttempt(step, ctx, state)
    }
    // before the congestion check: a step its condition leaves out is never deferred
    const verdict = whenVerdict(step, ctx.expressions)
    if (verdict !== undefined)
      return Effect.succeed(finishStep(step, state, verdict.status, state.startedAt, verdict.error))
    return shape === undefined ? nextAttempt(step, ctx, state) : shapeFirst(step, shape, ctx.expressions, ctx, state)
  })

/** Renders the step's body and headers once, before its first attempt (after the congestion check). */
const shapeFirst = (
  step: BoundStep,
  shape: StepShape,
  context: ExpressionContext,
  ctx: StepContext,
  state: StepState
): Effect.Effect<StepOutcome> => {
  if (ctx.input.congestion === "defer" && step.guard.congested()) return nextAttempt(step, ctx, state)
  return Effect.matchEffect(shape.render(context), {
    onFailure: (failure) =>
      Effect.succeed(finishStep(step, state, "failed", ctx.clock.currentTimeMillisUnsafe(), expressionError(failure))),
    onSuccess: (shaped) => {
      state.shaped = shaped
      return nextAttempt(step, ctx, state)
    }
  })
}

const nextAttempt = (step: BoundStep, ctx: StepContext, state: StepState): Effect.Effect<StepOutcome> => {
  const now = ctx.clock.currentTimeMillisUnsafe()
  // nothing to wait for, bound or retry (see Destination.immediate): the send runs inline
  if (step.destination.immediate === true && !ctx.traced) return immediateAttempt(step, ctx, state)
  const { guard } = step
  const congestion = ctx.input.congestion
  // a first attempt that would only wait in memory behind a full destination is handed off
  if (congestion === "defer" && state.attempts === 0 && guard.congested()) {
    return Effect.succeed(finishStep(step, state, "deferred", now, deferredInfo(step, "destination_congested")))
  }
  const admission = guard.admit(now)
  if (admission === "refuse") return refused(step, ctx, state, now)
  state.attempts++
  if (ctx.traced) {
    return Effect.flatMap(tracedAttempt(step, ctx, state, admission, now), (failure) =>
      afterAttempt(step, ctx, state, admission, failure)
    )
  }
  return Effect.flatMap(attemptExit(step, ctx, state, admission, ctx.input.traceparent, now), (exit) =>
    afterAttempt(step, ctx, state, admission, classifyAttempt(exit, step.plan.timeoutMs, ctx.sanitize))
  )
}

/** The one attempt of an immediate destination's step: no slot, timeout, circuit or retry. */
const immediateAttempt = (step: BoundStep, ctx: StepContext, state: StepState): Effect.Effect<StepOutcome> => {
  state.attempts = 1
  return Effect.map(Effect.exit(step.destination.send(deliveryOf(step, ctx, state, ctx.input.traceparent))), (exit) => {
    const now = ctx.clock.currentTimeMillisUnsafe()
    if (Exit.isSuccess(exit)) return finishStep(step, state, "succeeded", now)
    const failure = classifyAttempt(exit, step.plan.timeoutMs, ctx.sanitize) as AttemptFailure
    return finishStep(step, state, failedStatus(failure), now, failure.info)
  })
}

/** The circuit refused an attempt: defer it, wait for the next probe, or fail it. */
const refused = (step: BoundStep, ctx: StepContext, state: StepState, now: number): Effect.Effect<StepOutcome> => {
  const congestion = ctx.input.congestion
  if (congestion === "defer")
    return Effect.succeed(finishStep(step, state, "deferred", now, deferredInfo(step, "circuit_open")))
  if (congestion === "wait") {
    const at = step.guard.retryAt(now)
    if (at < ctx.deadline) {
      return Effect.andThen(
        Effect.sleep(Math.max(1, at - now)),
        Effect.suspend(() => nextAttempt(step, ctx, state))
      )
    }
  }
  return Effect.succeed(finishStep(step, state, "circuit_open", now, circuitOpen(step)))
}

const afterAttempt = (
  step: BoundStep,
  ctx: StepContext,
  state: StepState,
  admission: Admission,
  failure: AttemptFailure | undefined
): Effect.Effect<StepOutcome> => {
  const { guard, plan } = step
  const now = ctx.clock.currentTimeMillisUnsafe()
  if (failure === undefined) {
    guard.onHealthy(admission)
    return Effect.succeed(finishStep(step, state, "succeeded", now))
  }
  if (failure.info.tag === "Defect") guard.onAbandoned(admission)
  else if (failure.unhealthy) guard.onUnhealthy(admission, now)
  else guard.onHealthy(admission)

  const status = failedStatus(failure)
  if (!failure.info.retryable || state.attempts >= plan.retry.maxAttempts) {
    return Effect.succeed(finishStep(step, state, status, now, failure.info))
  }
  return Effect.flatMap(Random.next, (random) => {
    const delay = retryDelayMs(plan.retry, state.attempts + 1, random, failure.retryAfterMs)
    // A retry that could not start before the deadline would only burn the chain's budget.
    if (now + delay >= ctx.deadline) return Effect.succeed(finishStep(step, state, status, now, failure.info))
    return Effect.andThen(
      Effect.sleep(delay),
      Effect.suspend(() => nextAttempt(step, ctx, state))
    )
  })
}
