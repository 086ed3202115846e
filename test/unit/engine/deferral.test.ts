import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { ChainRun } from "../../../src/domain/Outcome.ts"
import type { DeferrableInput } from "../../../src/engine/BoundChain.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import {
  type Behaviour,
  fail,
  makeRecorder,
  simulatedDestination,
  succeed
} from "../../../src/streamTests/SimulatedDestination.ts"
import { chain, input } from "./fixtures.ts"

const stepStatuses = (run: ChainRun): Record<string, string> =>
  Object.fromEntries(run.modules.map((m) => [m.id, m.status]))

const deferring = (eventId: string): DeferrableInput => ({ ...input(eventId), congestion: "defer" })

/** Runs `events` through `plan` at once (each its own fiber), advances the clock, returns the runs. */
const runAll = (
  engine: ChainEngine["Service"],
  plan: ReturnType<typeof chain>,
  behaviours: Record<string, Behaviour>,
  events: ReadonlyArray<DeferrableInput>,
  advanceMs: number
) =>
  Effect.gen(function* () {
    const recorder = makeRecorder()
    const destination = simulatedDestination((id) => behaviours[id] ?? succeed(), recorder)
    const bound = engine.bind(plan, () => destination)
    const fibers = yield* Effect.forEach(events, (e) => Effect.forkChild(engine.runDeferrable(bound, e)))
    yield* TestClock.adjust(advanceMs)
    const runs = yield* Fiber.joinAll(fibers)
    return { runs, recorder }
  })

describe("deferral: a congested destination is handed off, never waited for in memory", () => {
  it.effect("past max_in_flight + max_queued, first attempts are deferred and the sink is not called", () =>
    Effect.gen(function* () {
      const plan = chain("sequential", [{ id: "slow", guardKey: "crm", maxInFlight: 2, maxQueued: 3 }])
      const events = Array.from({ length: 10 }, (_, i) => deferring(`e${i}`))
      const { runs, recorder } = yield* runAll(ChainEngine.make(), plan, { slow: succeed(1_000) }, events, 10_000)
      const deferred = runs.filter((r) => r.deferred)
      // 2 in flight + 3 waiting hold the destination; the 5 others are handed off
      assert.strictEqual(deferred.length, 5)
      assert.strictEqual(recorder.effects.length, 5)
      assert.strictEqual(recorder.maxInFlight, 2)
      for (const r of deferred) {
        const m = r.modules[0]
        assert.strictEqual(m?.status, "deferred")
        assert.strictEqual(m?.attempts, 0)
        assert.strictEqual(m?.error?.reason, "destination_congested")
      }
    })
  )

  it.effect("without `defer` the same load waits for the destination (today's behaviour)", () =>
    Effect.gen(function* () {
      const plan = chain("sequential", [{ id: "slow", guardKey: "crm", maxInFlight: 2, maxQueued: 3 }])
      const events = Array.from({ length: 10 }, (_, i) => input(`e${i}`))
      const { runs, recorder } = yield* runAll(ChainEngine.make(), plan, { slow: succeed(1_000) }, events, 10_000)
      assert.isTrue(runs.every((r) => !r.deferred))
      assert.strictEqual(recorder.effects.length, 10)
    })
  )

  it.effect("a deferred step in a sequence takes the rest with it; steps before it keep their outcome", () =>
    Effect.gen(function* () {
      const engine = ChainEngine.make()
      const plan = chain("sequential", ["a", { id: "b", guardKey: "crm", maxInFlight: 1, maxQueued: 0 }, "c"])
      // one event holds b's only slot; the second finds b congested
      const { runs, recorder } = yield* runAll(
        engine,
        plan,
        { b: succeed(5_000) },
        [deferring("e1"), deferring("e2")],
        10_000
      )
      const second = runs[1] as ChainRun
      assert.isTrue(second.deferred)
      assert.deepStrictEqual(stepStatuses(second), { a: "succeeded", b: "deferred", c: "deferred" })
      assert.strictEqual(second.modules[2]?.error?.reason, "previous_deferred")
      assert.deepStrictEqual(recorder.effects.filter((id) => id === "c").length, 1)
    })
  )

  it.effect("in a parallel chain only the congested step is deferred; its siblings run", () =>
    Effect.gen(function* () {
      const plan = chain("parallel", ["a", { id: "b", guardKey: "crm", maxInFlight: 1, maxQueued: 0 }], {
        continueOnError: false
      })
      const { runs } = yield* runAll(
        ChainEngine.make(),
        plan,
        { b: succeed(5_000) },
        [deferring("e1"), deferring("e2")],
        10_000
      )
      const second = runs[1] as ChainRun
      assert.isTrue(second.deferred)
      assert.deepStrictEqual(stepStatuses(second), { a: "succeeded", b: "deferred" })
    })
  )

  it.effect("an open circuit defers at once instead of failing with circuit_open", () =>
    Effect.gen(function* () {
      const engine = ChainEngine.make()
      const plan = chain("sequential", [{ id: "a", guardKey: "down", failureThreshold: 2, cooldownMs: 60_000 }])
      // two failures open the circuit
      yield* runAll(engine, plan, { a: fail(true) }, [input("f1"), input("f2")], 1_000)
      const { runs, recorder } = yield* runAll(engine, plan, { a: succeed() }, [deferring("e1")], 1_000)
      assert.isTrue(runs[0]?.deferred)
      assert.strictEqual(runs[0]?.modules[0]?.error?.reason, "circuit_open")
      assert.strictEqual(recorder.started.length, 0)
    })
  )

  it.effect("a chain that fails anyway (fail-fast) does not defer: the handed-off step is skipped", () =>
    Effect.gen(function* () {
      const plan = chain("parallel", [{ id: "bad" }, { id: "b", guardKey: "crm", maxInFlight: 1, maxQueued: 0 }], {
        continueOnError: false
      })
      const { runs } = yield* runAll(
        ChainEngine.make(),
        plan,
        { bad: fail(false, { delayMs: 10 }), b: succeed(5_000) },
        [deferring("e1"), deferring("e2")],
        10_000
      )
      const second = runs[1] as ChainRun
      assert.isFalse(second.deferred === true)
      assert.deepStrictEqual(stepStatuses(second), { bad: "failed", b: "skipped" })
    })
  )
})

