/**
 * Property-based: random chains against random destination behaviours, on a TestClock.
 */
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { ChainPlan } from "../../../src/domain/ChainPlan.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { type Behaviour, makeRecorder, simulatedDestination } from "../../../src/streamTests/SimulatedDestination.ts"
import { input, step } from "./fixtures.ts"

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.record({ _tag: fc.constant("succeed" as const), delayMs: fc.integer({ min: 0, max: 2_000 }) }),
  fc.record({
    _tag: fc.constant("fail" as const),
    retryable: fc.boolean(),
    delayMs: fc.integer({ min: 0, max: 1_000 })
  }),
  fc.constant({ _tag: "hang" as const }),
  fc.record({
    _tag: fc.constant("flaky" as const),
    failures: fc.integer({ min: 1, max: 4 }),
    delayMs: fc.integer({ min: 0, max: 500 })
  })
)

const stepSpec = fc.record({
  behaviour,
  timeoutMs: fc.integer({ min: 50, max: 3_000 }),
  maxAttempts: fc.integer({ min: 1, max: 10 }),
  initialDelayMs: fc.integer({ min: 0, max: 1_000 }),
  maxDelayMs: fc.integer({ min: 0, max: 30_000 }),
  multiplier: fc.integer({ min: 1, max: 10 }),
  jitter: fc.boolean()
})

const chainSpec = fc.record({
  execution: fc.constantFrom("sequential" as const, "parallel" as const),
  continueOnError: fc.boolean(),
  timeoutMs: fc.integer({ min: 100, max: 10_000 }),
  maxParallel: fc.integer({ min: 1, max: 10 }),
  steps: fc.array(stepSpec, { minLength: 1, maxLength: 10 })
})

type ChainSpec = typeof chainSpec extends fc.Arbitrary<infer T> ? T : never

const toPlan = (spec: ChainSpec): ChainPlan => ({
  webhookId: "orders",
  execution: spec.execution,
  continueOnError: spec.continueOnError,
  timeoutMs: spec.timeoutMs,
  maxParallel: spec.maxParallel,
  modules: spec.steps.map((s, i) =>
    step(
      {
        id: `m${i}`,
        timeoutMs: s.timeoutMs,
        retry: {
          maxAttempts: s.maxAttempts,
          initialDelayMs: s.initialDelayMs,
          maxDelayMs: Math.max(s.maxDelayMs, 0),
          multiplier: s.multiplier,
          jitter: s.jitter
        }
      },
      i
    )
  )
})

const run = (spec: ChainSpec) =>
  Effect.gen(function* () {
    const recorder = makeRecorder()
    const engine = ChainEngine.make()
    const plan = toPlan(spec)
    const destination = simulatedDestination(
      (id) => spec.steps[Number(id.slice(1))]?.behaviour ?? { _tag: "hang" },
      recorder
    )
    const fiber = yield* Effect.forkChild(
      engine.run(
        engine.bind(plan, () => destination),
        input()
      )
    )
    yield* TestClock.adjust(spec.timeoutMs + 1)
    const outcome = yield* Fiber.join(fiber)
    return { outcome, plan, recorder }
  }).pipe(Effect.provide(TestClock.layer()))

describe("engine properties", () => {
  it("hold for random chains and random destination behaviours", async () => {
    await fc.assert(
      fc.asyncProperty(chainSpec, async (spec) => {
        const { outcome, plan, recorder } = await Effect.runPromise(run(spec))
        // exactly one outcome per module, in chain order
        expect(outcome.modules.map((m) => m.id)).toEqual(plan.modules.map((m) => m.id))
        // total duration never exceeds the deadline
        expect(outcome.finishedAt - outcome.startedAt).toBeLessThanOrEqual(plan.timeoutMs)
        const anyFailure = outcome.modules.some((m) => m.status !== "succeeded" && m.status !== "skipped")
        for (const [i, m] of outcome.modules.entries()) {
          const max = plan.modules[i]?.retry.maxAttempts ?? 0
          expect(m.attempts).toBeLessThanOrEqual(max)
          expect(m.duration_ms).toBeLessThanOrEqual(plan.timeoutMs)
          if (m.status === "skipped") {
            expect(plan.continueOnError).toBe(false)
            expect(anyFailure).toBe(true)
            expect(m.attempts).toBe(0)
          }
          if (m.status === "succeeded") expect(m.error).toBeUndefined()
          else expect(m.error).toBeDefined()
        }
        // the chain status follows from the module statuses
        const ok = outcome.modules.filter((m) => m.status === "succeeded").length
        if (outcome.status === "timed_out") expect(outcome.finishedAt - outcome.startedAt).toBe(plan.timeoutMs)
        else if (ok === outcome.modules.length) expect(outcome.status).toBe("succeeded")
        else expect(outcome.status).toBe(ok === 0 ? "failed" : "partial")
        // nothing left running
        expect(recorder.inFlight).toBe(0)
      }),
      { numRuns: 300 }
    )
  })
})
