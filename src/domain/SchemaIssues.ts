/**
 * Turns an Effect Schema issue tree into flat `{ path, message }` reports that a human
 * can act on: every problem (decode with `errors: "all"`), phrased as "expected X, got Y",
 * unknown keys with a "did you mean", booleans called out where numbers were expected.
 *
 * Values are echoed only when safe: never below a schema annotated `sensitive: true`
 * (secrets), never at a path the caller marks as concealed (values that came from the
 * environment), and long strings are cut short.
 */
import type { SchemaAST, SchemaIssue } from "effect"
import { suggestionSuffix } from "./didYouMean.ts"

export type IssuePath = ReadonlyArray<PropertyKey>

export interface IssueReport {
  readonly path: IssuePath
  readonly message: string
  /**
   * Set when the input was a string the schema would accept as this type ("5432" where a
   * port is expected): lets a caller coerce values that came from the environment.
   */
  readonly coercible?: "number" | "boolean"
}

export interface ReportOptions {
  /** prefix for every reported path (e.g. `chain.2.config`) */
  readonly basePath?: IssuePath
  /** `true` for paths whose input must not be echoed in messages */
  readonly conceal?: (path: IssuePath) => boolean
}

/** Decode options that make issues complete and reportable. */
export const reportingParseOptions = {
  errors: "all",
  onExcessProperty: "error",
  reportInput: true
} as const

/** The annotation that marks a schema's input as secret: it is never echoed. */
export const sensitiveAnnotation = { sensitive: true } as const

interface State {
  readonly path: IssuePath
  readonly owner: SchemaAST.AST | undefined
  readonly sensitive: boolean
}

