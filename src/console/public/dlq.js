// Dead letters: filters (the same ones as `hookstream dlq` and `replay`), the stats of the
// matching set as counts and a timeline, the newest matching records, a record view, and a
// replay of the filtered set: dry run first, then confirm, then progress.
import { api, escapeHtml, fmtNum } from "./api.js"
import { COLORS, lineChart } from "./charts.js"

const byId = (id) => document.getElementById(id)

const filterValues = () => {
  const form = new FormData(byId("dlq-filter"))
  const out = {}
  for (const [k, v] of form.entries()) if (String(v).trim() !== "") out[k] = String(v).trim()
  return out
}

const countsBlock = (title, counts) => {
  const entries = Object.entries(counts)
  const max = Math.max(1, ...entries.map(([, n]) => n))
  const rows = entries
    .slice(0, 8)
    .map(
      ([name, n]) => `<div class="count-row"><div class="name" title="${escapeHtml(name)}">
        <div class="fill" style="width:${(n / max) * 100}%"></div><span>${escapeHtml(name)}</span></div>
        <div class="n">${fmtNum(n)}</div></div>`
    )
    .join("")
  return `<div><h4>${title}</h4>${rows || `<div class="muted">none</div>`}</div>`
}

const kv = (pairs) => `<dl class="kv">${pairs.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`

/** Opens one dead letter (`partition:offset` or a full coordinate) in the drawer. */
export const openRecord = async (at) => {
  const body = byId("drawer-body")
  byId("drawer").hidden = false
  body.innerHTML = `<div class="muted">loading…</div>`
  let view
  try {
    view = await api(`dlq/record?at=${encodeURIComponent(at)}`)
  } catch (e) {
    body.innerHTML = `<div class="error">${escapeHtml(e.message)}</div>`
    return
  }
  const r = view.record
  byId("drawer-title").textContent = r?.event_id ? `Dead letter ${r.event_id}` : "Dead letter"
  if (r === undefined) {
    body.innerHTML = kv([
      ["at", escapeHtml(view.coordinate)],
      ["problem", escapeHtml(view.problem)]
    ])
    return
  }
  // a step its `when` skipped did not fail
  const failed = (r.result?.modules ?? []).filter(
    (m) => m.status !== "succeeded" && !(m.status === "skipped" && m.error?.reason === "condition_false")
  )
  body.innerHTML = `${kv([
    ["reason", `<span class="pill s-failed">${escapeHtml(r.reason)}</span>`],
    ["webhook", escapeHtml(r.webhook_id ?? "–")],
    ["event id", `<span class="mono">${escapeHtml(r.event_id ?? "–")}</span>`],
    ["failed at", escapeHtml(r.failed_at)],
    [
      "failed modules",
      r.failed_modules.map((m) => `<span class="badge pill s-failed">${escapeHtml(m)}</span>`).join(" ") || "–"
    ],
    ["replay count", String(r.replay_count)],
    ["source", `<span class="mono">${escapeHtml(`${r.source.topic}:${r.source.partition}:${r.source.offset}`)}</span>`],
    ["DLQ record", `<span class="mono">${escapeHtml(view.coordinate)}</span>`],
    ["key", `<span class="mono">${escapeHtml(view.key ?? "–")}</span>`]
  ])}
  ${r.error ? `<h3>Error</h3><div class="mod-fail">${escapeHtml(r.error.tag)} · ${escapeHtml(r.error.reason)}<br/><span class="muted">${escapeHtml(r.error.message)}</span></div>` : ""}
  ${
    failed.length
      ? `<h3>Modules that did not succeed</h3>${failed
          .map(
            (m) => `<div class="mod-fail"><b>${escapeHtml(m.id)}</b> <span class="muted">${escapeHtml(m.module)}</span>
      <span class="pill s-${m.status}">${m.status}</span> <span class="muted">${m.attempts} attempt(s), ${Math.round(m.duration_ms)} ms</span>
      ${m.error ? `<br/><span class="muted">${escapeHtml(m.error.reason)}: ${escapeHtml(m.error.message)}</span>` : ""}</div>`
          )
          .join("")}`
      : ""
  }
  <h3>Original event <span class="muted">secrets redacted</span></h3>
  <pre class="json">${escapeHtml(JSON.stringify(r.event, null, 2))}</pre>`
}

