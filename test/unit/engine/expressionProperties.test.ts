/**
 * Property-based, through the real engine: a step whose `when` is false is never called, in
 * any chain shape and under deferral; a transform never changes the shared payload (not its
 * JSON, and no property added to one of its arrays or objects), whatever the payload.
 */
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { ChainPlan } from "../../../src/domain/ChainPlan.ts"
import type { StepShape } from "../../../src/domain/Expression.ts"
import type { ChainRun } from "../../../src/domain/Outcome.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { compileCondition } from "../../../src/expressions/celCondition.ts"
import { compileStepShape } from "../../../src/expressions/stepShape.ts"
import { makeRecorder, simulatedDestination } from "../../../src/streamTests/SimulatedDestination.ts"
import { input, step } from "./fixtures.ts"

const run = (plan: ChainPlan, payload: unknown, defer: boolean) =>
  Effect.gen(function* () {
    const engine = ChainEngine.make()
    const recorder = makeRecorder()
    const bound = engine.bind(plan, () => simulatedDestination(() => ({ _tag: "succeed", delayMs: 10 }), recorder))
    const event = { ...input("e1", payload), ...(defer ? { congestion: "defer" as const } : {}) }
    const fiber = yield* Effect.forkChild(engine.runDeferrable(bound, event))
    yield* TestClock.adjust(60_000)
    const outcome: ChainRun = yield* Fiber.join(fiber)
    return { outcome, recorder }
  }).pipe(Effect.provide(TestClock.layer()))

describe("a false when never calls the destination", () => {
  it("in sequential and parallel chains, fail-fast or not, deferring or not", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.constantFrom("sequential" as const, "parallel" as const),
        fc.boolean(),
        fc.boolean(),
        async (flags, execution, continueOnError, defer) => {
          const payload = { flags }
          const plan: ChainPlan = {
            webhookId: "orders",
            execution,
            continueOnError,
            timeoutMs: 30_000,
            maxParallel: flags.length,
            modules: flags.map((_, i) => {
              const when = compileCondition(`payload.flags[${i}]`, `chain.${i}.when`)
              if ("problem" in when) throw new Error(when.problem.message)
              return { ...step({ id: `m${i}` }, i), when: when.ok }
            })
          }
          const { outcome, recorder } = await Effect.runPromise(run(plan, payload, defer))
          const called = new Set(recorder.started.map((s) => s.split("#")[0]))
          flags.forEach((flag, i) => {
            const m = outcome.modules[i]
            if (!flag) {
              expect(called.has(`m${i}`)).toBe(false)
              expect(m?.status).toBe("skipped")
              expect(m?.error?.reason).toBe("condition_false")
            } else expect(called.has(`m${i}`)).toBe(true)
          })
          expect(outcome.deferred ? "deferred" : outcome.status).toBe("succeeded")
        }
      ),
      { numRuns: 150 }
    )
  })
})

/** JSON plus every own property of arrays and objects, so an added marker is seen too. */
const fingerprint = (value: unknown): string => {
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "undefined"
  const keys = Object.getOwnPropertyNames(value).sort()
  const tag = Array.isArray(value) ? "A" : "O"
  return `${tag}{${keys.map((k) => `${k}:${fingerprint((value as Record<string, unknown>)[k])}`).join(",")}}`
}

const TRANSFORMS = [
  "$",
  "**",
  "*",
  "$keys($)",
  "$spread($)",
  "$string($)",
  '$ ~> | ** | {"touched": true} |',
  '{"copy": $, "n": $count(*), "all": [**]}',
  "$sift($, function($v){ $exists($v) })",
  '$merge([$, {"x": 1}])',
  "$.*[]",
  "$type($) = 'array' ? $reverse($) : $",
  "$type($) = 'array' ? $sort($, function($a, $b){ $string($a) > $string($b) }) : $",
  "[$, $][0]",
  "$each($, function($v, $k){ {$k: $v} })"
]

describe("a transform never mutates the shared payload", () => {
  it("(the fingerprint sees a marker added to an array or a changed value)", () => {
    const list: Array<number> & { sequence?: boolean } = [1, 2]
    const before = fingerprint({ list })
    list.sequence = true
    expect(fingerprint({ list })).not.toBe(before)
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }))
  })

  it("for any JSON payload and any of these transforms", async () => {
    const shapes = TRANSFORMS.map((transform) => {
      const compiled = compileStepShape({ transform, path: "chain.0", maxBodyBytes: 10_000_000 })
      if (compiled.shape === undefined) throw new Error(`${transform}: ${JSON.stringify(compiled.problems)}`)
      return compiled.shape
    })
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 5 }),
        fc.subarray(
          shapes.map((_, i) => i),
          { minLength: 1 }
        ),
        async (payload, chosen) => {
          const before = fingerprint(payload)
          const plan: ChainPlan = {
            webhookId: "orders",
            execution: "parallel",
            continueOnError: true,
            timeoutMs: 30_000,
            maxParallel: chosen.length + 1,
            modules: [
              ...chosen.map((t, i) => ({ ...step({ id: `t${t}` }, i), shape: shapes[t] as StepShape })),
              step({ id: "plain" }, chosen.length)
            ]
          }
          const { recorder } = await Effect.runPromise(run(plan, payload, false))
          expect(fingerprint(payload)).toBe(before)
          // the step without a transform receives the very payload object, not a copy
          expect(recorder.received.get("plain")?.body).toBe(payload)
        }
      ),
      { numRuns: 200 }
    )
  })
})
