// uPlot charts styled for the dark panels: time on x, labelled y axis, legend below,
// resized with their container.
/* global uPlot */

const AXIS = {
  stroke: "#8a97a8",
  grid: { stroke: "rgba(138,151,168,0.12)", width: 1 },
  ticks: { stroke: "rgba(138,151,168,0.25)", width: 1 },
  font: "12px system-ui, sans-serif"
}

export const COLORS = {
  succeeded: "#3fb67b",
  partial: "#e0a23b",
  failed: "#ef5b5b",
  timed_out: "#c77dff",
  filtered: "#8a97a8",
  dlq: "#ff8a65",
  p50: "#5aa9ff",
  p99: "#f0c75e",
  inflight: "#5aa9ff",
  bars: "#ef8a5b"
}
const PALETTE = ["#5aa9ff", "#3fb67b", "#e0a23b", "#c77dff", "#ef5b5b", "#4dd0e1", "#f06292", "#aed581", "#ffb74d"]
export const paletteColor = (i) => PALETTE[i % PALETTE.length]

// whole seconds on the time axis, whole numbers on count axes
const TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 604800]
const INT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 1000000]

const clock = (seconds, dates) => {
  const d = new Date(seconds * 1000)
  return dates
    ? d.toLocaleString("en-GB", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })
    : d.toLocaleTimeString("en-GB", { hour12: false })
}

/**
 * series: [{ label, color, fill?, width? }]; yLabel: the y axis' unit; opts.bars: bar paths.
 * Answers { set(data), el }.
 */
export const lineChart = (el, series, yLabel, opts = {}) => {
  const size = () => ({ width: Math.max(200, el.clientWidth), height: el.clientHeight || 220 })
  const make = (list) =>
    new uPlot(
      {
        ...size(),
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(opts.minMax ?? 1, max * 1.1)] } },
        axes: [
          {
            ...AXIS,
            space: 80,
            incrs: TIME_INCRS,
            values: (_u, ticks) => ticks.map((t) => clock(t, opts.dates?.()))
          },
          {
            ...AXIS,
            label: yLabel,
            labelSize: 18,
            labelFont: "12px system-ui, sans-serif",
            size: 56,
            ...(opts.integer ? { incrs: INT_INCRS } : {}),
            values: (_u, ticks) => ticks.map((v) => (v >= 10000 ? `${Math.round(v / 1000)}k` : String(+v.toFixed(2))))
          }
        ],
        series: [
          { label: "time", value: (_u, t) => (t === null ? "–" : clock(t, opts.dates?.())) },
          ...list.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: s.width ?? 2,
            ...(s.dash ? { dash: s.dash } : {}),
            fill: s.fill,
            points: { show: false },
            ...(opts.bars ? { paths: uPlot.paths.bars({ size: [0.8, 40] }), fill: `${s.color}cc` } : {}),
            value: (_u, v) =>
              v === null || v === undefined ? "–" : opts.format ? opts.format(v) : String(+v.toFixed(1))
          }))
        ]
      },
      [[], ...list.map(() => [])],
      el
    )
  let plot = make(series)
  let current = series
  new ResizeObserver(() => plot.setSize(size())).observe(el)
  return {
    el,
    /** data: [xs (seconds), ...ys]; series: a new series list when it changed (lag partitions) */
    set: (data, newSeries) => {
      if (newSeries !== undefined && newSeries.map((s) => s.label).join() !== current.map((s) => s.label).join()) {
        plot.destroy()
        current = newSeries
        plot = make(current)
      }
      // how many points the chart holds, for tests and for a glance in the inspector
      el.dataset.points = String(data[0]?.length ?? 0)
      if (el.offsetParent !== null) plot.setData(data)
      else plot.pendingData = data
    },
    refresh: () => {
      plot.setSize(size())
      if (plot.pendingData) plot.setData(plot.pendingData)
    }
  }
}
