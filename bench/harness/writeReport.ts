/** Writes reports/bench.json, reports/bench.md (the tables) and reports/bench.svg (the chart). */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { BenchReport, Diagnostic, RatioResult } from "./benchReport.ts"
import { SCENARIOS } from "./benchSettings.ts"
import { renderChart } from "./renderChart.ts"

const cell = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n) ? "–" : n.toLocaleString("en-US", { maximumFractionDigits: digits })

const targetRow = (name: string, r: RatioResult | undefined) =>
  r === undefined
    ? `| ${name} | – | – | not measured | |`
    : `| ${name} | ${r.value} | ${r.target} | ${r.met ? "**met**" : "**missed**"} | ${r.detail} |`

const diagnosticRow = (name: string, d: Diagnostic | undefined) =>
  d === undefined ? `| ${name} | – | not measured |` : `| ${name} | ${d.value} | ${d.detail} |`

/** The cost curves as a table: µs and KB per event by chain length and payload size. */
const curveRows = (report: BenchReport): ReadonlyArray<string> => {
  const curves = report.curves
  if (curves === undefined || curves.length === 0) return []
  return [
    "| curve: steps | payload | steps immediate | µs/event | KB/event |",
    "|--:|--:|---|--:|--:|",
    ...curves.map(
      (p) =>
        `| ${p.steps} | ${p.payload_bytes >= 1_048_576 ? "1 MB" : p.payload_bytes >= 65_536 ? "64 KB" : "1 KB"} | ${p.immediate ? "yes" : "no"} | ${p.cpu_us_per_event} | ${(p.bytes_per_event / 1_024).toFixed(1)} |`
    ),
    ""
  ]
}

export const reportMarkdown = (report: BenchReport): string => {
  const lines = [
    `# hookstream benchmark (${report.quick ? "quick" : "full"} run)`,
    "",
    `\`${report.command}\` — ${report.generated_at}, ${report.machine.cpus} CPUs, Node ${report.machine.node}, ` +
      `Kafka ${report.machine.kafka} (${report.machine.broker}), ${report.wall_s} s in all.`,
    "",
    "| scenario | events | events/s | p50 ms | p95 ms | p99 ms | peak RSS MB | CPU % | CPU µs/event |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
  ]
  for (const name of SCENARIOS) {
    const r = report.scenarios[name]
    if (r === undefined) continue
    lines.push(
      `| ${name} | ${cell(r.events)} | ${cell(r.events_per_s)} | ${cell(r.p50_ms, 1)} | ${cell(r.p95_ms, 1)} | ` +
        `${cell(r.p99_ms, 1)} | ${cell(r.peak_rss_mb)} | ${cell(r.cpu_pct)} | ${cell(r.cpu_us_per_event)} |`
    )
  }
  lines.push(
    "",
    "| target | value | wanted | result | detail |",
    "|---|--:|---|---|---|",
    targetRow("noop_vs_raw_results", report.ratios.noop_vs_raw_results),
    targetRow("noop_cpu_us_per_event", report.limits.noop_cpu_us_per_event),
    targetRow("slow_sink_vs_naive", report.ratios.slow_sink_vs_naive),
    targetRow("p99_half_load_vs_raw", report.ratios.p99_half_load_vs_raw),
    targetRow("platformatic_vs_kafkajs", report.ratios.platformatic_vs_kafkajs),
    targetRow("backlog_peak_rss_mb", report.limits.backlog_peak_rss_mb),
    "",
    ...curveRows(report),
    "| diagnostic (no target) | value | detail |",
    "|---|--:|---|",
    diagnosticRow("raw_results_vs_raw", report.diagnostics?.raw_results_vs_raw),
    diagnosticRow("noop_vs_raw", report.diagnostics?.noop_vs_raw),
    diagnosticRow("isolation_cost", report.diagnostics?.isolation_cost),
    diagnosticRow("result_headers_cost", report.diagnostics?.result_headers_cost),
    diagnosticRow("raw_results_platformatic_vs_kafkajs", report.diagnostics?.raw_results_platformatic_vs_kafkajs),
    diagnosticRow("noop_vs_raw_results_kafkajs", report.diagnostics?.noop_vs_raw_results_kafkajs),
    diagnosticRow("noop_vs_raw_results_platformatic", report.diagnostics?.noop_vs_raw_results_platformatic),
    "",
    "raw_pipe_results is raw_pipe writing records shaped like hookstream's results (same size, same six headers): " +
      "raw_results_vs_raw is what that output costs the client, noop_vs_raw_results is hookstream against that ceiling; " +
      "raw_pipe_results_lean writes the same value with one header, so result_headers_cost is what the other five headers cost. " +
      "raw_pipe_results_platformatic writes the results through @platformatic/kafka (KafkaJS consumer); noop_chain_seq_kafkajs and " +
      "noop_chain_seq_platformatic are the no-op chain one --producer-client apart, and noop_chain_seq runs the default client.",
    "",
    "Latency is produce → outcome: the input record's CreateTime to the outcome record's LogAppendTime. " +
      "In pre-filled scenarios it includes the wait in the backlog; the half-load pair is the latency measurement. " +
      "CPU % is of one core, for the consumer process alone (the broker runs on the same cores)."
  )
  const errors = Object.entries(report.errors)
  if (errors.length > 0) {
    lines.push("", "## Scenarios that failed", "")
    for (const [name, message] of errors) lines.push(`- ${name}: ${String(message).split("\n")[0]}`)
  }
  return `${lines.join("\n")}\n`
}

export const writeReport = async (report: BenchReport, dir: string): Promise<ReadonlyArray<string>> => {
  await mkdir(dir, { recursive: true })
  const files = {
    json: join(dir, "bench.json"),
    md: join(dir, "bench.md"),
    svg: join(dir, "bench.svg")
  }
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(files.md, reportMarkdown(report))
  await writeFile(files.svg, renderChart(report))
  return Object.values(files)
}
