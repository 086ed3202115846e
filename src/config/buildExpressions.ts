/**
 * The expressions of a stream file compiled at load, or their problems as config issues at the
 * key's path with the position in the expression: `filter` and `when` (CEL), `transform` and
 * `headers` (JSONata). Compiled once here; never per event.
 */
import type { Condition, StepShape } from "../domain/Expression.ts"
import { compileCondition } from "../expressions/celCondition.ts"
import type { CompileProblem } from "../expressions/limits.ts"
import { compileStepShape } from "../expressions/stepShape.ts"
import { PROTOCOL_HEADERS } from "../modules/http/outgoingHeaders.ts"

export interface ExpressionIssue {
  readonly at: ReadonlyArray<string | number>
  readonly message: string
}

const describe = (language: "CEL" | "JSONata", problem: CompileProblem): string =>
  `${language}: ${problem.message}${problem.column === undefined ? "" : ` (at column ${problem.column} of the expression)`}`

export const buildCondition = (
  source: string | undefined,
  at: ReadonlyArray<string | number>
): { readonly condition?: Condition; readonly issues: ReadonlyArray<ExpressionIssue> } => {
  if (source === undefined) return { issues: [] }
  const compiled = compileCondition(source, at.join("."))
  return "problem" in compiled
    ? { issues: [{ at, message: describe("CEL", compiled.problem) }] }
    : { condition: compiled.ok, issues: [] }
}

export interface StepExpressionsInput {
  readonly module: string
  readonly when?: string | undefined
  readonly transform?: string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly maxPayloadBytes: number
}

export const buildStepExpressions = (
  input: StepExpressionsInput,
  at: ReadonlyArray<string | number>
): { readonly when?: Condition; readonly shape?: StepShape; readonly issues: ReadonlyArray<ExpressionIssue> } => {
  const issues: Array<ExpressionIssue> = []
  const when = buildCondition(input.when, [...at, "when"])
  issues.push(...when.issues)
  if (input.headers !== undefined) {
    if (input.module !== "http") issues.push({ at: [...at, "headers"], message: "headers applies only to http steps" })
    for (const name of Object.keys(input.headers)) {
      if (PROTOCOL_HEADERS.has(name.toLowerCase())) {
        issues.push({
          at: [...at, "headers", name],
          message: `${name} is set by hookstream itself and cannot be templated`
        })
      }
    }
  }
  const shape = compileStepShape({
    ...(input.transform === undefined ? {} : { transform: input.transform }),
    ...(input.headers === undefined ? {} : { headers: input.headers }),
    path: at.join("."),
    maxBodyBytes: input.maxPayloadBytes
  })
  for (const problem of shape.problems) {
    issues.push({ at: [...at, ...problem.at], message: describe("JSONata", problem) })
  }
  return {
    ...(when.condition === undefined ? {} : { when: when.condition }),
    ...(shape.shape === undefined || issues.length > 0 ? {} : { shape: shape.shape }),
    issues
  }
}
