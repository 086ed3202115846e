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
import {
  type ChainRun,
  type ChainStatus,
  type ErrorInfo,
  isDone,
  type ModuleOutcome,
  type StepOutcome
} from "../domain/Outcome.ts"
import type { Sanitizer } from "../domain/sanitize.ts"
import { spanContextOf } from "../domain/TraceContext.ts"
import { expressionContext } from "../expressions/expressionContext.ts"
import type { BoundChain, BoundStep, DeferrableInput } from "./BoundChain.ts"
import { finishedWithin } from "./exitWithin.ts"
import { runImmediateSteps } from "./runImmediateSteps.ts"
import { runStep } from "./runStep.ts"
import type { StepContext } from "./StepContext.ts"
import { moduleOutcome, newStepState, type StepState } from "./StepState.ts"
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

/** The outcome of a step that did not finish on its own. */
const unfinished = (
  step: BoundStep,
  state: StepState,
  timedOut: boolean,
  finishedAt: number,
  timeoutMs: number,
  failedId: string | undefined,
  deferredId: string | undefined
): StepOutcome => {
  const duration = state.started ? finishedAt - state.startedAt : 0
  if (deferredId !== undefined && !state.started && !timedOut) {
    const error = {
      tag: "Deferred",
      reason: "previous_deferred",
      retryable: true,
      message: `deferred: runs after module '${deferredId}'`
    }
    return moduleOutcome(step, "deferred", 0, 0, error)
  }
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

/**
 * A step its `when` left out counts as done: a chain whose other steps succeeded has succeeded
 * (and one whose every step was left out too). `failed` when nothing ran successfully but
 * something failed; `partial` when some steps succeeded and others did not.
 */
export const chainStatus = (modules: ReadonlyArray<StepOutcome>, timedOut: boolean): ChainStatus => {
  if (timedOut) return "timed_out"
  let done = 0
  let succeeded = 0
  for (const m of modules) {
    if (m.status === "succeeded") succeeded++
    if (isDone(m)) done++
  }
  if (done === modules.length) return "succeeded"
  return succeeded === 0 ? "failed" : "partial"
}

/**
 * Called when the run starts (inside `runChain`'s `withFiber`, or the chain span's body): it
 * reads the clock and builds the run's state right away, so it needs no `Effect.suspend` of
 * its own (a closure and an effect per event).
 */
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
    const run = expressions === undefined ? runImmediateSteps : runSequential
    return Effect.map(run(steps, states, ctx, stopOnFailure), () =>
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

const chainOutcome = (
  plan: BoundChain["plan"],
  steps: ReadonlyArray<BoundStep>,
  states: ReadonlyArray<StepState>,
  timedOut: boolean,
  startedAt: number,
  clock: Clock.Clock
): ChainRun => {
  const finishedAt = clock.currentTimeMillisUnsafe()
  // one pass, no closures: this runs for every event
  let failed: string | undefined
  let deferredId: string | undefined
  for (let i = 0; i < states.length; i++) {
    const outcome = (states[i] as StepState).outcome
    if (outcome === undefined) continue
    if (outcome.status === "deferred") {
      if (deferredId === undefined && plan.execution === "sequential") deferredId = outcome.id
    } else if (failed === undefined && !isDone(outcome)) failed = outcome.id
  }
  const modules: Array<StepOutcome> = new Array(steps.length)
  for (let i = 0; i < steps.length; i++) {
    const state = states[i] as StepState
    modules[i] =
      state.outcome ??
      unfinished(steps[i] as BoundStep, state, timedOut, finishedAt, plan.timeoutMs, failed, deferredId)
  }
  if (isSettled(modules)) return { status: chainStatus(modules, timedOut), modules, startedAt, finishedAt }
  // The chain is over anyway (its deadline passed, or a failure stops it): what was deferred
  // will not run now; it is `skipped` and, like every module that did not succeed, replayable.
  if (timedOut || (!plan.continueOnError && failed !== undefined)) {
    const settled = modules.map((m) => (m.status === "deferred" ? notRun(m, timedOut, failed) : m))
    return {
      status: chainStatus(settled, timedOut),
      modules: settled as ReadonlyArray<ModuleOutcome>,
      startedAt,
      finishedAt
    }
  }
  return { deferred: true, modules, startedAt, finishedAt }
}

/** Every step has a module status: nothing was deferred. */
export const isSettled = (modules: ReadonlyArray<StepOutcome>): modules is ReadonlyArray<ModuleOutcome> => {
  for (const m of modules) if (m.status === "deferred") return false
  return true
}

const notRun = (m: StepOutcome, timedOut: boolean, failedId: string | undefined): ModuleOutcome => ({
  id: m.id,
  module: m.module,
  ...(m.connection === undefined ? {} : { connection: m.connection }),
  status: "skipped",
  attempts: 0,
  duration_ms: 0,
  error: {
    tag: "Skipped",
    reason: timedOut ? "timeout" : "previous_failure",
    retryable: true,
    message: timedOut ? "not started before the chain deadline" : `not started: module '${failedId}' failed`
  }
})

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
