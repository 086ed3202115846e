import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { ChainPlan, Execution, ModulePlan, RetryPolicy } from "../../../src/domain/ChainPlan.ts"
import type { ChainOutcome } from "../../../src/domain/Outcome.ts"
import type { ChainInput } from "../../../src/engine/BoundChain.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import {
  type Behaviour,
  makeRecorder,
  type Recorder,
  simulatedDestination
} from "../../../src/streamTests/SimulatedDestination.ts"

export const noRetry: RetryPolicy = {
  maxAttempts: 1,
  initialDelayMs: 100,
  maxDelayMs: 1000,
  multiplier: 2,
  jitter: false
}

export interface StepSpec {
  readonly id: string
  readonly timeoutMs?: number
  readonly retry?: Partial<RetryPolicy>
  readonly guardKey?: string
  readonly maxInFlight?: number
  readonly maxQueued?: number
  readonly failureThreshold?: number
  readonly cooldownMs?: number
}

export const step = (spec: StepSpec, index: number, webhookId = "orders"): ModulePlan => ({
  id: spec.id,
  module: "http",
  index,
  timeoutMs: spec.timeoutMs ?? 5_000,
  retry: { ...noRetry, ...spec.retry },
  config: Object.freeze({}),
  guard: {
    key: spec.guardKey ?? `${webhookId}/${spec.id}`,
    maxInFlight: spec.maxInFlight ?? 64,
    maxQueued: spec.maxQueued ?? spec.maxInFlight ?? 64,
    failureThreshold: spec.failureThreshold ?? 5,
    cooldownMs: spec.cooldownMs ?? 30_000
  }
})

export const chain = (
  execution: Execution,
  steps: ReadonlyArray<StepSpec | string>,
  options: { continueOnError?: boolean; timeoutMs?: number; maxParallel?: number } = {}
): ChainPlan => ({
  webhookId: "orders",
  execution,
  continueOnError: options.continueOnError ?? true,
  timeoutMs: options.timeoutMs ?? 30_000,
  maxParallel: options.maxParallel ?? steps.length,
  modules: steps.map((s, i) => step(typeof s === "string" ? { id: s } : s, i))
})

export const input = (eventId = "evt-1", payload: unknown = { order: 1 }): ChainInput => ({
  eventId,
  payload,
  payloadEncoding: "json",
  headers: {}
})

export interface Harness {
  readonly engine: ChainEngine["Service"]
  readonly recorder: Recorder
  /** runs one event through `plan` with scripted behaviours, advancing the TestClock by `advanceMs` */
  run(
    plan: ChainPlan,
    behaviours: Record<string, Behaviour>,
    advanceMs?: number,
    event?: ChainInput
  ): Effect.Effect<ChainOutcome>
}

export const harness = (engine: ChainEngine["Service"] = ChainEngine.make()): Harness => {
  const recorder = makeRecorder()
  return {
    engine,
    recorder,
    run: (plan, behaviours, advanceMs = 60_000, event = input()) =>
      Effect.gen(function* () {
        const destination = simulatedDestination((id) => behaviours[id] ?? { _tag: "succeed" }, recorder)
        const bound = engine.bind(plan, () => destination)
        const fiber = yield* Effect.forkChild(engine.run(bound, event))
        yield* TestClock.adjust(advanceMs)
        return yield* Fiber.join(fiber)
      })
  }
}

export const statuses = (outcome: ChainOutcome): Record<string, string> =>
  Object.fromEntries(outcome.modules.map((m) => [m.id, m.status]))
