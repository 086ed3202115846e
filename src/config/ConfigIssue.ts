/**
 * Problems found while loading config: every one is reported (never just the first), each
 * tied to a file and a dotted path (`chain.1.retry.max_attempts`), or a line and column
 * for syntax errors. Messages never contain secret values.
 */
import { Schema } from "effect"

export interface ConfigIssue {
  readonly file: string
  /** dotted path to the field; "" for the whole file (then line/column may say where) */
  readonly path: string
  readonly message: string
  readonly line?: number
  readonly column?: number
}

export const ConfigIssueSchema = Schema.Struct({
  file: Schema.String,
  path: Schema.String,
  message: Schema.String,
  line: Schema.optionalKey(Schema.Int),
  column: Schema.optionalKey(Schema.Int)
})

/** Loading failed; `issues` holds every problem, sorted by file then path. */
export class ConfigErrors extends Schema.TaggedError<ConfigErrors>()("ConfigErrors", {
  issues: Schema.Array(ConfigIssueSchema)
}) {
  override get message(): string {
    const count = this.issues.length
    return `${count} problem${count === 1 ? "" : "s"} in the stream configuration:\n${this.issues.map(formatIssue).join("\n")}`
  }
}

const comparePaths = (a: string, b: string): number => {
  const left = a === "" ? [] : a.split(".")
  const right = b === "" ? [] : b.split(".")
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i] ?? ""
    const y = right[i] ?? ""
    if (x === y) continue
    const numeric = /^\d+$/.test(x) && /^\d+$/.test(y)
    return numeric ? Number(x) - Number(y) : x < y ? -1 : 1
  }
  return left.length - right.length
}

/** By file, then path (numeric segments compared as numbers: chain.2 before chain.10), then line. */
export const sortIssues = (issues: ReadonlyArray<ConfigIssue>): Array<ConfigIssue> =>
  [...issues].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      comparePaths(a.path, b.path) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0)
  )

/** `<file>:<path.to.field>: <reason>`, or `<file>:<line>:<col>: <reason>` for syntax errors. */
export const formatIssue = (issue: ConfigIssue): string => {
  const where =
    issue.path !== ""
      ? `:${issue.path}`
      : issue.line !== undefined
        ? `:${issue.line}${issue.column === undefined ? "" : `:${issue.column}`}`
        : ""
  return `${issue.file}${where}: ${issue.message}`
}
