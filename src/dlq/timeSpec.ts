/**
 * Times and spans as operators type them on the command line: `--since 2h` (two hours ago),
 * `--since 2026-01-31`, `--until 2026-01-31T12:00:00Z`, `--retention 7d`. Pure; the clock is
 * an argument.
 */
import { isRfc3339 } from "../domain/Timestamp.ts"

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
const SPAN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/

/** `250ms`, `30s`, `15m`, `2h`, `7d`, `2w` → milliseconds; `undefined` otherwise (a unit is required). */
export const parseSpan = (text: string): number | undefined => {
  const match = SPAN.exec(text.trim())
  if (match === null) return undefined
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS])
  return Number.isFinite(ms) ? ms : undefined
}

/**
 * A point in time, epoch ms: a span means that long before `now` (`2h`), an RFC 3339
 * timestamp is taken as written, a date (`2026-01-31`) is midnight UTC. `undefined` when
 * the text is none of these.
 */
export const parseTimeSpec = (text: string, now: number): number | undefined => {
  const trimmed = text.trim()
  const span = parseSpan(trimmed)
  if (span !== undefined) return now - span
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    return isRfc3339(`${trimmed}T00:00:00Z`) ? Date.parse(`${trimmed}T00:00:00Z`) : undefined
  }
  if (!isRfc3339(trimmed)) return undefined
  const ms = Date.parse(trimmed.replace(/(\.\d{3})\d+/, "$1"))
  return Number.isNaN(ms) ? undefined : ms
}

/** A short human age: `45s`, `12m`, `3h`, `2d`. */
export const formatAge = (ms: number): string => {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s}s`
  if (s < 3_600) return `${Math.floor(s / 60)}m`
  if (s < 86_400) return `${Math.floor(s / 3_600)}h`
  return `${Math.floor(s / 86_400)}d`
}
