/**
 * The per-event path creates no generator function per call. An inline
 * `Effect.gen(function* ...)` creates a new one on every call, and V8 gives each a fresh
 * prototype and map on its first call: ~1 µs per call against ~0.03 µs for a generator
 * defined once (npm run bench:handler: 45 -> 21 µs per event when the engine's five and the
 * lane's one went). Module-level generators and generator methods are fine.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"

const perEventFiles = [
  "src/engine/runChain.ts",
  "src/engine/runStep.ts",
  "src/engine/runImmediateSteps.ts",
  "src/engine/chainOutcome.ts",
  "src/engine/attemptExit.ts",
  "src/engine/classifyAttempt.ts",
  "src/engine/deliveryOf.ts",
  "src/engine/StepState.ts",
  "src/engine/exitWithin.ts",
  "src/engine/stepExpressions.ts",
  "src/expressions/celCondition.ts",
  "src/expressions/expressionContext.ts",
  "src/expressions/jsonataExpression.ts",
  "src/expressions/jsonSize.ts",
  "src/expressions/stepShape.ts",
  "src/processor/PartitionWorker.ts",
  "src/processor/handleRecord.ts",
  "src/processor/runEvent.ts",
  "src/processor/EventView.ts",
  "src/processor/settleOutcome.ts",
  "src/processor/deferOutcome.ts",
  "src/processor/handleDeferred.ts",
  "src/processor/KeyLanes.ts",
  "src/modules/http.ts"
]

/**
 * Line numbers of `function*` expressions that are not module-level declarations. Comments
 * are skipped, and so is a generator whose body opens with `// not per event` (a constructor
 * run once per partition or per destination).
 */
const inlineGenerators = (source: string): Array<number> => {
  const lines = source.split("\n")
  return lines.flatMap((line, i) => {
    const code = line.trim()
    if (code.startsWith("//") || code.startsWith("*") || lines[i + 1]?.includes("// not per event")) return []
    return /function\*/.test(code) && !/^(export )?function\* \w+\(/.test(line) ? [i + 1] : []
  })
}

describe("per-event code", () => {
  it("finds an inline generator when there is one", () => {
    expect(inlineGenerators("const a = 1\n  Effect.gen(function* () {\n")).toEqual([2])
    expect(inlineGenerators("function* steps(a: number) {\n// an inline `Effect.gen(function* ...)`\n")).toEqual([])
    expect(inlineGenerators("  Effect.gen(function* () {\n    // not per event: once per partition\n")).toEqual([])
  })

  it.each(perEventFiles)("%s creates no generator function per call", (file) => {
    const lines = inlineGenerators(readFileSync(file, "utf8"))
    expect(lines, `${file}: inline generator at lines ${lines.join(", ")}`).toEqual([])
  })
})
