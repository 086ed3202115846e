/**
 * reports/bench.svg: one row per scenario, throughput on the left and latency (p50 bar with
 * the p99 as a tick) on the right, both on log scales since they span four decades.
 */
import type { BenchReport } from "./benchReport.ts"
import { SCENARIOS } from "./benchSettings.ts"

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

const logScale = (min: number, max: number, width: number) => {
  const lo = Math.log10(Math.max(min, 1e-3))
  const hi = Math.log10(Math.max(max, min * 10))
  return (v: number) => (v <= 0 || !Number.isFinite(v) ? 0 : Math.max(0, ((Math.log10(v) - lo) / (hi - lo)) * width))
}

const decades = (min: number, max: number): Array<number> => {
  const out: Array<number> = []
  for (let e = Math.floor(Math.log10(min)); 10 ** e <= max * 1.0001; e++) out.push(10 ** e)
  return out
}

const label = (v: number) => (v >= 1_000_000 ? `${v / 1_000_000}M` : v >= 1_000 ? `${v / 1_000}k` : String(v))

export const renderChart = (report: BenchReport): string => {
  const rows = SCENARIOS.flatMap((name) => {
    const r = report.scenarios[name]
    return r === undefined ? [] : [{ name, r }]
  })
  const rowH = 26
  const top = 56
  const nameW = 170
  const panelW = 330
  const gap = 110
  // room right of each panel for the value labels
  const width = nameW + panelW * 2 + gap + 120
  const height = top + rows.length * rowH + 40
  const rates = rows.map(({ r }) => r.events_per_s).filter((v) => v > 0)
  const lats = rows.flatMap(({ r }) => [r.p50_ms, r.p99_ms]).filter((v) => v > 0 && Number.isFinite(v))
  const rateMin = 10 ** Math.floor(Math.log10(Math.min(...rates, 10)))
  const rateMax = 10 ** Math.ceil(Math.log10(Math.max(...rates, 100)))
  const latMin = 10 ** Math.floor(Math.log10(Math.min(...lats, 1)))
  const latMax = 10 ** Math.ceil(Math.log10(Math.max(...lats, 10)))
  const xr = logScale(rateMin, rateMax, panelW)
  const xl = logScale(latMin, latMax, panelW)
  const left = nameW
  const right = nameW + panelW + gap
  const out: Array<string> = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    "<title>hookstream benchmark: events/s and produce-to-outcome latency per scenario</title>",
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">events/s (log)</text>`,
    `<text x="${right}" y="20" font-size="14" font-weight="bold">produce → outcome ms (log): p50 bar, p99 tick</text>`,
    `<text x="10" y="${height - 10}" fill="#666">${escapeXml(`${report.quick ? "quick run" : "full run"} ${report.generated_at}, ${report.machine.cpus} CPUs, Node ${report.machine.node}, Kafka ${report.machine.kafka}`)}</text>`
  )
  for (const [x0, min, max, x] of [
    [left, rateMin, rateMax, xr],
    [right, latMin, latMax, xl]
  ] as const) {
    for (const d of decades(min, max)) {
      const x1 = x0 + x(d)
      out.push(
        `<line x1="${x1}" y1="${top - 8}" x2="${x1}" y2="${top + rows.length * rowH}" stroke="#ddd"/>`,
        `<text x="${x1}" y="${top - 12}" text-anchor="middle" fill="#666">${label(d)}</text>`
      )
    }
  }
  rows.forEach(({ name, r }, i) => {
    const y = top + i * rowH
    const hookstream =
      name.startsWith("noop") || name.startsWith("slow_sink_hook") || name === "backlog_drain" || name === "hot_key"
    const color = hookstream || name === "half_load_latency" ? "#2b6cb0" : "#a0aec0"
    out.push(
      `<text x="${nameW - 8}" y="${y + 16}" text-anchor="end">${name}</text>`,
      `<rect x="${left}" y="${y + 4}" width="${xr(r.events_per_s).toFixed(1)}" height="${rowH - 10}" fill="${color}"/>`,
      `<text x="${left + xr(r.events_per_s) + 4}" y="${y + 16}" fill="#333">${Math.round(r.events_per_s)}</text>`
    )
    if (Number.isFinite(r.p50_ms)) {
      const p99 = right + xl(r.p99_ms)
      out.push(
        `<rect x="${right}" y="${y + 4}" width="${xl(r.p50_ms).toFixed(1)}" height="${rowH - 10}" fill="${color}"/>`,
        `<line x1="${p99}" y1="${y + 2}" x2="${p99}" y2="${y + rowH - 4}" stroke="#c53030" stroke-width="2"/>`,
        `<text x="${p99 + 4}" y="${y + 16}" fill="#333">${r.p50_ms} / ${r.p99_ms}</text>`
      )
    }
  })
  out.push("</svg>")
  return `${out.join("\n")}\n`
}
