/**
 * JSONata expressions (`transform:`, the placeholders of `headers:`), compiled once when the
 * stream loads. They read the payload as `$` (so `data.object.id` is a path into it) and the
 * rest of the context as variables (`$headers`, `$event`, `$webhook_id`, `$payload`). jsonata 2.x evaluates asynchronously; its guardrails bound one evaluation's time
 * (checked at every evaluation step, so a pathological expression is interrupted, not waited
 * out), its nesting depth and its sequence sizes. At load, `$eval` (code from event data) is
 * refused and regular expression literals must be safe from exponential backtracking.
 */
import { createRequire } from "node:module"
import type jsonata from "jsonata"
import { type ExpressionContext, type ExpressionFailure, expressionFailure } from "../domain/Expression.ts"
import { BAIL, compileFastPath } from "./jsonataFastPath.ts"
import { type CompileProblem, expressionLimits } from "./limits.ts"
import { regexProblem } from "./safeRegex.ts"

// Loaded on first use, like the CEL library (see celCondition.ts).
let loaded: typeof jsonata | undefined
const library = (): typeof jsonata => {
  loaded ??= createRequire(import.meta.url)("jsonata") as typeof jsonata
  return loaded
}

export interface JsonataExpression {
  readonly source: string
  /** resolves to the value (`undefined`: the expression matched nothing); rejects with jsonata's error */
  readonly evaluate: (context: ExpressionContext) => Promise<unknown>
  /** the same value at once, or `BAIL` when only jsonata can tell (see jsonataFastPath.ts) */
  readonly evaluateSync: (context: ExpressionContext) => unknown
}

const bailing = (): unknown => BAIL

const OPTIONS: jsonata.JsonataOptions = {
  timeout: expressionLimits.evaluationMs,
  stack: expressionLimits.jsonataDepth,
  sequence: expressionLimits.jsonataSequence
}

/**
 * jsonata's time bound is wall-clock time since the evaluation started, and its evaluation
 * awaits at every step, so concurrent evaluations would interleave and each would be charged
 * for the others' time (under load, a simple transform timed out in the benchmark). Running one
 * evaluation at a time makes the bound measure the expression's own time; the CPU is one thread
 * anyway, so nothing is lost but the interleaving.
 */
let tail: Promise<unknown> = Promise.resolve()
const settle = () => undefined
const oneAtATime = <A>(run: () => Promise<A>): Promise<A> => {
  const next = tail.then(run)
  tail = next.then(settle, settle)
  return next
}

/** D1011: too deep, D1012: too long, D2015: a sequence too long; ours: too many steps. */
const TOO_MANY_STEPS = "HS_STEPS"
const LIMIT_CODES = new Set(["D1011", "D1012", "D2015", TOO_MANY_STEPS])

interface EvaluationFrame {
  readonly base: { steps?: number }
}

/**
 * jsonata calls this before every evaluation step (its documented `__evaluate_entry` hook);
 * `base` is the frame of one evaluation, so the count is per evaluation. A step budget, unlike
 * time, does not depend on the machine's load or on garbage-collection pauses.
 */
const countStep = (_expr: unknown, _input: unknown, environment: EvaluationFrame): void => {
  const base = environment.base
  const steps = (base.steps ?? 0) + 1
  base.steps = steps
  if (steps > expressionLimits.jsonataSteps) throw { code: TOO_MANY_STEPS }
}

interface JsonataErrorShape {
  readonly code?: string
  readonly position?: number
  readonly token?: string
  readonly message?: string
  readonly value?: unknown
  readonly value2?: unknown
}

const shape = (error: unknown): JsonataErrorShape => (typeof error === "object" && error !== null ? error : {})

const clip = (source: string): string => {
  const flat = source.replace(/\s+/g, " ").trim()
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat
}

const problemAt = (node: jsonata.ExprNode, message: string): CompileProblem =>
  node.position === undefined ? { message } : { message, column: node.position }

