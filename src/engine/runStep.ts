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
import type { ErrorInfo, ModuleOutcome, ModuleStatus } from "../domain/Outcome.ts"
import type { Sanitizer } from "../domain/sanitize.ts"
import { formatTraceparent, spanContextOf } from "../domain/TraceContext.ts"
import type { Delivery } from "../modules/Destination.ts"
import type { BoundStep, ChainInput } from "./BoundChain.ts"
import { retryDelayMs } from "./backoff.ts"
import { attemptSpanName, attemptSpanOptions, endAttemptSpan, NO_STACK } from "./spans.ts"
import { timeoutCheap } from "./timeoutCheap.ts"

export interface StepState {
  started: boolean
  startedAt: number
  attempts: number
  outcome: ModuleOutcome | undefined
}

export const newStepState = (): StepState => ({ started: false, startedAt: 0, attempts: 0, outcome: undefined })

/** Everything a step needs from its chain run. */
export interface StepContext {
  readonly webhookId: string
  readonly input: ChainInput
  /** epoch ms after which nothing new may start */
  readonly deadline: number
  readonly sanitize: Sanitizer
  /** read once per chain: a synchronous clock read is much cheaper than yielding for it */
  readonly clock: Clock.Clock
  /** a tracer records spans: one per attempt, and sinks get the attempt's context */
  readonly traced: boolean
}

export const moduleOutcome = (
  step: BoundStep,
  status: ModuleStatus,
  attempts: number,
  durationMs: number,
  error: ErrorInfo | undefined
): ModuleOutcome => {
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

type Attempt = (
  traceparent: string | undefined
) => Effect.Effect<Exit.Exit<unknown, DestinationError | Cause.TimeoutError>>

/** An attempt under its span: the sink is handed that span's context as its traceparent. */
const traced = (step: BoundStep, ctx: StepContext, attemptNo: number, attempt: Attempt) =>
  Effect.useSpan(attemptSpanName(step.plan), attemptSpanOptions(step.plan, ctx.webhookId, attemptNo), (span) => {
    const context = spanContextOf(span)
    const traceparent = context === undefined ? ctx.input.traceparent : formatTraceparent(context)
    return Effect.withParentSpan(attempt(traceparent), span, NO_STACK).pipe(
      Effect.map((exit) => {
        const failure = classify(exit, step.plan.timeoutMs, ctx.sanitize)
        endAttemptSpan(span, failure?.info, ctx.clock.currentTimeNanosUnsafe())
        return failure
      }),
      Effect.onInterrupt(() => Effect.sync(() => span.attribute("hookstream.status", "interrupted")))
    )
  })

export const runStep = (step: BoundStep, ctx: StepContext, state: StepState): Effect.Effect<ModuleOutcome> =>
  Effect.gen(() => stepAttempts(step, ctx, state))

// A module-level generator, not an inline `Effect.gen(function* ...)`: each new generator
// function costs V8 a fresh prototype and map on its first call (~1 µs and ~650 B), paid per
// step of every event (npm run bench:engine: 20 KB -> 3 KB allocated per 3-module chain).
function* stepAttempts(step: BoundStep, ctx: StepContext, state: StepState) {
  const { plan, destination, guard } = step
  const { input, clock } = ctx
  state.started = true
  state.startedAt = clock.currentTimeMillisUnsafe()
  const finish = (status: ModuleStatus, now: number, error?: ErrorInfo): ModuleOutcome => {
    const outcome = moduleOutcome(step, status, state.attempts, now - state.startedAt, error)
    state.outcome = outcome
    return outcome
  }
  const idempotencyKey = `${input.eventId}:${plan.id}`
  for (;;) {
    const admission = guard.admit(clock.currentTimeMillisUnsafe())
    if (admission === "refuse") return finish("circuit_open", clock.currentTimeMillisUnsafe(), circuitOpen(step))
    state.attempts++
    const attempt: Attempt = (traceparent) => {
      const delivery: Delivery = {
        eventId: input.eventId,
        webhookId: ctx.webhookId,
        moduleId: plan.id,
        idempotencyKey,
        attempt: state.attempts,
        payload: input.payload,
        payloadEncoding: input.payloadEncoding,
        headers: input.headers,
        config: plan.config,
        ...(input.key === undefined ? {} : { key: input.key }),
        ...(traceparent === undefined ? {} : { traceparent })
      }
      // When the attempt timeout reaches past the chain deadline, the deadline is what bounds
      // this attempt: leave it to the chain (its outcome is then `timed_out` by deadline).
      const send = destination.send(delivery)
      const bounded =
        plan.timeoutMs < ctx.deadline - clock.currentTimeMillisUnsafe() ? timeoutCheap(send, plan.timeoutMs) : send
      return bounded.pipe(
        guard.semaphore.withPermit,
        Effect.onInterrupt(() => Effect.sync(() => guard.onAbandoned(admission))),
        Effect.exit
      )
    }
    const failure = ctx.traced
      ? yield* traced(step, ctx, state.attempts, attempt)
      : classify(yield* attempt(input.traceparent), plan.timeoutMs, ctx.sanitize)
    const now = clock.currentTimeMillisUnsafe()
    if (failure === undefined) {
      guard.onHealthy(admission)
      return finish("succeeded", now)
    }
    if (failure.info.tag === "Defect") guard.onAbandoned(admission)
    else if (failure.unhealthy) guard.onUnhealthy(admission, now)
    else guard.onHealthy(admission)

    const status: ModuleStatus = failure.info.reason === "timeout" ? "timed_out" : "failed"
    if (!failure.info.retryable || state.attempts >= plan.retry.maxAttempts) return finish(status, now, failure.info)
    const delay = retryDelayMs(plan.retry, state.attempts + 1, yield* Random.next, failure.retryAfterMs)
    // A retry that could not start before the deadline would only burn the chain's budget.
    if (now + delay >= ctx.deadline) return finish(status, now, failure.info)
    yield* Effect.sleep(delay)
  }
}
