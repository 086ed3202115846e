/**
 * The engine with `when` and `transform`/`headers`: a step left out by its condition is
 * skipped (condition_false), never called, never deferred, counts as done for the chain and is
 * not owed a replay; a shaped step's destination receives the transform's output while the
 * shared payload stays as it was.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { ChainPlan, ModulePlan } from "../../../src/domain/ChainPlan.ts"
import type { ChainRun } from "../../../src/domain/Outcome.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { compileCondition } from "../../../src/expressions/celCondition.ts"
import { compileStepShape } from "../../../src/expressions/stepShape.ts"
import { failedModules, resultRecord } from "../../../src/outcomes/records.ts"
import { makeRecorder, simulatedDestination, succeed } from "../../../src/streamTests/SimulatedDestination.ts"
import { chain, harness, input, noRetry, statuses } from "./fixtures.ts"

const condition = (source: string, path = "chain.0.when") => {
  const compiled = compileCondition(source, path)
  if ("problem" in compiled) throw new Error(compiled.problem.message)
  return compiled.ok
}

const shape = (transform: string | undefined, headers?: Record<string, string>, maxBodyBytes = 1_048_576) => {
  const compiled = compileStepShape({
    ...(transform === undefined ? {} : { transform }),
    ...(headers === undefined ? {} : { headers }),
    path: "chain.0",
    maxBodyBytes
  })
  if (compiled.shape === undefined) throw new Error(JSON.stringify(compiled.problems))
  return compiled.shape
}

const withSteps = (plan: ChainPlan, extra: Record<string, Partial<ModulePlan>>): ChainPlan => ({
  ...plan,
  modules: plan.modules.map((m) => ({ ...m, ...extra[m.id] }))
})

const meta = { source: { topic: "t", partition: 0, offset: "1" }, key: null, replayCount: 0 }

describe("when: a condition per step", () => {
  it.effect("false: skipped with condition_false, not called; the chain of the others succeeded; no replay owed", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = withSteps(chain("sequential", ["a", "b", "c"], { continueOnError: false }), {
        b: { when: condition('payload.kind == "refund"', "chain.1.when") }
      })
      const outcome = yield* h.run(plan, {}, 1_000, input("e1", { kind: "order" }))
      assert.deepStrictEqual(statuses(outcome), { a: "succeeded", b: "skipped", c: "succeeded" })
      assert.strictEqual(outcome.status, "succeeded")
      const b = outcome.modules[1]
      assert.strictEqual(b?.error?.reason, "condition_false")
      assert.strictEqual(b?.error?.retryable, false)
      assert.strictEqual(b?.attempts, 0)
      assert.deepStrictEqual(h.recorder.effects, ["a", "c"])
      // a fail-fast sequence goes on past it: being left out is not a failure
      assert.deepStrictEqual(failedModules(resultRecord("e1", "orders", outcome, meta)), [])
    })
  )

  it.effect("true: the step runs; a chain whose every step is left out has succeeded", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = withSteps(chain("parallel", ["a", "b"]), {
        a: { when: condition("payload.n > 1") },
        b: { when: condition("payload.n > 5", "chain.1.when") }
      })
      const some = yield* h.run(plan, {}, 1_000, input("e1", { n: 3 }))
      assert.deepStrictEqual(statuses(some), { a: "succeeded", b: "skipped" })
      const none = yield* h.run(plan, {}, 1_000, input("e2", { n: 0 }))
      assert.deepStrictEqual(statuses(none), { a: "skipped", b: "skipped" })
      assert.strictEqual(none.status, "succeeded")
    })
  )

  it.effect("left out beside a failure: only the failure is owed a replay", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = withSteps(chain("sequential", ["a", "b"]), { a: { when: condition("false") } })
      const outcome = yield* h.run(plan, { b: { _tag: "fail", retryable: false } }, 1_000)
      assert.deepStrictEqual(statuses(outcome), { a: "skipped", b: "failed" })
      assert.strictEqual(outcome.status, "failed")
      assert.deepStrictEqual(failedModules(resultRecord("evt-1", "orders", outcome, meta)), ["b"])
    })
  )

  it.effect("a condition that fails at run time fails its step, not retried, and names no payload value", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = withSteps(chain("sequential", ["a"], { continueOnError: false }), {
        a: {
          when: condition("payload.customer.tier == 'gold'"),
          retry: { ...noRetry, maxAttempts: 5 }
        }
      })
      const outcome = yield* h.run(plan, {}, 1_000, input("e1", { customer: "s3cr3t-value" }))
      const a = outcome.modules[0]
      assert.strictEqual(a?.status, "failed")
      assert.strictEqual(a?.error?.reason, "condition_failed")
      assert.strictEqual(a?.error?.retryable, false)
      assert.include(a?.error?.message ?? "", "chain.0.when")
      assert.notInclude(a?.error?.message ?? "", "s3cr3t-value")
      assert.deepStrictEqual(h.recorder.started, [])
    })
  )

  it.effect("false is decided before the congestion check: a step left out is never deferred", () =>
    Effect.gen(function* () {
      const engine = ChainEngine.make()
      const plan = withSteps(chain("sequential", [{ id: "b", guardKey: "crm", maxInFlight: 1, maxQueued: 0 }]), {
        b: { when: condition("payload.send") }
      })
      const recorder = makeRecorder()
      const bound = engine.bind(plan, () => simulatedDestination(() => succeed(5_000), recorder))
      // the first event holds the only slot: the destination is congested for the others
      const busy = yield* Effect.forkChild(
        engine.runDeferrable(bound, { ...input("e1", { send: true }), congestion: "defer" })
      )
      yield* TestClock.adjust(1)
      const leftOut = yield* engine.runDeferrable(bound, { ...input("e2", { send: false }), congestion: "defer" })
      const congested = yield* engine.runDeferrable(bound, { ...input("e3", { send: true }), congestion: "defer" })
      yield* TestClock.adjust(10_000)
      yield* Fiber.join(busy)
      assert.notOk(leftOut.deferred)
      assert.strictEqual(leftOut.modules[0]?.status, "skipped")
      assert.isTrue((congested as ChainRun).deferred)
    })
  )
})

describe("transform and headers: what one destination receives", () => {
  it.effect("the destination gets the transform's output; the next step the payload as it is, untouched", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = withSteps(chain("sequential", ["crm", "archive"]), {
        crm: { shape: shape('{ "id": order.id, "total": order.total / 100 }', { "X-Order": "o-{{ order.id }}" }) }
      })
      const payload = { order: { id: 7, total: 1250, lines: [{ sku: "a" }] } }
      const before = JSON.stringify(payload)
      const outcome = yield* h.run(plan, {}, 1_000, input("e1", payload))
      assert.strictEqual(outcome.status, "succeeded")
      assert.deepStrictEqual(h.recorder.received.get("crm")?.body, { id: 7, total: 12.5 })
      assert.deepStrictEqual(h.recorder.received.get("crm")?.headers, { "x-order": "o-7" })
      assert.strictEqual(h.recorder.received.get("archive")?.body, payload)
      assert.strictEqual(JSON.stringify(payload), before)
    })
  )

  it.effect("a transform that fails at run time fails its step (transform_failed), not retried", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = withSteps(chain("sequential", ["crm"]), {
        crm: {
          shape: shape("order.total + 1"),
          retry: { ...noRetry, maxAttempts: 4 }
        }
      })
      const outcome = yield* h.run(plan, {}, 1_000, input("e1", { order: { total: "top-secret" } }))
      const crm = outcome.modules[0]
      assert.strictEqual(crm?.status, "failed")
      assert.strictEqual(crm?.error?.reason, "transform_failed")
      assert.strictEqual(crm?.error?.retryable, false)
      assert.include(crm?.error?.message ?? "", "chain.0.transform")
      assert.notInclude(crm?.error?.message ?? "", "top-secret")
      assert.deepStrictEqual(h.recorder.started, [])
    })
  )

  it.effect("an output over the stream's payload limit fails the step with expression_limit", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = withSteps(chain("sequential", ["crm"]), {
        crm: { shape: shape('$pad("", 5000, "x")', undefined, 1_000) }
      })
      const outcome = yield* h.run(plan, {}, 1_000)
      assert.strictEqual(outcome.modules[0]?.error?.reason, "expression_limit")
      assert.deepStrictEqual(h.recorder.started, [])
    })
  )
})
