// Live flow: KPIs of the last window, four charts over the last HISTORY windows, and the
// newest outcomes. Frames come from the shared live connection (see app.js).
import { escapeHtml, fmtMs, fmtNum, fmtTime } from "./api.js"
import { COLORS, lineChart, paletteColor } from "./charts.js"

const HISTORY = 120
const STATUSES = ["succeeded", "partial", "failed", "timed_out", "filtered"]
const TAIL_ROWS = 15

export const liveView = () => {
  const frames = []
  const tail = []
  let charts

  const ensureCharts = () => {
    charts ??= {
      rate: lineChart(
        document.getElementById("chart-rate"),
        [
          ...STATUSES.map((s) => ({ label: s.replace("_", " "), color: COLORS[s] })),
          { label: "dead letters", color: COLORS.dlq, width: 1.5, dash: [6, 4] }
        ],
        "events/s"
      ),
      latency: lineChart(
        document.getElementById("chart-latency"),
        [
          { label: "p50", color: COLORS.p50 },
          { label: "p99", color: COLORS.p99 }
        ],
        "ms",
        { format: (v) => fmtMs(v) }
      ),
      inflight: lineChart(
        document.getElementById("chart-inflight"),
        [{ label: "in flight", color: COLORS.inflight, fill: "rgba(90,169,255,0.12)" }],
        "events",
        { integer: true, minMax: 4 }
      ),
      lag: lineChart(document.getElementById("chart-lag"), [], "records", { integer: true, minMax: 4 })
    }
    return charts
  }

  const kpi = (label, value, unit = "", bad = false) =>
    `<div class="kpi${bad ? " bad" : ""}"><div class="label">${label}</div><div class="value">${value}${unit ? `<small>${unit}</small>` : ""}</div></div>`

  const renderKpis = (f) => {
    const perS = (n) => (n * 1000) / f.windowMs
    const ok = f.byStatus.succeeded ?? 0
    // filtered events did not run: the success rate is over the events that did
    const ran = f.events - (f.byStatus.filtered ?? 0)
    const lag = f.gauges.lag.reduce((a, l) => a + l.lag, 0)
    const open = f.gauges.circuits.filter((c) => c.state === "open").length
    document.getElementById("kpis").innerHTML = [
      kpi("events", fmtNum(perS(f.events)), "/s"),
      kpi("succeeded", ran === 0 ? "–" : `${Math.round((ok / ran) * 100)}`, ran === 0 ? "" : "%"),
      kpi("dead letters", fmtNum(perS(f.deadLetters)), "/s", f.deadLetters > 0),
      kpi("deferred", fmtNum(perS(f.deferred ?? 0)), "/s", (f.deferred ?? 0) > 0),
      kpi("in flight", f.gauges.inFlight === null ? "n/a" : fmtNum(f.gauges.inFlight)),
      kpi("lag", fmtNum(lag), "records", lag > 1000),
      kpi("p50 / p99", `${fmtMs(f.p50Ms)}`, `/ ${fmtMs(f.p99Ms)}`),
      kpi("open circuits", String(open), "", open > 0)
    ].join("")
  }

  const badge = (m) =>
    `<span class="badge pill s-${m.status}" title="${escapeHtml(`${m.module} · ${m.status} · ${m.attempts} attempt(s) · ${fmtMs(m.durationMs)}`)}">${escapeHtml(m.id)}</span>`

  const renderTail = () => {
    const rows = tail
      .map(
        (o) => `<tr>
          <td class="mono">${fmtTime(o.finishedAt)}</td>
          <td>${escapeHtml(o.webhookId)}</td>
          <td class="mono">${escapeHtml(o.eventId)}</td>
          <td><span class="pill s-${o.status}">${o.status.replace("_", " ")}</span></td>
          <td><div class="badges">${o.modules.map(badge).join("")}</div></td>
          <td class="num">${fmtMs(o.durationMs)}</td></tr>`
      )
      .join("")
    document.querySelector("#tail tbody").innerHTML =
      rows || `<tr><td colspan="6" class="empty">no outcomes yet: waiting for events</td></tr>`
  }

  // the standalone console tails topics and cannot see destinations: it says so instead of an empty table
  const renderDestinations = (f) => {
    const rows = (f?.gauges.destinations ?? [])
      .map(
        (d) => `<tr>
          <td>${escapeHtml(d.module)}</td>
          <td class="mono">${escapeHtml(d.connection)}</td>
          <td class="num">${fmtNum(d.inFlight)}</td>
          <td class="num${d.queued > 0 ? " warn" : ""}">${fmtNum(d.queued)}</td>
          <td class="num${d.deferred > 0 ? " warn" : ""}">${fmtNum(d.deferred)}</td>
          <td class="num">${d.oldestDeferredMs === null ? "–" : fmtMs(d.oldestDeferredMs)}</td>
          <td><span class="pill s-${escapeHtml(d.circuit)}">${escapeHtml(d.circuit.replace("_", " "))}</span></td></tr>`
      )
      .join("")
    const none =
      f === undefined || f.gauges.inFlight === null
        ? "shown by hookstream run's console (this one reads topics only)"
        : "no destination has been used yet"
    document.querySelector("#destinations tbody").innerHTML =
      rows || `<tr><td colspan="7" class="empty">${none}</td></tr>`
  }

  const renderCharts = () => {
    const c = ensureCharts()
    const xs = frames.map((f) => f.t / 1000)
    const perS = (f, n) => (n * 1000) / f.windowMs
    c.rate.set([
      xs,
      ...STATUSES.map((s) => frames.map((f) => perS(f, f.byStatus[s] ?? 0))),
      frames.map((f) => perS(f, f.deadLetters))
    ])
    c.latency.set([xs, frames.map((f) => f.p50Ms), frames.map((f) => f.p99Ms)])
    c.inflight.set([xs, frames.map((f) => f.gauges.inFlight)])
    const partitions = [...new Set(frames.flatMap((f) => f.gauges.lag.map((l) => l.partition)))].sort((a, b) => a - b)
    c.lag.set(
      [xs, ...partitions.map((p) => frames.map((f) => f.gauges.lag.find((l) => l.partition === p)?.lag ?? null))],
      partitions.map((p, i) => ({ label: `partition ${p}`, color: paletteColor(i) }))
    )
  }

  return {
    onFrame: (frame) => {
      frames.push(frame)
      if (frames.length > HISTORY) frames.shift()
      tail.unshift(...frame.tail)
      tail.length = Math.min(tail.length, TAIL_ROWS)
      if (document.getElementById("view-live").hidden) return
      renderKpis(frame)
      renderCharts()
      renderDestinations(frame)
      renderTail()
    },
    shown: () => {
      for (const chart of Object.values(ensureCharts())) chart.refresh()
      if (frames.length > 0) {
        renderKpis(frames[frames.length - 1])
        renderCharts()
      }
      renderDestinations(frames[frames.length - 1])
      renderTail()
    }
  }
}
