/**
 * `${VAR}` and `${VAR:-default}` in config string values, resolved from the environment
 * after parsing (so a secret full of YAML punctuation cannot change the file's structure).
 * `${VAR:-default}` uses the default when VAR is unset or empty, as in POSIX shells;
 * `$${` writes a literal `${`. An unset variable without a default is an error naming the
 * variable and the path. Keys are never substituted.
 */
import type { IssuePath } from "../domain/SchemaIssues.ts"

export type Env = Readonly<Record<string, string | undefined>>

export interface Substitution {
  readonly value: unknown
  readonly problems: ReadonlyArray<{ readonly path: IssuePath; readonly message: string }>
  /** paths (joined with ".") whose value came, wholly or partly, from the environment */
  readonly substituted: ReadonlySet<string>
  /** paths whose whole value was one `${…}` reference: candidates for number/boolean coercion */
  readonly wholeReferences: ReadonlySet<string>
  /** paths with a problem (unset variable, malformed reference): their value means nothing */
  readonly unresolved: ReadonlySet<string>
}

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g
const WHOLE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/

export const substituteEnv = (value: unknown, env: Env): Substitution => {
  const problems: Array<{ path: IssuePath; message: string }> = []
  const substituted = new Set<string>()
  const wholeReferences = new Set<string>()

  const onString = (text: string, path: IssuePath): string => {
    if (!text.includes("${")) return text
    let touched = false
    const result = text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === "$${") return "${"
      if (name === undefined) {
        problems.push({
          path,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: users write the literal ${VAR} syntax
          message: "malformed ${…} reference: write ${NAME} or ${NAME:-default} (and $${ for a literal ${)"
        })
        return match
      }
      touched = true
      const current = env[name]
      if (fallback !== undefined) return current === undefined || current === "" ? fallback : current
      if (current === undefined) {
        problems.push({
          path,
          message: `environment variable ${name} is not set (write \${${name}:-default} for a default)`
        })
        return ""
      }
      return current
    })
    if (touched) {
      substituted.add(path.join("."))
      if (WHOLE.test(text)) wholeReferences.add(path.join("."))
    }
    return result
  }

  const walk = (node: unknown, path: IssuePath): unknown => {
    if (typeof node === "string") return onString(node, path)
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]))
    if (typeof node === "object" && node !== null) {
      const out: Record<string, unknown> = {}
      for (const [key, child] of Object.entries(node)) {
        // defineProperty: a `__proto__` key stays an ordinary key, as the parser produced it
        Object.defineProperty(out, key, {
          value: walk(child, [...path, key]),
          enumerable: true,
          writable: true,
          configurable: true
        })
      }
      return out
    }
    return node
  }

  const result = walk(value, [])
  const unresolved = new Set(problems.map((problem) => problem.path.join(".")))
  return { value: result, problems, substituted, wholeReferences, unresolved }
}
