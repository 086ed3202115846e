/**
 * The JSON nesting limit shared by every entry point (Kafka events, ingress bodies,
 * inline test payloads): deeper documents are rejected before anything walks them.
 */

export const MAX_JSON_DEPTH = 50

/**
 * Nesting depth of a decoded JSON value: a scalar is 0, `{}` and `[]` are 1, `{"a":[1]}` is 2.
 * Stops counting once past `stopAfter`. With a finite `stopAfter` (every entry point's case)
 * it recurses, at most `stopAfter + 1` frames deep, and allocates nothing; without one it walks
 * an explicit stack, so a hostile document cannot overflow the call stack.
 */
export const jsonDepth = (value: unknown, stopAfter = Number.POSITIVE_INFINITY): number =>
  stopAfter <= MAX_RECURSION ? depthWithin(value, 0, stopAfter) : depthIterative(value, stopAfter)

/** recursion is safe far beyond this; above it the iterative walk is used */
const MAX_RECURSION = 1_000

const depthWithin = (value: unknown, level: number, stopAfter: number): number => {
  if (typeof value !== "object" || value === null) return level
  const here = level + 1
  if (here > stopAfter) return here
  let max = here
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i]
      if (typeof child !== "object" || child === null) continue
      const d = depthWithin(child, here, stopAfter)
      if (d > max) {
        max = d
        if (max > stopAfter) return max
      }
    }
  } else {
    const object = value as Record<string, unknown>
    for (const key in object) {
      const child = object[key]
      if (typeof child !== "object" || child === null) continue
      const d = depthWithin(child, here, stopAfter)
      if (d > max) {
        max = d
        if (max > stopAfter) return max
      }
    }
  }
  return max
}

const depthIterative = (value: unknown, stopAfter: number): number => {
  let max = 0
  const stack: Array<readonly [unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as readonly [unknown, number]
    if (typeof current !== "object" || current === null) continue
    const level = depth + 1
    if (level > max) max = level
    if (max > stopAfter) return max
    const children = Array.isArray(current) ? current : Object.values(current)
    for (const child of children) {
      if (typeof child === "object" && child !== null) stack.push([child, level])
    }
  }
  return max
}

/** `true` when the value nests deeper than `limit` (default 50). */
export const exceedsJsonDepth = (value: unknown, limit: number = MAX_JSON_DEPTH): boolean =>
  jsonDepth(value, limit) > limit
