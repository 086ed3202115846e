/**
 * A chain run's outcome from its steps' states: what each step recorded, and for a step that
 * did not finish on its own (never started, interrupted, cut off by the deadline) why.
 */
import type { Clock } from "effect"
import {
  type ChainRun,
  type ChainStatus,
  type ErrorInfo,
  isDone,
  type ModuleOutcome,
  type StepOutcome
} from "../domain/Outcome.ts"
import type { BoundChain, BoundStep } from "./BoundChain.ts"
import { moduleOutcome, type StepState } from "./StepState.ts"

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
export const chainOutcome = (
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
