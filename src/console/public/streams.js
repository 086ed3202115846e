// Streams: each chain drawn as steps in a row (sequential) or one bracketed group
// (parallel), with deadlines, timeouts, retry and breaker settings, and per step the success
// rate and mean latency since the process started (skipped steps apart) and the circuit state.
import { api, escapeHtml, fmtMs, fmtNum } from "./api.js"

const retryText = (r) =>
  r.maxAttempts <= 1
    ? "no retry"
    : `${r.maxAttempts} attempts · backoff ${fmtMs(r.initialDelayMs)}→${fmtMs(r.maxDelayMs)} ×${r.multiplier}${r.jitter ? " jitter" : ""}`

// the config's reload status: which version runs, and the last reload that did not take effect
const configStatus = (config) => {
  if (!config) return ""
  const rejected = config.last_rejected
  const line = `<div class="muted config-line">config <b class="mono" id="config-version">${escapeHtml(config.version)}</b> · applied ${escapeHtml(new Date(config.applied_at).toLocaleString())}${config.generation > 1 ? ` · ${config.generation - 1} reload${config.generation === 2 ? "" : "s"} since start` : ""}</div>`
  // a rejection older than the config in use was followed by a good reload: no longer news
  if (!rejected || Date.parse(rejected.at) < Date.parse(config.applied_at)) return line
  return `${line}<div class="error config-rejected" id="config-rejected">last reload rejected at ${escapeHtml(new Date(rejected.at).toLocaleString())} (${escapeHtml(rejected.why)}); the config above keeps running:
    <ul>${rejected.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join("")}</ul></div>`
}

/** how often the streams view asks again (a reload changes the streams and the status) */
const REFRESH_MS = 5_000

export const streamsView = () => {
  let streams = []
  let config = null
  let modules = {}
  let circuits = []

  const stepLive = (stream, step) => {
    const s = modules[`${stream.webhookId}/${step.id}`]
    const circuit = circuits.find((c) => c.connection === step.circuit.label && c.module === step.module)
    const state = circuit?.state ?? "closed"
    // totals since the process started; skipped steps (never started) are not runs
    const rate = s && s.runs > 0 ? s.succeeded / s.runs : null
    const runs = s && s.runs > 0 ? `${fmtMs(s.meanMs)} · ${fmtNum(s.runs)} run${s.runs === 1 ? "" : "s"}` : ""
    const skipped = s && s.skipped > 0 ? `${fmtNum(s.skipped)} skipped` : ""
    return {
      state,
      html: `<div class="step-live">
        <span class="pill s-${state}" title="circuit breaker">${state === "closed" ? "circuit closed" : `circuit ${state.replace("_", "-")}`}</span>
        <div class="bar${rate === null ? " none" : ""}" title="success rate of the runs since the process started"><span style="width:${rate === null ? 0 : Math.round(rate * 100)}%"></span></div>
        <span class="rate">${rate === null ? "no runs" : `${(rate * 100).toFixed(rate === 1 ? 0 : 1)}% ok`}</span>
        <span class="muted runs">${runs}</span>
        <span class="muted skipped" title="not started: an earlier step failed">${skipped}</span>
      </div>`
    }
  }

  const stepCard = (stream, step) => {
    const live = stepLive(stream, step)
    return `<div class="step${live.state === "open" ? " open" : ""}" data-step="${escapeHtml(step.id)}">
      <div class="step-head"><span class="step-id">${escapeHtml(step.id)}</span>
        <span class="step-type">${escapeHtml(step.module)}${step.connection ? ` · ${escapeHtml(step.connection)}` : ""}</span></div>
      <div class="step-props">timeout ${fmtMs(step.timeoutMs)} per attempt · ${retryText(step.retry)}<br/>
        breaker opens after ${step.circuit.failureThreshold} failures, ${fmtMs(step.circuit.cooldownMs)} cooldown · ≤ ${step.circuit.maxInFlight} in flight</div>
      ${live.html}
    </div>`
  }

  const render = () => {
    document.getElementById("config-status").innerHTML = configStatus(config)
    const el = document.getElementById("streams")
    if (streams.length === 0) {
      el.innerHTML = `<div class="card empty">no streams loaded</div>`
      return
    }
    el.innerHTML = streams
      .map((s) => {
        const steps = s.steps.map((step) => stepCard(s, step))
        const body =
          s.execution === "parallel"
            ? `<div class="parallel"><span class="plabel">parallel · ≤ ${s.maxParallel} at once</span>${steps.join("")}</div>`
            : steps.join(`<span class="arrow">→</span>`)
        return `<div class="card stream" data-stream="${escapeHtml(s.webhookId)}">
          <div class="stream-head"><h2>${escapeHtml(s.webhookId)}</h2>
            <span class="muted">${escapeHtml(s.description ?? "")}</span></div>
          <div class="meta">
            <span class="tag">${s.execution}</span>
            <span class="tag">deadline <b>${fmtMs(s.timeoutMs)}</b></span>
            <span class="tag">${s.continueOnError ? "continues on error" : "stops at first failure"}</span>
            <span class="tag">max payload <b>${fmtNum(s.maxPayloadBytes / 1024)} KiB</b></span>
            <span class="tag mono">${escapeHtml(s.file)}</span>
          </div>
          <div class="flow"><span class="node-io">event</span><span class="arrow">→</span>${body}<span class="arrow">→</span><span class="node-io">result · DLQ</span></div>
        </div>`
      })
      .join("")
  }

  const load = async () => {
    const answer = await api("streams")
    streams = answer.streams
    config = answer.config ?? null
    render()
  }
  setInterval(() => {
    if (!document.getElementById("view-streams").hidden) load().catch(() => undefined)
  }, REFRESH_MS)

  return {
    load,
    onFrame: (frame) => {
      modules = frame.modules
      circuits = frame.gauges.circuits
      if (!document.getElementById("view-streams").hidden) render()
    },
    shown: render,
    list: () => streams
  }
}
