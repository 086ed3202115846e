/**
 * CEL conditions (`filter:`, `when:`) with @marcbachmann/cel-js (why this implementation:
 * docs/expressions.md). Compiled and type-checked once when the stream loads; evaluated
 * synchronously per event. CEL has no loops, and the static rules below keep one evaluation
 * linear in the size of the event (see celRules.ts); a measured ceiling backs that up.
 */
import { createRequire } from "node:module"
import type { Environment } from "@marcbachmann/cel-js"
import {
  type Condition,
  type ExpressionContext,
  type ExpressionFailure,
  expressionFailure
} from "../domain/Expression.ts"
import { celRuleProblem } from "./celRules.ts"
import { type CompileProblem, expressionLimits } from "./limits.ts"

// Loaded on first use: a process whose streams have no conditions (and every CLI command that
// loads no streams) does not pay for the library at startup.
let loaded: Environment | undefined
const environment = (): Environment => {
  if (loaded === undefined) {
    const cel = createRequire(import.meta.url)("@marcbachmann/cel-js") as typeof import("@marcbachmann/cel-js")
    loaded = new cel.Environment({
      limits: {
        maxAstNodes: expressionLimits.celAstNodes,
        maxDepth: 32,
        maxListElements: expressionLimits.celListElements,
        maxMapEntries: 100,
        maxCallArguments: 8
      }
    })
      .registerVariable("payload", "dyn")
      .registerVariable("headers", "map<string, string>")
      .registerVariable("webhook_id", "string")
      .registerVariable("event", "map<string, dyn>")
  }
  return loaded
}

interface CelError {
  readonly summary?: string
  readonly code?: string
  readonly range?: { readonly start: number; readonly end: number }
}

const asCelError = (error: unknown): CelError => (typeof error === "object" && error !== null ? error : {})

/** Where the failing part is, as the expression's own text: config, never event data. */
const part = (source: string, error: CelError): string => {
  const range = error.range
  if (range === undefined) return ""
  const text = source.slice(range.start, range.end).replace(/\s+/g, " ")
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text
  return ` at \`${shown}\` (column ${range.start + 1})`
}

export type Compiled<A> = { readonly ok: A } | { readonly problem: CompileProblem }

export const compileCondition = (source: string, path: string): Compiled<Condition> => {
  if (source.length > expressionLimits.sourceChars) {
    return { problem: { message: `longer than ${expressionLimits.sourceChars} characters` } }
  }
  let parsed: ReturnType<Environment["parse"]>
  try {
    parsed = environment().parse(source)
  } catch (error) {
    return { problem: compileProblem(error) }
  }
  const rule = celRuleProblem(parsed.ast)
  if (rule !== undefined) return { problem: rule }
  const checked = parsed.check()
  if (!checked.valid) return { problem: compileProblem(checked.error) }
  if (checked.type !== "bool" && checked.type !== "dyn") {
    return { problem: { message: `a condition must be a bool, this one is a ${checked.type}` } }
  }
  const evaluate = parsed
  const ceilingMs = expressionLimits.evaluationMs
  const test = (context: ExpressionContext): boolean | ExpressionFailure => {
    const started = performance.now()
    let value: unknown
    try {
      value = evaluate(context as unknown as Record<string, unknown>)
    } catch (error) {
      return runtimeFailure(source, path, error)
    }
    // CEL cannot be interrupted: this ceiling reports what the static rules should have prevented
    if (performance.now() - started > ceilingMs) {
      return expressionFailure("expression_limit", `${path} \`${clip(source)}\` ran for more than ${ceilingMs} ms`)
    }
    if (typeof value === "boolean") return value
    return expressionFailure(
      "condition_failed",
      `${path} \`${clip(source)}\` evaluated to a ${value === null ? "null" : Array.isArray(value) ? "list" : typeof value}, not a bool`
    )
  }
  return { ok: { source, path, test } }
}

const clip = (source: string): string => (source.length > 120 ? `${source.slice(0, 117)}...` : source)

const compileProblem = (error: unknown): CompileProblem => {
  const e = asCelError(error)
  const summary = (e.summary ?? (error instanceof Error ? error.message : String(error))).split("\n")[0] ?? ""
  return e.range === undefined ? { message: summary } : { message: summary, column: e.range.start + 1 }
}

const runtimeFailure = (source: string, path: string, error: unknown): ExpressionFailure => {
  if (error instanceof RangeError) {
    return expressionFailure("expression_limit", `${path} \`${clip(source)}\`: ${error.message}`)
  }
  const e = asCelError(error)
  // the code and the failing part of the expression; the library's summary may quote event values
  const code = e.code ?? "evaluation_error"
  return expressionFailure("condition_failed", `${path} \`${clip(source)}\`: ${code}${part(source, e)}`)
}
