/**
 * "No fiber outlives its chain": every fiber a chain run forks (parallel steps, timeouts,
 * sleeps) is counted through Effect's fiber runtime-metrics hook, and after many runs —
 * succeeded, failed fast, interrupted, timed out — the count is back to zero, and so is
 * the number of deliveries in flight.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Metric } from "effect"
import { TestClock } from "effect/testing"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import type { Behaviour } from "../../../src/streamTests/SimulatedDestination.ts"
import {
  fail,
  flaky,
  hang,
  makeRecorder,
  simulatedDestination,
  succeed
} from "../../../src/streamTests/SimulatedDestination.ts"
import { chain, input } from "./fixtures.ts"

const fiberCounter = () => {
  const counter = {
    started: 0,
    ended: 0,
    service: {
      recordFiberStart: () => {
        counter.started++
      },
      recordFiberEnd: () => {
        counter.ended++
      }
    } satisfies Metric.FiberRuntimeMetricsService
  }
  return counter
}

describe("supervision", () => {
  it.effect("no fiber outlives its chain, across success, fail-fast, interruption and deadline", () =>
    Effect.gen(function* () {
      const counter = fiberCounter()
      const recorder = makeRecorder()
      const engine = ChainEngine.make()
      const behaviours: Record<string, Behaviour> = {
        ok: succeed(10),
        slow: succeed(3_000),
        bad: fail(false, { delayMs: 50 }),
        hangs: hang,
        flaky: flaky(1, 5)
      }
      const destination = simulatedDestination((id) => behaviours[id] ?? succeed(), recorder)
      const plans = [
        chain("parallel", ["ok", "slow", "bad", "hangs"], { continueOnError: false, timeoutMs: 2_000 }),
        chain("parallel", ["ok", "slow", "hangs", "flaky"], { timeoutMs: 1_000 }),
        chain("sequential", ["ok", "hangs", "slow"], { timeoutMs: 500 }),
        chain("sequential", ["flaky", "ok", "bad", "slow"], { continueOnError: false }),
        chain("parallel", ["ok", "flaky", { id: "slow", timeoutMs: 100, retry: { maxAttempts: 3 } }], {
          maxParallel: 2
        })
      ].map((plan) => engine.bind(plan, () => destination))

      const runs = Array.from({ length: 200 }, (_, i) => plans[i % plans.length] as (typeof plans)[number])
      const program = Effect.gen(function* () {
        const fibers = yield* Effect.forEach(runs, (bound, i) => Effect.forkChild(engine.run(bound, input(`e${i}`))))
        yield* TestClock.adjust(120_000)
        return yield* Fiber.joinAll(fibers)
      }).pipe(Effect.provideService(Metric.FiberRuntimeMetrics, counter.service))

      const outcomes = yield* program
      assert.strictEqual(outcomes.length, 200)
      const statuses = new Set(outcomes.flatMap((o) => o.modules.map((m) => m.status)))
      for (const s of ["succeeded", "failed", "interrupted", "timed_out", "skipped"])
        assert.isTrue(statuses.has(s as never), s)
      assert.isAbove(counter.started, 200)
      assert.strictEqual(counter.started - counter.ended, 0, "live fibers after every chain ended")
      assert.strictEqual(recorder.inFlight, 0, "deliveries still in flight")
      assert.isTrue(
        engine.guards.snapshot().every((g) => g.inFlight === 0),
        "guard permits still held"
      )
    })
  )

  it.effect("interrupting a chain run from outside interrupts its modules and releases everything", () =>
    Effect.gen(function* () {
      const counter = fiberCounter()
      const recorder = makeRecorder()
      const engine = ChainEngine.make()
      const destination = simulatedDestination(() => hang, recorder)
      const bound = engine.bind(chain("parallel", ["a", "b", "c"]), () => destination)
      yield* Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(engine.run(bound, input()))
        yield* TestClock.adjust(100)
        assert.strictEqual(recorder.inFlight, 3)
        yield* Fiber.interrupt(fiber)
      }).pipe(Effect.provideService(Metric.FiberRuntimeMetrics, counter.service))
      assert.strictEqual(recorder.inFlight, 0)
      assert.deepStrictEqual([...recorder.interrupted].sort(), ["a", "b", "c"])
      assert.strictEqual(counter.started - counter.ended, 0)
      assert.strictEqual(
        engine.guards.snapshot().reduce((n, g) => n + g.inFlight, 0),
        0
      )
    })
  )
})
