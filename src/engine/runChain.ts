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
import type { ChainOutcome, ChainStatus, ErrorInfo, ModuleOutcome } from "../domain/Outcome.ts"
import type { Sanitizer } from "../domain/sanitize.ts"
import { spanContextOf } from "../domain/TraceContext.ts"
import type { BoundChain, BoundStep, ChainInput } from "./BoundChain.ts"
import { finishedWithin } from "./exitWithin.ts"
import { moduleOutcome, newStepState, runStep, type StepContext, type StepState } from "./runStep.ts"
import { chainSpanName, chainSpanOptions, endChainSpan, NO_STACK } from "./spans.ts"

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
        stopOnFailure && outcome.status !== "succeeded"
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
      return stopOnFailure
        ? Effect.flatMap(run, (outcome) => (outcome.status === "succeeded" ? Effect.void : Effect.fail(stopSignal)))
        : Effect.asVoid(run)
    },
    { concurrency: Math.max(1, maxParallel), discard: true }
  ).pipe(Effect.catch(() => Effect.void))

/** The outcome of a step that did not finish on its own. */
const unfinished = (
  step: BoundStep,
  state: StepState,
  timedOut: boolean,
  finishedAt: number,
  timeoutMs: number,
  failedId: string | undefined
): ModuleOutcome => {
  const duration = state.started ? finishedAt - state.startedAt : 0
  if (timedOut) {
    const error: ErrorInfo = {
      tag: "DeadlineExceeded",
      reason: "timeout",
      retryable: true,
      message: state.started
        ? `chain deadline of ${timeoutMs} ms passed`
        : `not started before the chain deadline of ${timeoutMs} ms`
    }
    return moduleOutcome(step, "timed_out", state.attempts, duration, error)
  }
  const cause = failedId === undefined ? "a previous module failed" : `module '${failedId}' failed`
  if (state.started) {
    const error = { tag: "Interrupted", reason: "sibling_failed", retryable: true, message: `interrupted: ${cause}` }
    return moduleOutcome(step, "interrupted", state.attempts, duration, error)
  }
  const error = { tag: "Skipped", reason: "previous_failure", retryable: true, message: `not started: ${cause}` }
  return moduleOutcome(step, "skipped", 0, 0, error)
}

const chainStatus = (modules: ReadonlyArray<ModuleOutcome>, timedOut: boolean): ChainStatus => {
  if (timedOut) return "timed_out"
  let succeeded = 0
  for (const m of modules) if (m.status === "succeeded") succeeded++
  if (succeeded === modules.length) return "succeeded"
  return succeeded === 0 ? "failed" : "partial"
}

const execute = (
  chain: BoundChain,
  input: ChainInput,
  sanitize: Sanitizer,
  clock: Clock.Clock,
  traced: boolean
): Effect.Effect<ChainOutcome> =>
  Effect.suspend(() => {
    const { plan } = chain
    const steps = selectSteps(chain, input.onlyModules)
    const startedAt = clock.currentTimeMillisUnsafe()
    const deadline = startedAt + plan.timeoutMs
    const ctx: StepContext = { webhookId: plan.webhookId, input, deadline, sanitize, clock, traced }
    const states = steps.map(newStepState)
    const stopOnFailure = !plan.continueOnError
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
  })

const chainOutcome = (
  plan: BoundChain["plan"],
  steps: ReadonlyArray<BoundStep>,
  states: ReadonlyArray<StepState>,
  timedOut: boolean,
  startedAt: number,
  clock: Clock.Clock
): ChainOutcome => {
  const finishedAt = clock.currentTimeMillisUnsafe()
  const failedId = states.findIndex((s) => s.outcome !== undefined && s.outcome.status !== "succeeded")
  const failed = failedId >= 0 ? steps[failedId]?.plan.id : undefined
  const modules = steps.map(
    (step, i) =>
      (states[i] as StepState).outcome ??
      unfinished(step, states[i] as StepState, timedOut, finishedAt, plan.timeoutMs, failed)
  )
  return { status: chainStatus(modules, timedOut), modules, startedAt, finishedAt }
}

/** The chain under its span; the outcome carries the span's context for the outcome records. */
const runTraced = (chain: BoundChain, input: ChainInput, sanitize: Sanitizer, clock: Clock.Clock) =>
  Effect.useSpan(chainSpanName(chain.plan), chainSpanOptions(chain.plan, input), (span) =>
    Effect.withParentSpan(execute(chain, input, sanitize, clock, true), span, NO_STACK).pipe(
      Effect.map((outcome): ChainOutcome => {
        endChainSpan(span, outcome, clock.currentTimeNanosUnsafe())
        const trace = spanContextOf(span)
        return trace === undefined ? outcome : { ...outcome, trace }
      })
    )
  )

/** Tracing is decided once per chain: with it off, no span code runs at all. */
export const runChain = (chain: BoundChain, input: ChainInput, sanitize: Sanitizer): Effect.Effect<ChainOutcome> =>
  Effect.withFiber((fiber) => {
    const clock = fiber.getRef(Clock.Clock)
    return fiber.getRef(References.TracerEnabled)
      ? runTraced(chain, input, sanitize, clock)
      : execute(chain, input, sanitize, clock, false)
  })
