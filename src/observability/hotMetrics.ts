/**
 * A counter and a histogram for the processor's per-event path, registered in a prom-client
 * registry next to its other metrics and rendered by it at scrape time.
 *
 * Why not prom-client's own: it validates and hashes the label set on every `inc`/`observe`,
 * labelled children included, which cost the processor ~3 µs and ~2.4 KB per event for its
 * four per-event series (npm run bench:console, "untapped ProcessorMetrics"). Here a series is
 * looked up once per label set and is then a handle on plain numbers: an event costs a map
 * lookup and a few array writes. Label values must be bounded (see ProcessorMetrics): a series lives as long
 * as its metric.
 */
import type { Metric, Registry } from "prom-client"

type Labels = Readonly<Record<string, string>>

interface MetricValue {
  readonly value: number
  readonly labels: Labels
  readonly metricName?: string
}

/** What a prom-client registry reads from a metric (its `Metric` type is a union of its own classes). */
interface RegistryView {
  readonly name: string
  readonly help: string
  readonly type: "counter" | "histogram"
  readonly aggregator: "sum"
  get(): Promise<{
    name: string
    help: string
    type: string
    aggregator: string
    values: Array<MetricValue>
  }>
  reset(): void
}

const register = (metric: RegistryView, registers: ReadonlyArray<Registry>) => {
  for (const registry of registers) registry.registerMetric(metric as unknown as Metric)
}

const labelsOf = (names: ReadonlyArray<string>, values: ReadonlyArray<string>): Labels => {
  const labels: Record<string, string> = {}
  names.forEach((name, i) => {
    labels[name] = values[i] ?? ""
  })
  return labels
}

/** At most two labels: enough for every per-event series, and no array or key string per event. */
const MAX_LABELS = 2

const checkLabels = (name: string, labelNames: ReadonlyArray<string>) => {
  if (labelNames.length > MAX_LABELS) throw new Error(`${name}: at most ${MAX_LABELS} labels`)
}

/** The handle of the series with label values `a`, `b`, made once and kept (it stays valid). */
const seriesOf = <H>(handles: Map<string, Map<string, H>>, a: string, b: string, make: () => H): H => {
  let level = handles.get(a)
  if (level === undefined) {
    level = new Map()
    handles.set(a, level)
  }
  let handle = level.get(b)
  if (handle === undefined) {
    handle = make()
    level.set(b, handle)
  }
  return handle
}

/**
 * What both metrics share: name, help, at most two labels, and one handle per label set, made
 * on first use and kept (it stays valid through `reset`). A subclass says what a series holds
 * and what its handle does, and registers itself once its own fields are set.
 */
abstract class HotMetric<S extends { readonly labels: Labels }, H> {
  readonly aggregator = "sum"
  readonly name: string
  readonly help: string
  protected readonly series: Array<S> = []
  private readonly labelNames: ReadonlyArray<string>
  private readonly handles = new Map<string, Map<string, H>>()

  constructor(name: string, help: string, labelNames: ReadonlyArray<string>) {
    this.name = name
    this.help = help
    checkLabels(name, labelNames)
    this.labelNames = labelNames
  }

  /** The series of these label values (in `labelNames` order); the same handle every time. */
  labels(a = "", b = ""): H {
    return seriesOf(this.handles, a, b, () => {
      const series = this.newSeries(labelsOf(this.labelNames, [a, b]))
      this.series.push(series)
      return this.handleOf(series)
    })
  }

  protected abstract newSeries(labels: Labels): S
  protected abstract handleOf(series: S): H
}

export interface CounterSeries {
  inc(by?: number): void
}

interface CounterState {
  readonly labels: Labels
  value: number
}

export class HotCounter extends HotMetric<CounterState, CounterSeries> implements RegistryView {
  readonly type = "counter"

  constructor(name: string, help: string, labelNames: ReadonlyArray<string>, registers: ReadonlyArray<Registry>) {
    super(name, help, labelNames)
    register(this, registers)
  }

  protected newSeries(labels: Labels): CounterState {
    return { labels, value: 0 }
  }

  protected handleOf(series: CounterState): CounterSeries {
    return {
      inc: (by = 1) => {
        series.value += by
      }
    }
  }

  async get() {
    const values = this.series.map((s) => ({ value: s.value, labels: s.labels }))
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  /** zeroes every series (handles stay valid) */
  reset(): void {
    for (const s of this.series) s.value = 0
  }
}

export interface HistogramSeries {
  observe(value: number): void
}

interface HistogramState {
  readonly labels: Labels
  /** per bucket, not cumulative; the last one is +Inf */
  readonly counts: Float64Array
  sum: number
  count: number
}

export class HotHistogram extends HotMetric<HistogramState, HistogramSeries> implements RegistryView {
  readonly type = "histogram"
  private readonly bounds: ReadonlyArray<number>

  constructor(
    name: string,
    help: string,
    labelNames: ReadonlyArray<string>,
    buckets: ReadonlyArray<number>,
    registers: ReadonlyArray<Registry>
  ) {
    super(name, help, labelNames)
    this.bounds = [...buckets].sort((a, b) => a - b)
    register(this, registers)
  }

  protected newSeries(labels: Labels): HistogramState {
    return { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 }
  }

  protected handleOf(series: HistogramState): HistogramSeries {
    const bounds = this.bounds
    return {
      observe: (value) => {
        if (!Number.isFinite(value)) return
        let b = 0
        while (b < bounds.length && value > (bounds[b] as number)) b++
        series.counts[b] = (series.counts[b] as number) + 1
        series.sum += value
        series.count++
      }
    }
  }

  async get() {
    const values: Array<MetricValue> = []
    for (const s of this.series) {
      let cumulative = 0
      for (let b = 0; b <= this.bounds.length; b++) {
        cumulative += s.counts[b] as number
        const le = b < this.bounds.length ? String(this.bounds[b]) : "+Inf"
        values.push({ value: cumulative, labels: { le, ...s.labels }, metricName: `${this.name}_bucket` })
      }
      values.push({ value: s.sum, labels: s.labels, metricName: `${this.name}_sum` })
      values.push({ value: s.count, labels: s.labels, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset(): void {
    for (const s of this.series) {
      s.counts.fill(0)
      s.sum = 0
      s.count = 0
    }
  }
}