/** Walks the compiled AST for what is refused at load. */
const astProblem = (root: jsonata.ExprNode): CompileProblem | undefined => {
  const stack: Array<unknown> = [root]
  const seen = new Set<unknown>()
  while (stack.length > 0) {
    const node = stack.pop()
    if (typeof node !== "object" || node === null || seen.has(node)) continue
    seen.add(node)
    if (node instanceof RegExp) continue
    const n = node as jsonata.ExprNode & { readonly value?: unknown }
    if ((n.type as string) === "regex" && n.value instanceof RegExp) {
      const problem = regexProblem(n.value.source)
      if (problem !== undefined) return problemAt(n, problem)
    }
    if (n.type === "variable" && n.value === "eval") {
      return problemAt(n, "$eval is not allowed (it would run code taken from the event)")
    }
    for (const value of Object.values(n)) stack.push(value)
  }
  return undefined
}

export const compileJsonata = (
  source: string
): { readonly ok: JsonataExpression } | { readonly problem: CompileProblem } => {
  if (source.trim() === "") return { problem: { message: "the expression is empty" } }
  if (source.length > expressionLimits.sourceChars) {
    return { problem: { message: `longer than ${expressionLimits.sourceChars} characters` } }
  }
  let compiled: jsonata.Expression
  try {
    compiled = library()(source, OPTIONS)
  } catch (error) {
    const e = shape(error)
    const message = `${e.code === undefined ? "" : `${e.code}: `}${e.message ?? String(error)}`
    return { problem: e.position === undefined ? { message } : { message, column: e.position } }
  }
  const problem = astProblem(compiled.ast())
  if (problem !== undefined) return { problem }
  compiled.assign(Symbol.for("jsonata.__evaluate_entry") as unknown as string, countStep)
  // `$` is the payload; the context's names are variables: $payload, $headers, $webhook_id, $event
  const bindings = (context: ExpressionContext) => context as unknown as Record<string, unknown>
  const fast = compileFastPath(compiled.ast())
  return {
    ok: {
      source,
      evaluate: (context) => oneAtATime(() => compiled.evaluate(context.payload, bindings(context))),
      // an array payload is a sequence to jsonata: its rules, not the fast path's
      evaluateSync:
        fast === undefined ? bailing : (context) => (Array.isArray(context.payload) ? BAIL : fast(context.payload))
    }
  }
}

/**
 * The failure for a rejected evaluation: the error's code, the token and position in the
 * expression; the library's message only when it quotes no value from the event.
 */
export const jsonataFailure = (
  source: string,
  path: string,
  error: unknown,
  reason: "transform_failed" = "transform_failed"
): ExpressionFailure => {
  if (error instanceof RangeError) {
    return expressionFailure("expression_limit", `${path} \`${clip(source)}\`: ${error.message}`)
  }
  const e = shape(error)
  const code = e.code ?? "error"
  const where =
    e.position === undefined ? "" : ` at position ${e.position}${e.token === undefined ? "" : ` ('${e.token}')`}`
  const quotesValue = e.value !== undefined || e.value2 !== undefined
  const detail = !quotesValue && e.message !== undefined ? `: ${e.message}` : ""
  const limited = LIMIT_CODES.has(code)
  const limitDetail = limited
    ? code === "D1012"
      ? `: ran for more than ${expressionLimits.evaluationMs} ms`
      : code === "D1011"
        ? `: nested deeper than ${expressionLimits.jsonataDepth}`
        : code === TOO_MANY_STEPS
          ? `: took more than ${expressionLimits.jsonataSteps} evaluation steps`
          : `: a sequence grew past ${expressionLimits.jsonataSequence} items`
    : detail
  return expressionFailure(
    limited ? "expression_limit" : reason,
    `${path} \`${clip(source)}\`: ${code}${where}${limitDetail}`
  )
}
