/**
 * Regular expressions in stream expressions run against event data that anyone may send, on
 * JavaScript's backtracking engine. A pattern is accepted only when it cannot backtrack
 * exponentially: no repetition of a group that itself repeats or alternates (`(a+)+`, `(a|aa)*`),
 * no back-references, no lookaround (CEL specifies RE2, which has neither). A conservative
 * syntactic rule, in the spirit of `safe-regex` and RE2's guarantees.
 */

/** A reason the pattern is refused, or undefined when it is accepted. */
export const regexProblem = (pattern: string): string | undefined => {
  if (pattern.length > 500) return "the pattern is longer than 500 characters"
  try {
    new RegExp(pattern)
  } catch (error) {
    return `invalid regular expression: ${error instanceof Error ? error.message : String(error)}`
  }
  // per open group: whether it holds a repetition or an alternation
  const groups: Array<{ repeats: boolean }> = []
  let last: { repeats: boolean } | undefined
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === "\\") {
      const next = pattern[i + 1] ?? ""
      if (/[1-9]/.test(next) || next === "k") return "back-references are not supported (CEL patterns are RE2)"
      i++
      last = undefined
      continue
    }
    if (inClass) {
      if (c === "]") {
        inClass = false
        last = undefined
      }
      continue
    }
    if (c === "[") {
      inClass = true
      continue
    }
    if (c === "(") {
      if (/^\(\?<?[=!]/.test(pattern.slice(i, i + 4))) return "lookaround is not supported (CEL patterns are RE2)"
      groups.push({ repeats: false })
      continue
    }
    if (c === ")") {
      last = groups.pop()
      const parent = groups[groups.length - 1]
      if (last?.repeats === true && parent !== undefined) parent.repeats = true
      continue
    }
    const current = groups[groups.length - 1]
    if (c === "|") {
      if (current !== undefined) current.repeats = true
      continue
    }
    const repetition = c === "*" || c === "+" || (c === "{" && /^\{\d*,\d*\}|^\{\d+\}/.test(pattern.slice(i)))
    if (repetition) {
      if (last?.repeats === true) {
        return "a repeated group repeats or alternates inside (exponential backtracking); rewrite it without nesting"
      }
      if (current !== undefined) current.repeats = true
      last = undefined
      continue
    }
    if (c !== "?") last = undefined
  }
  return undefined
}
