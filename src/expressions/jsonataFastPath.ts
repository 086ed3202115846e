/**
 * A synchronous evaluator for the JSONata that most transforms are made of: object constructors
 * with literal keys, paths of plain field names, literals, arithmetic, unary minus and string
 * concatenation. jsonata 2.x evaluates everything asynchronously (frames, sequences and an await
 * per step: ~25–40 µs for a three-field object); this runs the same expression in about a
 * microsecond.
 *
 * It never decides anything jsonata might decide differently: whenever a value is not one its
 * rules cover exactly (an array anywhere on a path, an operand of the wrong type, a non-finite
 * result), it answers `BAIL` and the caller runs jsonata itself. A property test compares the
 * two on random payloads.
 */

/** "Ask jsonata": the value is outside what this evaluator covers exactly. */
export const BAIL: unique symbol = Symbol("bail")

export type FastPath = (payload: unknown) => unknown

interface Node {
  readonly type: string
  readonly value?: unknown
  readonly steps?: ReadonlyArray<Node>
  readonly lhs?: unknown
  readonly rhs?: Node
  readonly expression?: Node
}

// node keys that change a node's meaning (predicates, grouping, focus/index binding, ...)
const PLAIN_KEYS = new Set(["type", "value", "position", "steps", "lhs", "rhs", "expression"])

const isPlain = (node: Node): boolean => Object.keys(node).every((key) => PLAIN_KEYS.has(key))

const has = Object.prototype.hasOwnProperty

/** A path of names over plain objects: an array anywhere (or at the end) is jsonata's to map. */
const path = (names: ReadonlyArray<string>): FastPath => {
  return (payload) => {
    let value: unknown = payload
    for (const name of names) {
      if (value === null || typeof value !== "object") return undefined
      if (Array.isArray(value)) return BAIL
      if (!has.call(value, name)) return undefined
      value = (value as Record<string, unknown>)[name]
    }
    return Array.isArray(value) || typeof value === "function" ? BAIL : value
  }
}

const arithmetic = (op: string, lhs: FastPath, rhs: FastPath): FastPath | undefined => {
  const apply =
    op === "+"
      ? (a: number, b: number) => a + b
      : op === "-"
        ? (a: number, b: number) => a - b
        : op === "*"
          ? (a: number, b: number) => a * b
          : op === "/"
            ? (a: number, b: number) => a / b
            : op === "%"
              ? (a: number, b: number) => a % b
              : undefined
  if (apply === undefined) return undefined
  return (payload) => {
    const a = lhs(payload)
    if (a === BAIL) return BAIL
    const b = rhs(payload)
    if (b === BAIL) return BAIL
    // jsonata's type errors (T2001/T2002) come from jsonata
    if ((a !== undefined && typeof a !== "number") || (b !== undefined && typeof b !== "number")) return BAIL
    if (a === undefined || b === undefined) return undefined
    const result = apply(a, b)
    return Number.isFinite(result) ? result : BAIL
  }
}

const concat =
  (lhs: FastPath, rhs: FastPath): FastPath =>
  (payload) => {
    const a = lhs(payload)
    if (a === BAIL) return BAIL
    const b = rhs(payload)
    if (b === BAIL) return BAIL
    // jsonata stringifies other values its own way ($string): leave those to it
    if ((a !== undefined && typeof a !== "string") || (b !== undefined && typeof b !== "string")) return BAIL
    return (a ?? "") + (b ?? "")
  }

const objectConstructor =
  (pairs: ReadonlyArray<readonly [string, FastPath]>): FastPath =>
  (payload) => {
    const out: Record<string, unknown> = {}
    for (const [key, value] of pairs) {
      const v = value(payload)
      if (v === BAIL) return BAIL
      if (v !== undefined) out[key] = v
    }
    return out
  }

/** The evaluator for `node`, or undefined when the expression is not in the covered subset. */
export const compileFastPath = (node: unknown): FastPath | undefined => {
  if (typeof node !== "object" || node === null) return undefined
  const n = node as Node
  if (!isPlain(n)) return undefined
  switch (n.type) {
    case "string":
    case "number":
    case "value": {
      const literal = n.value
      if (typeof literal === "number" && !Number.isFinite(literal)) return undefined
      return typeof literal === "object" && literal !== null ? undefined : () => literal
    }
    case "path": {
      const names: Array<string> = []
      for (const step of n.steps ?? []) {
        if (typeof step !== "object" || step === null || step.type !== "name" || !isPlain(step)) return undefined
        if (typeof step.value !== "string") return undefined
        names.push(step.value)
      }
      return names.length === 0 ? undefined : path(names)
    }
    case "binary": {
      const lhs = compileFastPath(n.lhs)
      const rhs = compileFastPath(n.rhs)
      if (lhs === undefined || rhs === undefined || typeof n.value !== "string") return undefined
      return n.value === "&" ? concat(lhs, rhs) : arithmetic(n.value, lhs, rhs)
    }
    case "unary": {
      if (n.value === "-") {
        const operand = compileFastPath(n.expression)
        if (operand === undefined) return undefined
        return (payload) => {
          const v = operand(payload)
          if (v === undefined || v === BAIL) return v
          return typeof v === "number" ? -v : BAIL
        }
      }
      if (n.value !== "{" || !Array.isArray(n.lhs)) return undefined
      const pairs: Array<readonly [string, FastPath]> = []
      const keys = new Set<string>()
      for (const pair of n.lhs as ReadonlyArray<ReadonlyArray<Node>>) {
        const [key, value] = pair
        if (key === undefined || key.type !== "string" || typeof key.value !== "string" || !isPlain(key)) {
          return undefined
        }
        // a repeated key is an error in jsonata (D1009)
        if (keys.has(key.value)) return undefined
        keys.add(key.value)
        const compiled = compileFastPath(value)
        if (compiled === undefined) return undefined
        pairs.push([key.value, compiled])
      }
      return objectConstructor(pairs)
    }
    default:
      return undefined
  }
}
