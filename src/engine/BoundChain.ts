/**
 * A chain plan with its destinations and guards attached: built once per stream when the
 * processor starts, then run for every event of that stream without further lookups.
 */
import type { ChainPlan, ModulePlan } from "../domain/ChainPlan.ts"
import type { Destination } from "../modules/Destination.ts"
import type { Guard, GuardRegistry } from "./Guard.ts"

export interface BoundStep {
  readonly plan: ModulePlan
  readonly destination: Destination
  readonly guard: Guard
}

export interface BoundChain {
  readonly plan: ChainPlan
  readonly steps: ReadonlyArray<BoundStep>
  /** some step has a `when` or a shape: runs build the expression context (others pay nothing) */
  readonly expressions: boolean
  /** every step's destination is immediate (Destination.immediate): no step can wait */
  readonly immediate: boolean
}

/** One event as the engine sees it. Nothing here is copied per module. */
export interface ChainInput {
  readonly eventId: string
  readonly payload: unknown
  readonly payloadEncoding: "json" | "base64"
  readonly headers: Readonly<Record<string, string>>
  readonly key?: string
  /** the envelope's `received_at` and the replay count: what expressions see as `event` */
  readonly receivedAt?: string
  readonly replayCount?: number
  /** W3C trace context of the event: the chain span's remote parent, and what sinks get when no tracer records */
  readonly traceparent?: string
  /** extra attributes for the chain span (the input record's topic, partition, offset…) */
  readonly spanAttributes?: Readonly<Record<string, string | number | boolean>>
  /** replay: run only these module ids (chain order kept); absent = the whole chain */
  readonly onlyModules?: ReadonlySet<string>
  /**
   * What a step does when its destination cannot take it now (see Guard):
   * - `wait`: it waits for a slot, and for an open circuit's next probe while the deadline allows
   *   (the deferred path, which drains at the destination's pace);
   * - absent: it waits for a slot, and an open circuit fails it at once (`circuit_open`).
   */
  readonly congestion?: "wait"
}

/**
 * An input that may also say `defer`: a first attempt at a congested destination, or any attempt
 * at an open circuit, does not happen; the step's outcome is `deferred` (the processor's input
 * path, which hands such work to the deferred topic instead of holding it in memory).
 */
export interface DeferrableInput extends Omit<ChainInput, "congestion"> {
  readonly congestion?: "defer" | "wait"
}

export const bindChain = (
  plan: ChainPlan,
  destinationFor: (step: ModulePlan) => Destination,
  guards: GuardRegistry,
  targetOf?: (step: ModulePlan) => string | undefined
): BoundChain => {
  const steps = plan.modules.map((step) => ({
    plan: step,
    destination: destinationFor(step),
    guard: guards.get(step.guard, targetOf?.(step))
  }))
  return {
    plan,
    steps,
    expressions: plan.modules.some((step) => step.when !== undefined || step.shape !== undefined),
    immediate: steps.every((s) => s.destination.immediate === true)
  }
}
