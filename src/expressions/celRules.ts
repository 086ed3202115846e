/**
 * Static rules that keep a CEL evaluation linear in the size of the event. CEL has no loops,
 * but its comprehension macros (`all`, `exists`, `exists_one`, `map`, `filter`) iterate lists
 * and maps from the event. Rules, checked on the parsed expression:
 * - no comprehension inside another one's body (`a.all(x, b.exists(y, ...))` is quadratic);
 * - a comprehension's body does not read `payload` (only its own variable, `headers`,
 *   `webhook_id`, `event`, literals), so one iteration costs what its element costs;
 * - `matches` takes a literal pattern that cannot backtrack exponentially (safeRegex.ts).
 */

import type { CompileProblem } from "./limits.ts"
import { regexProblem } from "./safeRegex.ts"

interface Node {
  readonly op: string
  readonly args: unknown
  readonly range?: { readonly start: number; readonly end: number }
}

const COMPREHENSIONS = new Set(["all", "exists", "exists_one", "map", "filter", "transformList", "transformMap"])

const isNode = (value: unknown): value is Node =>
  typeof value === "object" && value !== null && typeof (value as { op?: unknown }).op === "string"

const at = (node: Node, message: string): CompileProblem =>
  node.range === undefined ? { message } : { message, column: node.range.start + 1 }

const children = (node: Node): Array<Node> => {
  const out: Array<Node> = []
  const collect = (value: unknown): void => {
    if (isNode(value)) out.push(value)
    else if (Array.isArray(value)) for (const item of value) collect(item)
  }
  if (node.op !== "value" && node.op !== "id") collect(node.args)
  return out
}

/** `receiver.name(id, ...)`: the receiver and the body arguments, when the call is a comprehension. */
const comprehension = (node: Node): { receiver: Node; variables: Array<string>; body: Array<Node> } | undefined => {
  if (node.op !== "rcall" || !Array.isArray(node.args)) return undefined
  const [name, receiver, args] = node.args as [unknown, unknown, unknown]
  if (typeof name !== "string" || !COMPREHENSIONS.has(name) || !isNode(receiver) || !Array.isArray(args)) {
    return undefined
  }
  const variables: Array<string> = []
  const body: Array<Node> = []
  for (const arg of args) {
    if (!isNode(arg)) continue
    if (arg.op === "id" && body.length === 0 && typeof arg.args === "string") variables.push(arg.args)
    else body.push(arg)
  }
  return variables.length === 0 ? undefined : { receiver, variables, body }
}

const patternOf = (node: Node): Node | undefined => {
  if (!Array.isArray(node.args)) return undefined
  if (node.op === "rcall" && node.args[0] === "matches") return (node.args[2] as Array<unknown>)?.[0] as Node
  if (node.op === "call" && node.args[0] === "matches") return (node.args[1] as Array<unknown>)?.[1] as Node
  return undefined
}

export const celRuleProblem = (root: unknown): CompileProblem | undefined => {
  const visit = (node: Node, inBody: ReadonlySet<string> | undefined): CompileProblem | undefined => {
    if (node.op === "id" && inBody !== undefined && node.args === "payload" && !inBody.has("payload")) {
      return at(
        node,
        "a comprehension's body cannot read payload (only its own variable): it would cost the payload's size per element"
      )
    }
    const pattern = patternOf(node)
    if (pattern !== undefined || (Array.isArray(node.args) && node.args[0] === "matches")) {
      if (pattern === undefined || pattern.op !== "value" || typeof pattern.args !== "string") {
        return at(node, "matches() takes a string literal pattern")
      }
      const problem = regexProblem(pattern.args)
      if (problem !== undefined) return at(pattern, problem)
    }
    const loop = comprehension(node)
    if (loop !== undefined) {
      if (inBody !== undefined) return at(node, "a comprehension inside another one's body is not allowed (quadratic)")
      const receiverProblem = visit(loop.receiver, inBody)
      if (receiverProblem !== undefined) return receiverProblem
      const scope = new Set(loop.variables)
      for (const part of loop.body) {
        const problem = visit(part, scope)
        if (problem !== undefined) return problem
      }
      return undefined
    }
    for (const child of children(node)) {
      const problem = visit(child, inBody)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  return isNode(root) ? visit(root, undefined) : undefined
}
