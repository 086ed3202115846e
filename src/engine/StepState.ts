/**
 * A step's progress and outcome, written as it happens (runStep.ts), so the chain can build
 * the outcome of a step whose fiber was interrupted.
 */
import type { ShapedDelivery } from "../domain/Expression.ts"
import type { ErrorInfo, StepOutcome, StepStatus } from "../domain/Outcome.ts"
import type { BoundStep } from "./BoundChain.ts"

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

/** Records the step's outcome in its state (the chain reads it from there) and returns it. */
export const finishStep = (
  step: BoundStep,
  state: StepState,
  status: StepStatus,
  now: number,
  error?: ErrorInfo
): StepOutcome => {
  const outcome = moduleOutcome(step, status, state.attempts, now - state.startedAt, error)
  state.outcome = outcome
  return outcome
}
