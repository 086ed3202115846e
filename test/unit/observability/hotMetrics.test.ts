import { Counter, Histogram, Registry } from "prom-client"
import { describe, expect, it } from "vitest"
import { HotCounter, HotHistogram } from "../../../src/observability/hotMetrics.ts"

const BUCKETS = [0.005, 0.01, 0.1, 1, 10]

/** the same observations through prom-client's metrics and ours must render the same text */
describe("hot metrics", () => {
  it("render exactly like prom-client's Counter and Histogram", async () => {
    const theirs = new Registry()
    const ours = new Registry()
    const c1 = new Counter({ name: "x_total", help: "h", labelNames: ["a", "b"] as const, registers: [theirs] })
    const h1 = new Histogram({
      name: "d_seconds",
      help: "h",
      labelNames: ["a"] as const,
      buckets: BUCKETS,
      registers: [theirs]
    })
    const c2 = new HotCounter("x_total", "h", ["a", "b"], [ours])
    const h2 = new HotHistogram("d_seconds", "h", ["a"], BUCKETS, [ours])
    const values = [0, 0.005, 0.0051, 0.01, 0.5, 1, 9.99, 10, 11, 1e9, Number.NaN]
    for (const [i, v] of values.entries()) {
      const a = i % 3 === 0 ? "one" : 'two "quoted"\n'
      const b = i % 2 === 0 ? "s" : "f"
      c1.inc({ a, b })
      c2.labels(a, b).inc()
      if (Number.isFinite(v)) h1.observe({ a }, v)
      h2.labels(a).observe(v)
    }
    c1.inc({ a: "one", b: "s" }, 5)
    c2.labels("one", "s").inc(5)
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })

  it("keeps a series handle valid across resets, and a metric without labels works", async () => {
    const registry = new Registry()
    const counter = new HotCounter("n_total", "h", [], [registry])
    const series = counter.labels()
    series.inc(3)
    expect(await registry.metrics()).toContain("n_total 3")
    registry.resetMetrics()
    series.inc()
    expect(await registry.metrics()).toContain("n_total 1")
  })

  it("refuses a second metric of the same name in a registry", () => {
    const registry = new Registry()
    new HotCounter("dup_total", "h", [], [registry])
    expect(() => new HotCounter("dup_total", "h", [], [registry])).toThrow(/already been registered/)
  })
})
