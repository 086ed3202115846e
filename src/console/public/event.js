// Event search: the box in the header looks an event id up on the input, results and DLQ
// topics (the API runs the same lookup as `hookstream event`) and shows its trail, newest
// first, in the drawer: arrivals and replays, results, dead letters (each opens in full).
import { api, escapeHtml } from "./api.js"
import { openRecord } from "./dlq.js"

const byId = (id) => document.getElementById(id)

const WHAT = { input: "arrived", result: "result", dead_letter: "dead letter" }

const headline = (r) => {
  if (r.kind === "result") return `<span class="pill s-${escapeHtml(r.status)}">${escapeHtml(r.status)}</span>`
  if (r.kind === "dead_letter") return `<span class="pill s-failed">${escapeHtml(r.reason ?? "dead letter")}</span>`
  return r.replay_count > 0
    ? `<span class="pill s-partial">replay ${r.replay_count}</span>`
    : `<span class="pill s-closed">sent</span>`
}

const detail = (r) => {
  if (r.kind === "result")
    return r.record.modules
      .map((m) => `<span class="badge pill s-${escapeHtml(m.status)}">${escapeHtml(m.id)}</span>`)
      .join(" ")
  if (r.kind === "dead_letter")
    return `<span class="muted">${escapeHtml(r.error ?? "")}</span>
      <a href="#" data-open="${escapeHtml(r.coordinate)}">open the dead letter</a>`
  return `<span class="muted">${r.replay_of ? `replay of ${escapeHtml(r.replay_of)} · ` : ""}key ${escapeHtml(r.key ?? "none")}</span>`
}

const item = (r) => `<div class="trail-item" data-kind="${r.kind}">
  <div class="trail-head"><b>${WHAT[r.kind]}</b> ${headline(r)}
    <span class="mono muted">${escapeHtml(r.coordinate)}</span>
    <span class="muted">${new Date(r.at).toLocaleString("en-GB")}</span></div>
  <div>${detail(r)}</div>
  <details><summary class="muted">JSON</summary><pre class="json">${escapeHtml(
    JSON.stringify(r.kind === "input" ? r.event : r.kind === "result" ? r.record : r.dead_letter, null, 2)
  )}</pre></details>
</div>`

const show = async (id) => {
  const body = byId("drawer-body")
  byId("drawer").hidden = false
  byId("drawer-title").textContent = `Event ${id}`
  body.innerHTML = `<div class="muted">searching the input, results and DLQ topics…</div>`
  let trail
  try {
    trail = await api(`event?id=${encodeURIComponent(id)}`)
  } catch (e) {
    body.innerHTML = `<div class="error">${escapeHtml(e.message)}</div>`
    return
  }
  const scanned = trail.scanned_from ? `since ${new Date(trail.scanned_from).toLocaleString("en-GB")}` : "whole topics"
  body.innerHTML = trail.found
    ? `<div class="muted" id="event-summary">${trail.records.length} record(s), newest first (${scanned})</div>
       ${trail.records.map(item).join("")}`
    : `<div class="empty" id="event-summary">no record of this id on the input, results or DLQ topics (${scanned})</div>`
}

export const eventSearch = () => ({
  init: () => {
    byId("event-search").addEventListener("submit", (e) => {
      e.preventDefault()
      const id = byId("event-id").value.trim()
      if (id !== "") show(id)
    })
    byId("drawer-body").addEventListener("click", (e) => {
      const link = e.target.closest("a[data-open]")
      if (!link) return
      e.preventDefault()
      openRecord(link.dataset.open)
    })
  }
})
