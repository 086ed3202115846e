/**
 * Bounds on stream expressions, so that neither a pathological expression nor a huge event
 * can stall a partition (docs/expressions.md says how each is enforced).
 */
export const expressionLimits = {
  /** characters in one expression as written */
  sourceChars: 4_000,
  /** CEL: syntax nodes in one condition (list literal elements count) */
  celAstNodes: 1_000,
  /** CEL: elements of one list literal (`event_type in [...]`) */
  celListElements: 500,
  /**
   * wall-clock time of one evaluation, ms: a backstop (JSONata: interrupted; CEL: a ceiling, see
   * celCondition), wide enough that a garbage-collection pause never fails a simple expression
   */
  evaluationMs: 1_000,
  /** JSONata: evaluation steps of one evaluation, the deterministic bound (≈ 0.2–1 µs each) */
  jsonataSteps: 250_000,
  /** JSONata: nesting of evaluation (recursion) */
  jsonataDepth: 200,
  /** JSONata: items in one sequence */
  jsonataSequence: 100_000,
  /** a rendered header value, bytes */
  headerValueChars: 8_192
} as const

/** Why an expression does not compile; `column` is 1-based within the expression. */
export interface CompileProblem {
  readonly message: string
  readonly column?: number
}
