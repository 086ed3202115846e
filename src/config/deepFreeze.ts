/**
 * Freezes decoded config in place, all the way down, so "nothing downstream mutates it" is
 * enforced rather than hoped for. Only plain objects and arrays are frozen; other objects
 * (Redacted secrets) are left as their library made them.
 */
export const deepFreeze = <A>(value: A): A => {
  const stack: Array<unknown> = [value]
  while (stack.length > 0) {
    const current = stack.pop()
    if (typeof current !== "object" || current === null || Object.isFrozen(current)) continue
    const proto = Object.getPrototypeOf(current)
    if (!Array.isArray(current) && proto !== Object.prototype && proto !== null) continue
    Object.freeze(current)
    for (const child of Object.values(current)) stack.push(child)
  }
  return value
}
