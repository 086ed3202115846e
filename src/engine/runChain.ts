/**
 * One chain run = one supervised group of fibers. The whole run sits under the chain
 * deadline (`finishedWithin`, see exitWithin.ts): when it passes, every step still
 * running is interrupted and awaited before the outcome is built, so no fiber and no I/O
 * outlives the run.
 *
 * - sequential: steps in order; with `continue_on_error: false` the first failure ends the
 *   chain and the rest are `skipped` (never started).
 * - parallel: up to `max_parallel` steps at once (`Effect.forEach` with concurrency); with
 *   `continue_on_error: false` the first failure fails the forEach, which interrupts the
 *   running siblings (`interrupted`) and never starts the rest (`skipped`).
 */
import { Clock, Effect, Exit, References } from "effect"
import { idempotencyKeyPrefix } from "../domain/IdempotencyKey.ts"
import { type ChainRun, isDone } from "../domain/Outcome.ts"
import type { Sanitizer } from "../domain/sanitize.ts"
import { spanContextOf } from "../domain/TraceContext.ts"
import { expressionContext } from "../expressions/expressionContext.ts"
import type { BoundChain, BoundStep, DeferrableInput } from "./BoundChain.ts"
import { chainOutcome } from "./chainOutcome.ts"
import { finishedWithin } from "./exitWithin.ts"
import { runImmediateSteps } from "./runImmediateSteps.ts"
import { runStep } from "./runStep.ts"
import type { StepContext } from "./StepContext.ts"
import { newStepState, type StepState } from "./StepState.ts"
import { chainSpanName, chainSpanOptions, endChainSpan, NO_STACK } from "./spans.ts"

export { chainStatus, isSettled } from "./chainOutcome.ts"

/** Failure value that stops a fail-fast parallel group; never escapes this file. */
const stopSignal = { _tag: "StopChain" } as const

const selectSteps = (chain: BoundChain, only: ReadonlySet<string> | undefined): ReadonlyArray<BoundStep> =>
  only === undefined ? chain.steps : chain.steps.filter((step) => only.has(step.plan.id))

// The per-event path uses no generators (see test/unit/engine/hotPath.test.ts): one
// continuation per step is all a sequential chain allocates here.
const runSequential = (
  steps: ReadonlyArray<BoundStep>,
  states: Array<StepState>,
  ctx: StepContext,
  stopOnFailure: boolean,
  from = 0
): Effect.Effect<void> =>
  from >= steps.length
    ? Effect.void
    : Effect.flatMap(runStep(steps[from] as BoundStep, ctx, states[from] as StepState), (outcome) =>
        // a deferred step takes the rest of a sequence with it: they run after it, on the deferred path
        outcome.status === "deferred" || (stopOnFailure && !isDone(outcome))
          ? Effect.void
          : runSequential(steps, states, ctx, stopOnFailure, from + 1)
      )

const runParallel = (
  steps: ReadonlyArray<BoundStep>,
  states: Array<StepState>,
  ctx: StepContext,
  stopOnFailure: boolean,
  maxParallel: number
) =>
  Effect.forEach(
    steps,
    (step, i) => {
      const run = runStep(step, ctx, states[i] as StepState)
      // a deferred step is not a failure: its siblings go on
      return stopOnFailure
        ? Effect.flatMap(run, (outcome) =>
            isDone(outcome) || outcome.status === "deferred" ? Effect.void : Effect.fail(stopSignal)
          )
        : Effect.asVoid(run)
    },
    { concurrency: Math.max(1, maxParallel), discard: true }
  ).pipe(Effect.catch(() => Effect.void))

const execute = (
  chain: BoundChain,
  input: DeferrableInput,
  sanitize: Sanitizer,
  clock: Clock.Clock,
  traced: boolean
): Effect.Effect<ChainRun> => {
  const { plan } = chain
  const steps = selectSteps(chain, input.onlyModules)
  const startedAt = clock.currentTimeMillisUnsafe()
  const deadline = startedAt + plan.timeoutMs
  const expressions = chain.expressions
    ? expressionContext({
        payload: input.payload,
        headers: input.headers,
        webhookId: plan.webhookId,
        eventId: input.eventId,
        key: input.key,
        receivedAt: input.receivedAt,
        replayCount: input.replayCount
      })
    : undefined
  const ctx: StepContext = {
    webhookId: plan.webhookId,
    input,
    keyPrefix: idempotencyKeyPrefix(plan.webhookId, input.eventId),
    deadline,
    sanitize,
    clock,
    traced,
    expressions
  }
  const states = steps.map(newStepState)
  const stopOnFailure = !plan.continueOnError
  // Steps that never wait (Destination.immediate) run one after the other, inline: there is
  // nothing for parallelism to overlap, and nothing for the deadline's timer to cut short.
  if (chain.immediate && !traced) {
    if (expressions === undefined) return runImmediateSteps(plan, steps, states, ctx, stopOnFailure, startedAt)
    return Effect.map(runSequential(steps, states, ctx, stopOnFailure), () =>
      chainOutcome(plan, steps, states, false, startedAt, clock)
    )
  }
  const body =
    plan.execution === "parallel"
      ? runParallel(steps, states, ctx, stopOnFailure, plan.maxParallel)
      : runSequential(steps, states, ctx, stopOnFailure)
  return Effect.flatMap(finishedWithin(clock, body, plan.timeoutMs), (exit) =>
    // a failure here would be a defect of the engine itself: never turned into an outcome
    exit !== undefined && Exit.isFailure(exit)
      ? Effect.failCause(exit.cause)
      : Effect.succeed(chainOutcome(plan, steps, states, exit === undefined, startedAt, clock))
  )
}

/** The chain under its span; the outcome carries the span's context for the outcome records. */
const runTraced = (chain: BoundChain, input: DeferrableInput, sanitize: Sanitizer, clock: Clock.Clock) =>
  Effect.useSpan(chainSpanName(chain.plan), chainSpanOptions(chain.plan, input), (span) =>
    Effect.withParentSpan(execute(chain, input, sanitize, clock, true), span, NO_STACK).pipe(
      Effect.map((outcome): ChainRun => {
        endChainSpan(span, outcome, clock.currentTimeNanosUnsafe())
        const trace = spanContextOf(span)
        return trace === undefined ? outcome : { ...outcome, trace }
      })
    )
  )

/** Tracing is decided once per chain: with it off, no span code runs at all. */
export const runChain = (chain: BoundChain, input: DeferrableInput, sanitize: Sanitizer): Effect.Effect<ChainRun> =>
  Effect.withFiber((fiber) => {
    const clock = fiber.getRef(Clock.Clock)
    return fiber.getRef(References.TracerEnabled)
      ? runTraced(chain, input, sanitize, clock)
      : execute(chain, input, sanitize, clock, false)
  })
