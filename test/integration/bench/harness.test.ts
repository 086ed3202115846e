/**
 * The benchmark harness works: `npm run bench -- --quick` (as a child process, on the run's
 * broker) runs every scenario and writes a complete report. Only the report's structure is
 * checked — never the targets, which are for full runs on a quiet machine.
 */
import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, describe, expect, it } from "vitest"
import type { BenchReport, RatioResult, ScenarioResult } from "../../../bench/harness/benchReport.ts"
import { SCENARIOS } from "../../../bench/harness/benchSettings.ts"
import { kafkaBrokers } from "../../support/kafka.ts"

const root = join(import.meta.dirname, "..", "..", "..")
const out = await mkdtemp(join(tmpdir(), "bench-quick-"))
afterAll(() => rm(out, { recursive: true, force: true }))

const expectRatio = (ratio: RatioResult | undefined) => {
  expect(ratio).toBeDefined()
  expect(Number.isFinite(ratio?.value)).toBe(true)
  expect(ratio?.target).toMatch(/^(>=|<=) /)
  expect(typeof ratio?.met).toBe("boolean")
}

describe("npm run bench -- --quick", () => {
  it("runs every scenario and reports numbers, ratios and targets", { timeout: 300_000 }, async () => {
    const { stderr } = await promisify(execFile)(
      process.execPath,
      [join(root, "bench", "bench.ts"), "--quick", "--out", out],
      { cwd: root, env: { ...process.env, KAFKA_BROKERS: kafkaBrokers() }, maxBuffer: 16 * 1_048_576 }
    ).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`bench --quick failed: ${error.message}\n${error.stderr ?? ""}`)
    })
    const report = JSON.parse(await readFile(join(out, "bench.json"), "utf8")) as BenchReport

    expect(report.errors, stderr).toEqual({})
    expect(report.quick).toBe(true)
    expect(Object.keys(report.scenarios).sort()).toEqual([...SCENARIOS].sort())
    for (const name of SCENARIOS) {
      const s = report.scenarios[name] as ScenarioResult
      for (const field of ["events_per_s", "p50_ms", "p95_ms", "p99_ms", "peak_rss_mb", "cpu_pct"] as const) {
        expect(Number.isFinite(s[field]), `${name}.${field} = ${s[field]}`).toBe(true)
      }
      expect(s.events).toBeGreaterThan(0)
      expect(s.events_per_s).toBeGreaterThan(0)
      expect(s.peak_rss_mb).toBeGreaterThan(0)
      expect(s.p50_ms).toBeLessThanOrEqual(s.p95_ms)
      expect(s.p95_ms).toBeLessThanOrEqual(s.p99_ms)
    }
    expectRatio(report.ratios.noop_vs_raw_results)
    expectRatio(report.limits.noop_cpu_us_per_event)
    expectRatio(report.ratios.slow_sink_vs_naive)
    expectRatio(report.ratios.p99_half_load_vs_raw)
    expectRatio(report.limits.backlog_peak_rss_mb)
    expectRatio(report.ratios.platformatic_vs_kafkajs)
    const diagnostics = report.diagnostics
    for (const d of [
      diagnostics.raw_results_vs_raw,
      diagnostics.noop_vs_raw,
      diagnostics.isolation_cost,
      diagnostics.result_headers_cost,
      diagnostics.raw_results_platformatic_vs_kafkajs,
      diagnostics.noop_vs_raw_results_kafkajs,
      diagnostics.noop_vs_raw_results_platformatic
    ]) {
      expect(d?.value).toBeGreaterThan(0)
      expect(d?.detail).toMatch(/events\/s$/)
    }

    // the cost curves: every chain length and payload size, for both kinds of steps
    expect(report.curves?.length).toBe(16)
    for (const p of report.curves ?? []) {
      expect(p.cpu_us_per_event, JSON.stringify(p)).toBeGreaterThan(0)
      expect(p.bytes_per_event, JSON.stringify(p)).toBeGreaterThan(0)
    }

    const markdown = await readFile(join(out, "bench.md"), "utf8")
    for (const name of SCENARIOS) expect(markdown).toContain(`| ${name} |`)
    expect(markdown).toContain("| noop_vs_raw |")
    expect(markdown).toContain("| noop_vs_raw_results |")
    expect(markdown).toContain("| isolation_cost |")
    expect(markdown).toContain("| curve: steps |")
    expect(await readFile(join(out, "bench.svg"), "utf8")).toMatch(/^<svg /)
  })
})
