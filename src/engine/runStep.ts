/**
 * One chain step: attempts with a per-attempt timeout, retries with backoff for retryable
 * errors only, never starting a retry whose delay would cross the chain deadline, through
 * the step's guard (circuit breaker + per-connection concurrency limit).
 *
 * Progress is written into `StepState` as it happens, so when the step's fiber is
 * interrupted (a sibling failed, the deadline passed) the chain still knows how many
 * attempts ran and for how long.
 */
import { Cause, type Clock, Effect, Exit, Random } from "effect"
import { DestinationError } from "../domain/DestinationError.ts"
import type { ExpressionContext, ShapedDelivery, StepShape } from "../domain/Expression.ts"
import { idempotencyKey } from "../domain/IdempotencyKey.ts"
import type { ErrorInfo, StepOutcome, StepStatus } from "../domain/Outcome.ts"
import type { Sanitizer } from "../domain/sanitize.ts"
import { formatTraceparent, spanContextOf } from "../domain/TraceContext.ts"
import type { Delivery, Receipt } from "../modules/Destination.ts"
import type { BoundStep, DeferrableInput } from "./BoundChain.ts"
import { retryDelayMs } from "./backoff.ts"
import { exitWithin } from "./exitWithin.ts"
import type { Admission } from "./Guard.ts"
import { attemptSpanName, attemptSpanOptions, endAttemptSpan, NO_STACK } from "./spans.ts"
import { expressionError, whenVerdict } from "./stepExpressions.ts"

export interface StepState {
  started: boolean
  startedAt: number
  attempts: number
  outcome: StepOutcome | undefined
  /** `<webhook id>:<event id>:<module id>` (domain/IdempotencyKey.ts): the same for every attempt, retry and redelivery of this step */
  idempotencyKey: string
  /** the step's transformed body and templated headers, rendered once before its first attempt */
  shaped: ShapedDelivery | undefined
}

export const newStepState = (): StepState => ({
  started: false,
  startedAt: 0,
  attempts: 0,
  outcome: undefined,
  idempotencyKey: "",
  shaped: undefined
})

/** Everything a step needs from its chain run. */
export interface StepContext {
  readonly webhookId: string
  readonly input: DeferrableInput
  /** epoch ms after which nothing new may start */
  readonly deadline: number
  readonly sanitize: Sanitizer
  /** read once per chain: a synchronous clock read is much cheaper than yielding for it */
  readonly clock: Clock.Clock
  /** a tracer records spans: one per attempt, and sinks get the attempt's context */
  readonly traced: boolean
  /** what `when`, `transform` and `headers` read; built once per run, only for chains that have them */
  readonly expressions: ExpressionContext | undefined
}

export const moduleOutcome = (
  step: BoundStep,
  status: StepStatus,
  attempts: number,
  durationMs: number,
  error: ErrorInfo | undefined
): StepOutcome => {
  const { id, module, connection } = step.plan
  const base = { id, module, status, attempts, duration_ms: durationMs }
  const withConnection = connection === undefined ? base : { ...base, connection }
  return error === undefined ? withConnection : { ...withConnection, error }
}