export const reportIssues = (issue: SchemaIssue.Issue, options: ReportOptions = {}): Array<IssueReport> => {
  const out: Array<IssueReport> = []
  walk(issue, { path: options.basePath ?? [], owner: undefined, sensitive: false }, options, out)
  const seen = new Set<string>()
  return out.filter((report) => {
    const key = `${formatPath(report.path)}\u0000${report.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** `chain.1.retry.max_attempts` */
export const formatPath = (path: IssuePath): string => path.map((segment) => String(segment)).join(".")

const walk = (issue: SchemaIssue.Issue, state: State, options: ReportOptions, out: Array<IssueReport>): void => {
  switch (issue._tag) {
    case "Pointer": {
      const inner = { path: [...state.path, ...issue.path], owner: undefined, sensitive: false }
      walk(issue.issue, inner, options, out)
      return
    }
    case "Composite": {
      const owner = isContainer(issue.ast) ? state.owner : issue.ast
      const sensitive = state.sensitive || isSensitive(issue.ast)
      for (const inner of issue.issues) walk(inner, { ...state, owner, sensitive }, options, out)
      return
    }
    case "Encoding": {
      const sensitive = state.sensitive || isSensitive(issue.ast)
      walk(issue.issue, { ...state, owner: issue.ast, sensitive }, options, out)
      return
    }
    case "Filter":
      // a filter may point below itself (`{ path, issue }`): follow it so the path is kept
      if (issue.issue._tag === "Pointer" || issue.issue._tag === "Composite") {
        walk(issue.issue, state, options, out)
        return
      }
      out.push(leafReport(issue, state, options))
      return
    case "AnyOf":
      if (issue.issues.length > 0) {
        const sensitive = state.sensitive || isSensitive(issue.ast)
        for (const inner of issue.issues) walk(inner, { ...state, owner: undefined, sensitive }, options, out)
        return
      }
      out.push(leafReport(issue, state, options))
      return
    default:
      out.push(leafReport(issue, state, options))
  }
}

const leafReport = (issue: SchemaIssue.Issue, state: State, options: ReportOptions): IssueReport => {
  const message = leafMessage(issue, state, options)
  const ast = issue._tag === "InvalidType" || issue._tag === "AnyOf" ? issue.ast : undefined
  const input = Object.hasOwn(issue, "input") ? issue.input : undefined
  if (ast === undefined || typeof input !== "string") return { path: state.path, message }
  if (/^-?\d+(\.\d+)?$/.test(input) && acceptsNumbers(ast)) return { path: state.path, message, coercible: "number" }
  if ((input === "true" || input === "false") && acceptsBooleans(ast)) {
    return { path: state.path, message, coercible: "boolean" }
  }
  return { path: state.path, message }
}

const leafMessage = (issue: SchemaIssue.Issue, state: State, options: ReportOptions): string => {
  const got = (expectedAst?: SchemaAST.AST) => gotSuffix(issue, state, options, expectedAst)
  switch (issue._tag) {
    case "AnyOf": {
      const literals = typeof issue.input === "string" ? stringLiterals(issue.ast) : []
      const suggestion = typeof issue.input === "string" ? suggestionSuffix(issue.input, literals) : ""
      return `expected ${describe(issue.ast)}${got(issue.ast)}${suggestion}`
    }
    case "Filter": {
      const custom = messageOf(leafAnnotations(issue.issue)) ?? messageOf(issue.filter.annotations)
      if (custom !== undefined) return custom
      const expected = state.owner === undefined ? expectedOf(issue.filter.annotations) : describe(state.owner)
      return `expected ${expected ?? "a valid value"}${got(state.owner)}`
    }
    case "InvalidType":
      return messageOf(issue.ast.annotations) ?? `expected ${describe(issue.ast)}${got(issue.ast)}`
    case "InvalidValue":
      return messageOf(issue.annotations) ?? `invalid value${got()}`
    case "MissingKey": {
      const key = state.path[state.path.length - 1]
      return key === undefined ? "missing required value" : `missing required key '${String(key)}'`
    }
    case "UnexpectedKey":
      return unexpectedKeyMessage(issue.ast, String(state.path[state.path.length - 1] ?? ""))
    case "Forbidden":
      return "not allowed here"
    case "OneOf":
      return "matches more than one of the allowed forms"
    default:
      return "invalid value"
  }
}

const unexpectedKeyMessage = (ast: SchemaAST.AST, key: string): string => {
  if (ast._tag !== "Objects") return `unknown key '${key}'`
  // A map whose keys have a shape (header names, field names): the key is malformed, not unknown
  const keyShape = ast.indexSignatures[0]?.parameter
  if (keyShape !== undefined && ast.propertySignatures.length === 0) {
    return `invalid key '${key}': expected ${describe(keyShape)}`
  }
  const allowed = ast.propertySignatures.map((p) => String(p.name))
  const suggestion = suggestionSuffix(key, allowed)
  if (suggestion !== "") return `unknown key '${key}'${suggestion}`
  return allowed.length > 0
    ? `unknown key '${key}' (allowed: ${[...allowed].sort().join(", ")})`
    : `unknown key '${key}'`
}

const leafAnnotations = (issue: SchemaIssue.Issue): unknown =>
  issue._tag === "InvalidValue" || issue._tag === "MissingKey" ? issue.annotations : undefined

const isContainer = (ast: SchemaAST.AST): boolean => ast._tag === "Objects" || ast._tag === "Arrays"

const isSensitive = (ast: SchemaAST.AST): boolean => ast.annotations?.["sensitive"] === true

const messageOf = (annotations: unknown): string | undefined => {
  const message = (annotations as { readonly message?: unknown } | undefined)?.message
  return typeof message === "string" ? message : undefined
}

const expectedOf = (annotations: unknown): string | undefined => {
  const expected = (annotations as { readonly expected?: unknown } | undefined)?.expected
  return typeof expected === "string" ? expected : undefined
}

/** What the schema at `ast` accepts, in words. Helpers put the full phrase on their last check. */
export const describe = (ast: SchemaAST.AST): string => {
  const checks = ast.checks
  const fromCheck = checks === undefined ? undefined : expectedOf(checks[checks.length - 1]?.annotations)
  const explicit = fromCheck ?? expectedOf(ast.annotations)
  if (explicit !== undefined) return explicit
  switch (ast._tag) {
    case "String":
      return "a string"
    case "Number":
      return "a number"
    case "Boolean":
      return "true or false"
    case "Null":
      return "null"
    case "Objects":
      return "a mapping"
    case "Arrays":
      return "a list"
    case "Literal":
      return formatValue(ast.literal)
    case "Union": {
      const literals = ast.types.filter((t) => t._tag === "Literal")
      if (literals.length === ast.types.length)
        return `one of ${literals.map((t) => formatValue(t.literal)).join(", ")}`
      return ast.types.map(describe).join(" or ")
    }
    default:
      return "a valid value"
  }
}

const stringLiterals = (ast: SchemaAST.AST): Array<string> =>
  ast._tag === "Union"
    ? ast.types.flatMap((t) => (t._tag === "Literal" && typeof t.literal === "string" ? [t.literal] : []))
    : []

const acceptsNumbers = (ast: SchemaAST.AST | undefined): boolean => {
  if (ast === undefined) return false
  switch (ast._tag) {
    case "Number":
      return true
    case "Literal":
      return typeof ast.literal === "number"
    case "Union":
      return ast.types.some(acceptsNumbers)
    default:
      return false
  }
}

const acceptsBooleans = (ast: SchemaAST.AST): boolean =>
  ast._tag === "Boolean" ||
  (ast._tag === "Literal" && typeof ast.literal === "boolean") ||
  (ast._tag === "Union" && ast.types.some(acceptsBooleans))

const gotSuffix = (
  issue: SchemaIssue.Issue,
  state: State,
  options: ReportOptions,
  expectedAst: SchemaAST.AST | undefined
): string => {
  if (!Object.hasOwn(issue, "input")) return ""
  if (state.sensitive || (expectedAst !== undefined && isSensitive(expectedAst))) return ""
  if (options.conceal?.(state.path) === true) return ", got a value from the environment"
  const input = issue.input
  const note = typeof input === "boolean" && acceptsNumbers(expectedAst) ? " (booleans are not numbers)" : ""
  return `, got ${formatValue(input)}${note}`
}

/** A short, safe rendering of an input value for messages. */
export const formatValue = (value: unknown): string => {
  if (typeof value === "string") {
    const short = value.length > 60 ? `${value.slice(0, 57)}...` : value
    return `'${short}'`
  }
  if (value === null) return "null"
  if (value === undefined) return "nothing"
  if (Array.isArray(value)) return "a list"
  if (typeof value === "object") return "a mapping"
  return String(value)
}