describe("congestion `wait`: the deferred path waits for an open circuit's next probe", () => {
  it.effect("a refused attempt waits for the cool-down, then the probe goes through", () =>
    Effect.gen(function* () {
      const engine = ChainEngine.make()
      const plan = chain("sequential", [{ id: "a", guardKey: "down", failureThreshold: 1, cooldownMs: 5_000 }], {
        timeoutMs: 30_000
      })
      yield* runAll(engine, plan, { a: fail(true) }, [input("f1")], 100)
      const { runs, recorder } = yield* runAll(
        engine,
        plan,
        { a: succeed() },
        [{ ...input("w1"), congestion: "wait" }],
        10_000
      )
      assert.strictEqual(runs[0]?.modules[0]?.status, "succeeded")
      assert.strictEqual(recorder.effects.length, 1)
    })
  )

  it.effect("when the next probe is past the deadline it ends circuit_open at once", () =>
    Effect.gen(function* () {
      const engine = ChainEngine.make()
      const plan = chain("sequential", [{ id: "a", guardKey: "down", failureThreshold: 1, cooldownMs: 60_000 }], {
        timeoutMs: 5_000
      })
      yield* runAll(engine, plan, { a: fail(true) }, [input("f1")], 100)
      const { runs } = yield* runAll(engine, plan, { a: succeed() }, [{ ...input("w1"), congestion: "wait" }], 100)
      assert.strictEqual(runs[0]?.modules[0]?.status, "circuit_open")
      assert.strictEqual((runs[0] as ChainRun).finishedAt - (runs[0] as ChainRun).startedAt, 0)
    })
  )
})
