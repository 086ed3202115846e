/**
 * A legacy chain item's `retry` → our `retry`. The original only retried when `enabled`
 * was true (otherwise one call), clamped values silently at run time and fell back to
 * defaults on wrong types. Here out-of-range values are clamped into our limits *with a
 * warning*, wrong types fall back to the original defaults with a warning, and the two
 * fields the original validator checked (`enabled`, `max_attempts`) are errors when wrong,
 * booleans included (Python counted `True` as 1).
 */
import { isMapping, type LegacyNotes, typeName } from "./LegacyNotes.ts"

const ORIGINAL = { initial_delay: 1, max_delay: 60, backoff_multiplier: 2 } as const
const KNOWN = new Set(["enabled", "max_attempts", "initial_delay", "max_delay", "backoff_multiplier"])
const IGNORED = new Set(["retryable_errors", "non_retryable_errors"])

const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value)

export const convertRetry = (retry: unknown, path: string, notes: LegacyNotes): Record<string, unknown> | undefined => {
  if (retry === null || retry === undefined) return { max_attempts: 1 }
  if (!isMapping(retry)) {
    notes.errors.push({ path, message: `retry must be a dictionary, got ${typeName(retry)}` })
    return undefined
  }
  if (retry["enabled"] !== undefined && typeof retry["enabled"] !== "boolean") {
    notes.errors.push({ path: `${path}.enabled`, message: `must be a boolean, got ${typeName(retry["enabled"])}` })
  }
  const attempts = retry["max_attempts"]
  if (attempts !== undefined && !(typeof attempts === "number" && Number.isInteger(attempts) && attempts >= 1)) {
    const note = typeof attempts === "boolean" ? " (booleans are not numbers)" : ""
    notes.errors.push({
      path: `${path}.max_attempts`,
      message: `must be a positive integer, got ${typeof attempts === "number" ? attempts : typeName(attempts)}${note}`
    })
  }
  for (const key of Object.keys(retry)) {
    if (IGNORED.has(key)) {
      notes.warnings.push({
        path: `${path}.${key}`,
        message: "ignored: hookstream decides retries from each error's reason and retryable flag"
      })
    } else if (!KNOWN.has(key))
      notes.warnings.push({ path: `${path}.${key}`, message: "ignored: unknown retry option" })
  }
  if (retry["enabled"] !== true) return { max_attempts: 1 }

  const clamp = (key: string, value: number, min: number, max: number, unit = ""): number => {
    const clamped = Math.min(max, Math.max(min, value))
    if (clamped !== value) {
      notes.warnings.push({
        path: `${path}.${key}`,
        message: `${value}${unit} is outside ${min}${unit}–${max}${unit}; using ${clamped}${unit}`
      })
    }
    return clamped
  }
  const number = (key: keyof typeof ORIGINAL): number => {
    const value = retry[key]
    if (value === undefined) return ORIGINAL[key]
    if (isNumber(value)) return value
    notes.warnings.push({
      path: `${path}.${key}`,
      message: `expected a number, got ${typeName(value)}; using the original default ${ORIGINAL[key]}`
    })
    return ORIGINAL[key]
  }
  const maxAttempts = typeof attempts === "number" ? clamp("max_attempts", attempts, 1, 10) : 3
  const initial = clamp("initial_delay", number("initial_delay"), 0, 30, "s")
  // the original's default max_delay was 60s; ours is capped at 30s, so only an explicit value is worth a warning
  const maxDelay = retry["max_delay"] === undefined ? 30 : clamp("max_delay", number("max_delay"), 0, 30, "s")
  const multiplier = clamp("backoff_multiplier", number("backoff_multiplier"), 1, 10)
  if (initial > maxDelay) {
    notes.warnings.push({
      path: `${path}.max_delay`,
      message: `max_delay ${maxDelay}s is below initial_delay ${initial}s; raised to ${initial}s as the original did`
    })
  }
  return {
    max_attempts: maxAttempts,
    initial_delay: initial,
    max_delay: Math.max(initial, maxDelay),
    multiplier
  }
}
