/**
 * Whether a value is JSON and how large it would be serialized, stopping as soon as it is over
 * `limit` (so a huge output costs at most `limit` to reject). Sizes are close upper bounds
 * (string escapes counted as one character each, numbers by their shortest form).
 */
export type JsonSize = { readonly bytes: number } | { readonly over: true } | { readonly notJson: string }

export const jsonSize = (value: unknown, limit: number): JsonSize => {
  let bytes = 0
  const stack: Array<unknown> = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    switch (typeof v) {
      case "string":
        bytes += v.length + 2
        break
      case "number":
        if (!Number.isFinite(v)) return { notJson: "a non-finite number" }
        bytes += String(v).length
        break
      case "boolean":
        bytes += 5
        break
      case "object":
        if (v === null) bytes += 4
        else if (Array.isArray(v)) {
          bytes += 2 + v.length
          for (let i = v.length - 1; i >= 0; i--) stack.push(v[i])
        } else {
          bytes += 2
          for (const key in v) {
            const child = (v as Record<string, unknown>)[key]
            if (child === undefined || typeof child === "function") continue
            bytes += key.length + 4
            stack.push(child)
          }
        }
        break
      case "undefined":
        bytes += 4
        break
      default:
        return { notJson: `a ${typeof v}` }
    }
    if (bytes > limit) return { over: true }
  }
  return { bytes }
}