export const dlqView = () => {
  let chart
  let loaded = false
  let refresh
  let bucketMs = 60000

  const showError = (message) => {
    byId("dlq-error").hidden = message === undefined
    byId("dlq-error").textContent = message ?? ""
  }

  const load = async () => {
    const query = new URLSearchParams(filterValues()).toString()
    let page
    try {
      page = await api(`dlq?limit=50&${query}`)
      showError()
    } catch (e) {
      showError(e.message)
      return
    }
    loaded = true
    const s = page.stats
    byId("dlq-stats").innerHTML = `<h3>Matching dead letters</h3>
      <div class="stat-total"><div><div class="muted">total</div><div class="stat-value">${fmtNum(s.total)}</div></div>
      <div><div class="muted">newest</div><div>${s.newestFailedAt ? new Date(s.newestFailedAt).toLocaleString("en-GB") : "–"}</div></div>
      <div><div class="muted">oldest</div><div>${s.oldestFailedAt ? new Date(s.oldestFailedAt).toLocaleString("en-GB") : "–"}</div></div></div>
      <div class="counts">${countsBlock("by reason", s.byReason)}${countsBlock("by webhook", s.byWebhook)}
      ${countsBlock("by failed module", s.byModule)}${countsBlock("by age", s.byAge)}
      ${countsBlock("by replay count", s.byReplayCount)}</div>`
    bucketMs = page.bucketMs
    chart ??= lineChart(byId("chart-dlq"), [{ label: "dead letters", color: COLORS.bars }], "records", {
      bars: true,
      integer: true,
      minMax: 4,
      dates: () => bucketMs >= 3600000,
      format: (v) => String(v)
    })
    chart.refresh()
    // empty buckets draw nothing rather than a flat dash
    chart.set([page.timeline.map((b) => b.t / 1000), page.timeline.map((b) => b.count || null)])
    byId("dlq-bucket").textContent =
      `per ${page.bucketMs >= 3600000 ? `${page.bucketMs / 3600000} h` : page.bucketMs >= 60000 ? `${page.bucketMs / 60000} min` : `${page.bucketMs / 1000} s`}`
    // the server's in-memory view may still be reading the DLQ: say so, and look again soon
    const indexing = page.index && !page.index.caughtUp
    byId("dlq-count").textContent =
      `newest ${page.entries.length} of ${fmtNum(s.total)}` +
      (indexing
        ? ` · still reading the DLQ${page.index.behind === null ? "" : `, ${fmtNum(page.index.behind)} records to go`}`
        : "")
    clearTimeout(refresh)
    if (indexing) refresh = setTimeout(() => byId("dlq-filter").isConnected && load(), 3000)
    byId("dlq-list").querySelector("tbody").innerHTML =
      page.entries
        .map(
          (e) => `<tr data-at="${escapeHtml(e.coordinate)}">
          <td class="mono">${new Date(e.failed_at).toLocaleString("en-GB")}</td>
          <td class="txt"><span class="clip" title="${escapeHtml(e.webhook_id ?? "")}">${escapeHtml(e.webhook_id ?? "–")}</span></td>
          <td><span class="pill s-failed">${escapeHtml(e.reason ?? e.problem ?? "?")}</span></td>
          <td>${e.failed_modules.map((m) => `<span class="badge pill s-failed">${escapeHtml(m)}</span>`).join(" ") || "–"}</td>
          <td class="num">${e.replay_count ?? "–"}</td>
          <td class="err"><span class="clip" title="${escapeHtml(e.error ?? "")}">${escapeHtml(e.error ?? "")}</span></td>
          <td class="mono muted at">${escapeHtml(e.coordinate.split(":").slice(-2).join(":"))}</td></tr>`
        )
        .join("") || `<tr><td colspan="7" class="empty">no dead letters match</td></tr>`
  }

  const replayDialog = async () => {
    const dialog = byId("replay-dialog")
    const body = byId("replay-body")
    const filter = filterValues()
    body.innerHTML = `<h2>Replay</h2><p class="muted">Counting what the filter selects (dry run)…</p>`
    dialog.showModal()
    let dry
    try {
      dry = await api("replay/dry-run", filter)
    } catch (e) {
      body.innerHTML = `<h2>Replay</h2><div class="error">${escapeHtml(e.message)}</div><div class="actions"><button id="replay-cancel">Close</button></div>`
      byId("replay-cancel").onclick = () => dialog.close()
      return
    }
    const reasons = Object.entries(dry.selected.byReason)
      .map(([k, n]) => `${escapeHtml(k)} ${fmtNum(n)}`)
      .join(", ")
    body.innerHTML = `<h2>Replay</h2>
      <div class="big" id="replay-count">${fmtNum(dry.matched)}</div>
      <div>dead letters would be re-published to the input topic${reasons ? ` <span class="muted">(${reasons})</span>` : ""}</div>
      <div class="muted">filter: ${escapeHtml(
        Object.entries(filter)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ") || "all records"
      )}</div>
      <div class="replay-opts">
        <label>name <input id="replay-name" size="24" value="console-${new Date().toISOString().replace(/[-:]/g, "").slice(0, 15)}" /></label>
        <label class="check"><input type="checkbox" id="replay-all" /> re-run every module</label>
        <label>rate per second <input id="replay-rate" size="6" placeholder="max" /></label>
        <label>skip events replayed ≥ <input id="replay-max" size="4" placeholder="–" /></label>
      </div>
      <div class="actions"><button id="replay-cancel">Cancel</button>
        <button id="replay-confirm" class="danger" ${dry.matched === 0 ? "disabled" : ""}>Replay ${fmtNum(dry.matched)}</button></div>`
    byId("replay-cancel").onclick = () => dialog.close()
    byId("replay-confirm").onclick = () =>
      startReplay({
        ...filter,
        name: byId("replay-name").value,
        allModules: byId("replay-all").checked,
        rate: byId("replay-rate").value,
        maxReplays: byId("replay-max").value
      })
  }

  /** Starts a replay (a new one, or one that stopped, again under its name: it continues) and shows it. */
  const startReplay = async (request) => {
    let job
    try {
      job = await api("replay", request)
    } catch (e) {
      byId("replay-body").insertAdjacentHTML("beforeend", `<div class="error">${escapeHtml(e.message)}</div>`)
      return
    }
    showJob(job)
  }

  /** The progress of a replay job, polled until it ends: after a start, or when a reloaded page finds one running. */
  const showJob = (job) => {
    const dialog = byId("replay-dialog")
    const body = byId("replay-body")
    if (!dialog.open) dialog.showModal()
    body.innerHTML = `<h2>Replaying <span class="mono">${escapeHtml(job.name)}</span></h2>
        <div class="muted">${escapeHtml(job.filter)}</div>
        <div class="progress"><span id="replay-bar" class="progress-fill" style="width:0%"></span></div>
        <div id="replay-text" class="muted">starting…</div>
        <div class="actions"><button id="replay-resume" hidden>Continue ${escapeHtml(job.name)}</button>
          <button id="replay-close">Close</button></div>`
    byId("replay-close").onclick = () => dialog.close()
    const poll = async () => {
      const j = await api(`replay/${job.id}`).catch(() => undefined)
      if (!byId("replay-bar")) return
      const p = j?.progress
      if (p) {
        const frac = p.total > 0 ? Math.min(1, p.scanned / p.total) : 1
        byId("replay-bar").style.width = `${Math.round(frac * 100)}%`
        byId("replay-text").textContent =
          p.phase === "counting"
            ? "counting each event's replays on the whole DLQ (max replays)…"
            : `${fmtNum(p.published)} published · ${fmtNum(p.matched)} selected · ${fmtNum(p.scanned)} / ${fmtNum(p.total)} read${p.tooManyReplays ? ` · ${p.tooManyReplays} skipped (max replays)` : ""}`
      }
      if (j?.state === "running" || j === undefined) return setTimeout(poll, 500)
      byId("replay-bar").style.width = "100%"
      byId("replay-text").textContent =
        j.state === "done"
          ? `done: ${fmtNum(j.summary.published)} published in ${(j.summary.elapsedMs / 1000).toFixed(1)} s${j.summary.resumed ? " (continued where an earlier run stopped)" : ""}`
          : `stopped: ${j.error}. Its position is kept: continue it under the same name.`
      byId("replay-text").className = j.state === "done" ? "" : "error"
      if (j.state !== "done") {
        byId("replay-resume").hidden = false
        byId("replay-resume").onclick = () => startReplay({ ...j.query, name: j.name })
      }
      load()
    }
    poll()
  }

  return {
    init: async () => {
      const { streams } = await api("streams")
      const select = byId("dlq-filter").querySelector("select[name=webhook]")
      for (const s of streams) select.insertAdjacentHTML("beforeend", `<option>${escapeHtml(s.webhookId)}</option>`)
      byId("dlq-filter").addEventListener("submit", (e) => {
        e.preventDefault()
        load()
      })
      byId("dlq-replay").addEventListener("click", replayDialog)
      byId("dlq-list").addEventListener("click", (e) => {
        const row = e.target.closest("tr[data-at]")
        if (row) openRecord(row.dataset.at)
      })
      byId("drawer-close").addEventListener("click", () => {
        byId("drawer").hidden = true
      })
      // a page reloaded while a replay runs shows its progress again
      const { current } = await api("replays").catch(() => ({ current: null }))
      if (current?.state === "running") showJob(current)
    },
    shown: () => {
      if (!loaded) load()
      else chart?.refresh()
    }
  }
}
