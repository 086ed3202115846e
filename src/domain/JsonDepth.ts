/**
 * The JSON nesting limit shared by every entry point (Kafka events, ingress bodies,
 * inline test payloads): deeper documents are rejected before anything walks them.
 */

export const MAX_JSON_DEPTH = 50

/**
 * Nesting depth of a decoded JSON value: a scalar is 0, `{}` and `[]` are 1, `{"a":[1]}` is 2.
 * Iterative, so a hostile document cannot overflow the stack; stops counting once past `stopAfter`.
 */
export const jsonDepth = (value: unknown, stopAfter = Number.POSITIVE_INFINITY): number => {
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
