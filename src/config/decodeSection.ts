/**
 * Decodes one part of a config document with its schema and turns failures into
 * `ConfigIssue`s at absolute paths. Values that were exactly one `${VAR}` reference get
 * one more chance: environment values are always strings, so where the schema wanted a
 * number or boolean and the string reads as one ("5432", "true"), it is coerced and
 * decoded again. Literal strings in the file are never coerced: `port: "5432"` is an error.
 */
import { Result, Schema } from "effect"
import { formatPath, type IssuePath, reportIssues, reportingParseOptions } from "../domain/SchemaIssues.ts"
import type { ConfigIssue } from "./ConfigIssue.ts"

export interface DocumentContext {
  readonly file: string
  /** document paths (joined with ".") whose value came from the environment: never echoed */
  readonly substituted: ReadonlySet<string>
  /** document paths whose whole value was one `${VAR}`: may be coerced */
  readonly wholeReferences: ReadonlySet<string>
  /** document paths whose `${VAR}` could not be resolved: already reported, so not re-reported by the schema */
  readonly unresolved?: ReadonlySet<string>
  /** rewrites a path for display (legacy files report paths in their own layout) */
  readonly displayPath?: (path: IssuePath) => string
}

export type Decoded<A> =
  | { readonly _tag: "Ok"; readonly value: A }
  | { readonly _tag: "Failed"; readonly issues: ReadonlyArray<ConfigIssue> }

const MAX_COERCION_ROUNDS = 3

export const decodeSection = <A>(
  schema: Schema.Decoder<A>,
  input: unknown,
  at: IssuePath,
  context: DocumentContext
): Decoded<A> => {
  let value = input
  for (let round = 0; ; round++) {
    const result = Schema.decodeUnknownResult(schema)(value, reportingParseOptions)
    if (Result.isSuccess(result)) return { _tag: "Ok", value: result.success }
    const reports = reportIssues(result.failure.issue, {
      basePath: at,
      conceal: (path) => context.substituted.has(formatPath(path))
    })
    const coercions = reports.filter(
      (report) => report.coercible !== undefined && context.wholeReferences.has(formatPath(report.path))
    )
    if (coercions.length === 0 || round >= MAX_COERCION_ROUNDS) {
      const display = context.displayPath ?? formatPath
      const kept = reports.filter((report) => context.unresolved?.has(formatPath(report.path)) !== true)
      return {
        _tag: "Failed",
        issues: kept.map((report) => ({ file: context.file, path: display(report.path), message: report.message }))
      }
    }
    for (const report of coercions) {
      value = replaceAt(value, report.path.slice(at.length), (text) =>
        report.coercible === "number" ? Number(text) : text === "true"
      )
    }
  }
}

/** A copy of `root` with the string at `path` replaced (only the spine is copied). */
const replaceAt = (root: unknown, path: IssuePath, replace: (text: string) => unknown): unknown => {
  const [head, ...rest] = path
  if (head === undefined) return typeof root === "string" ? replace(root) : root
  if (Array.isArray(root)) return root.map((item, index) => (index === head ? replaceAt(item, rest, replace) : item))
  if (typeof root === "object" && root !== null) {
    const copy: Record<PropertyKey, unknown> = {}
    for (const [key, child] of Object.entries(root)) {
      Object.defineProperty(copy, key, {
        value: key === String(head) ? replaceAt(child, rest, replace) : child,
        enumerable: true,
        writable: true,
        configurable: true
      })
    }
    return copy
  }
  return root
}
