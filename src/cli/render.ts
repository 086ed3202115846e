/**
 * Text output for people: aligned tables, counts, durations and the replay's progress line.
 * Pure string functions, so their shape is tested without a terminal.
 */
import { etaMs, fraction, ratePerSecond } from "../replay/progress.ts"
import type { ReplayProgress } from "../replay/Replay.ts"

export const formatCount = (n: number): string => Math.round(n).toLocaleString("en-US")

/** `850ms`, `12s`, `4m 05s`, `2h 03m` */
export const formatDurationShort = (ms: number): string => {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3_600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(s / 3_600)}h ${String(Math.floor((s % 3_600) / 60)).padStart(2, "0")}m`
}

const truncate = (text: string, width: number): string =>
  text.length <= width ? text : width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`

/**
 * Columns padded to their widest cell; cells longer than `maxCell` are cut with `…`. Numbers
 * (cells that are all digits and commas) are right-aligned.
 */
export const table = (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  maxCell = 48
): string => {
  const cells = [headers, ...rows].map((row) =>
    headers.map((_, i) => truncate((row[i] ?? "").replace(/\s+/g, " "), maxCell))
  )
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)))
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => /^[\d,]+$/.test(row[i] ?? "")))
  const line = (row: ReadonlyArray<string>) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd()
  const [head, ...body] = cells
  return [line(head ?? []), line(widths.map((w) => "─".repeat(w))), ...body.map(line)].join("\n")
}

/** `name    count` lines under a title, for stats */
export const countsBlock = (title: string, counts: Readonly<Record<string, number>>): string => {
  const entries = Object.entries(counts).map(([k, v]) => [k, formatCount(v)] as const)
  if (entries.length === 0) return `${title}: none`
  const keyWidth = Math.max(...entries.map(([k]) => k.length))
  const countWidth = Math.max(...entries.map(([, v]) => v.length))
  return [`${title}:`, ...entries.map(([k, v]) => `  ${k.padEnd(keyWidth)}  ${v.padStart(countWidth)}`)].join("\n")
}

/** The progress line of a replay. `bar` adds a bar of that many characters (TTY). */
export const progressLine = (p: ReplayProgress, bar?: number): string => {
  if (p.phase === "counting") return "replay: counting each event's replays on the whole DLQ (--max-replays)…"
  const f = fraction(p)
  const eta = etaMs(p)
  const parts = [
    `${formatCount(p.scanned)}/${formatCount(p.total)} read`,
    p.dryRun ? `${formatCount(p.matched)} match` : `${formatCount(p.published)} published`,
    `${formatCount(ratePerSecond(p.dryRun ? p.scanned : p.published, p.elapsedMs))}/s`,
    eta === undefined ? "ETA –" : `ETA ${formatDurationShort(eta)}`
  ]
  if (p.tooManyReplays > 0) parts.push(`${formatCount(p.tooManyReplays)} over --max-replays`)
  if (p.undecodable > 0) parts.push(`${formatCount(p.undecodable)} undecodable`)
  const percent = `${String(Math.floor(f * 100)).padStart(3)}%`
  if (bar === undefined) return `replay: ${percent} ${parts.join(", ")}`
  const filled = Math.round(f * bar)
  return `[${"█".repeat(filled)}${"░".repeat(bar - filled)}] ${percent} ${parts.join(" · ")}`
}

/** The progress line of a DLQ scan (`dlq stats|list`). */
export const scanLine = (label: string, scanned: number, total: number): string => {
  const percent = total <= 0 ? 100 : Math.min(100, Math.floor((scanned * 100) / total))
  return `${label}: ${formatCount(scanned)} of ${formatCount(total)} DLQ records read (${percent}%)`
}
