// The console page: views switched by the URL hash, one live connection shared by them,
// and the token (when the server asks for one) kept for this tab only.
import { api, onUnauthorized, openLive } from "./api.js"
import { dlqView } from "./dlq.js"
import { eventSearch } from "./event.js"
import { liveView } from "./live.js"
import { streamsView } from "./streams.js"

const views = { live: liveView(), streams: streamsView(), dlq: dlqView() }
const frameListeners = [views.live.onFrame, views.streams.onFrame]
const search = eventSearch()

const show = (name) => {
  const view = views[name] ? name : "live"
  for (const key of Object.keys(views)) document.getElementById(`view-${key}`).hidden = key !== view
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === view)
  views[view].shown?.()
}

const setConnection = (state, text) => {
  document.getElementById("conn").className = `dot ${state}`
  document.getElementById("conn-text").textContent = text
}

const start = async () => {
  const info = await api("info")
  document.getElementById("token-gate").hidden = true
  document.querySelector("main").hidden = false
  setConnection("", info.mode === "standalone" ? "standalone · tailing topics" : "connecting…")
  await views.streams.load()
  await views.dlq.init()
  search.init()
  show(location.hash.slice(1))
  openLive(
    (frame) => {
      for (const listener of frameListeners) listener(frame)
    },
    setConnection,
    info.mode
  )
}

onUnauthorized(() => {
  document.querySelector("main").hidden = true
  document.getElementById("token-gate").hidden = false
  document.getElementById("token-input").focus()
})

document.getElementById("token-form").addEventListener("submit", (e) => {
  e.preventDefault()
  sessionStorage.setItem("hookstream-console-token", document.getElementById("token-input").value)
  start().catch(() => undefined)
})

window.addEventListener("hashchange", () => show(location.hash.slice(1)))
start().catch(() => undefined)