interface AttemptFailure {
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

const classify = (
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

/** What the destination receives for this attempt. */
const deliveryOf = (step: BoundStep, ctx: StepContext, state: StepState, traceparent: string | undefined): Delivery => {
  const { plan } = step
  const { input } = ctx
  const shaped = state.shaped
  const transformed = shaped !== undefined && "body" in shaped
  const delivery: { -readonly [K in keyof Delivery]: Delivery[K] } = {
    eventId: input.eventId,
    webhookId: ctx.webhookId,
    moduleId: plan.id,
    idempotencyKey: state.idempotencyKey,
    attempt: state.attempts,
    payload: transformed ? shaped.body : input.payload,
    payloadEncoding: transformed ? "json" : input.payloadEncoding,
    headers: input.headers,
    config: plan.config
  }
  if (input.key !== undefined) delivery.key = input.key
  if (shaped?.headers !== undefined) delivery.templatedHeaders = shaped.headers
  if (traceparent !== undefined) delivery.traceparent = traceparent
  return delivery
}

/** One attempt's exit: the send through the guard's permit, under the attempt timeout. */
const attemptExit = (
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
const traced = (step: BoundStep, ctx: StepContext, state: StepState, admission: Admission, now: number) =>
  Effect.useSpan(attemptSpanName(step.plan), attemptSpanOptions(step.plan, ctx.webhookId, state.attempts), (span) => {
    const context = spanContextOf(span)
    const traceparent = context === undefined ? ctx.input.traceparent : formatTraceparent(context)
    return Effect.withParentSpan(attemptExit(step, ctx, state, admission, traceparent, now), span, NO_STACK).pipe(
      Effect.map((exit) => {
        const failure = classify(exit, step.plan.timeoutMs, ctx.sanitize)
        endAttemptSpan(span, failure?.info, ctx.clock.currentTimeNanosUnsafe())
        return failure
      }),
      Effect.onInterrupt(() => Effect.sync(() => span.attribute("hookstream.status", "interrupted")))
    )
  })

/** Records the step's outcome in its state (the chain reads it from there) and returns it. */
const finish = (step: BoundStep, state: StepState, status: StepStatus, now: number, error?: ErrorInfo): StepOutcome => {
  const outcome = moduleOutcome(step, status, state.attempts, now - state.startedAt, error)
  state.outcome = outcome
  return outcome
}

// No generator and no closure per step beyond one continuation per attempt: a step runs
// three times per event in the benchmark's chain, so what it allocates is paid at that rate.
export const runStep = (step: BoundStep, ctx: StepContext, state: StepState): Effect.Effect<StepOutcome> =>
  Effect.suspend(() => {
    state.started = true
    state.startedAt = ctx.clock.currentTimeMillisUnsafe()
    state.idempotencyKey = idempotencyKey(ctx.webhookId, ctx.input.eventId, step.plan.id)
    const { when, shape } = step.plan
    if (ctx.expressions === undefined || (when === undefined && shape === undefined)) {
      return nextAttempt(step, ctx, state)
    }
    // before the congestion check: a step its condition leaves out is never deferred
    const verdict = whenVerdict(step, ctx.expressions)
    if (verdict !== undefined)
      return Effect.succeed(finish(step, state, verdict.status, state.startedAt, verdict.error))
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
      Effect.succeed(finish(step, state, "failed", ctx.clock.currentTimeMillisUnsafe(), expressionError(failure))),
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
    return Effect.succeed(finish(step, state, "deferred", now, deferredInfo(step, "destination_congested")))
  }
  const admission = guard.admit(now)
  if (admission === "refuse") return refused(step, ctx, state, now)
  state.attempts++
  if (ctx.traced) {
    return Effect.flatMap(traced(step, ctx, state, admission, now), (failure) =>
      afterAttempt(step, ctx, state, admission, failure)
    )
  }
  return Effect.flatMap(attemptExit(step, ctx, state, admission, ctx.input.traceparent, now), (exit) =>
    afterAttempt(step, ctx, state, admission, classify(exit, step.plan.timeoutMs, ctx.sanitize))
  )
}

/** The one attempt of an immediate destination's step: no slot, timeout, circuit or retry. */
const immediateAttempt = (step: BoundStep, ctx: StepContext, state: StepState): Effect.Effect<StepOutcome> => {
  state.attempts = 1
  return Effect.map(Effect.exit(step.destination.send(deliveryOf(step, ctx, state, ctx.input.traceparent))), (exit) => {
    const now = ctx.clock.currentTimeMillisUnsafe()
    if (Exit.isSuccess(exit)) return finish(step, state, "succeeded", now)
    const failure = classify(exit, step.plan.timeoutMs, ctx.sanitize) as AttemptFailure
    return finish(step, state, failure.info.reason === "timeout" ? "timed_out" : "failed", now, failure.info)
  })
}

/**
 * A chain of immediate steps without conditions or transforms, run as one loop: one pair of
 * continuations for the whole chain instead of a suspension, an exit and two closures per
 * step (what a step would otherwise allocate is paid three times per event in the benchmark).
 * Same outcomes as running each step on its own: one attempt, succeeded or failed, and a
 * failure stops the rest when `stopOnFailure`.
 */
export const runImmediateSteps = (
  steps: ReadonlyArray<BoundStep>,
  states: ReadonlyArray<StepState>,
  ctx: StepContext,
  stopOnFailure: boolean
): Effect.Effect<void> => {
  let i = 0
  const start = (): Effect.Effect<void> => {
    if (i >= steps.length) return Effect.void
    const step = steps[i] as BoundStep
    const state = states[i] as StepState
    state.started = true
    state.startedAt = ctx.clock.currentTimeMillisUnsafe()
    state.idempotencyKey = idempotencyKey(ctx.webhookId, ctx.input.eventId, step.plan.id)
    state.attempts = 1
    return Effect.matchCauseEffect(step.destination.send(deliveryOf(step, ctx, state, ctx.input.traceparent)), then)
  }
  const then = {
    // one parameter: Effect wraps a handler of any other arity in a closure per call
    onSuccess: (_receipt: Receipt): Effect.Effect<void> => {
      finish(steps[i] as BoundStep, states[i] as StepState, "succeeded", ctx.clock.currentTimeMillisUnsafe())
      i++
      return start()
    },
    onFailure: (cause: Cause.Cause<DestinationError>): Effect.Effect<void> => {
      const step = steps[i] as BoundStep
      const failure = classify(Exit.failCause(cause), step.plan.timeoutMs, ctx.sanitize) as AttemptFailure
      const status = failure.info.reason === "timeout" ? "timed_out" : "failed"
      finish(step, states[i] as StepState, status, ctx.clock.currentTimeMillisUnsafe(), failure.info)
      i++
      return stopOnFailure ? Effect.void : start()
    }
  }
  return Effect.suspend(start)
}

/** The circuit refused an attempt: defer it, wait for the next probe, or fail it. */
const refused = (step: BoundStep, ctx: StepContext, state: StepState, now: number): Effect.Effect<StepOutcome> => {
  const congestion = ctx.input.congestion
  if (congestion === "defer")
    return Effect.succeed(finish(step, state, "deferred", now, deferredInfo(step, "circuit_open")))
  if (congestion === "wait") {
    const at = step.guard.retryAt(now)
    if (at < ctx.deadline) {
      return Effect.andThen(
        Effect.sleep(Math.max(1, at - now)),
        Effect.suspend(() => nextAttempt(step, ctx, state))
      )
    }
  }
  return Effect.succeed(finish(step, state, "circuit_open", now, circuitOpen(step)))
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
    return Effect.succeed(finish(step, state, "succeeded", now))
  }
  if (failure.info.tag === "Defect") guard.onAbandoned(admission)
  else if (failure.unhealthy) guard.onUnhealthy(admission, now)
  else guard.onHealthy(admission)

  const status: StepStatus = failure.info.reason === "timeout" ? "timed_out" : "failed"
  if (!failure.info.retryable || state.attempts >= plan.retry.maxAttempts) {
    return Effect.succeed(finish(step, state, status, now, failure.info))
  }
  return Effect.flatMap(Random.next, (random) => {
    const delay = retryDelayMs(plan.retry, state.attempts + 1, random, failure.retryAfterMs)
    // A retry that could not start before the deadline would only burn the chain's budget.
    if (now + delay >= ctx.deadline) return Effect.succeed(finish(step, state, status, now, failure.info))
    return Effect.andThen(
      Effect.sleep(delay),
      Effect.suspend(() => nextAttempt(step, ctx, state))
    )
  })
}
