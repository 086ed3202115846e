// Talking to the console API: JSON calls with the token when there is one, and the live
// feed read as server-sent events over fetch (EventSource cannot send an Authorization header).

const TOKEN_KEY = "hookstream-console-token"
let unauthorized = () => undefined

export const onUnauthorized = (f) => {
  unauthorized = f
}

const headers = (extra = {}) => {
  const token = sessionStorage.getItem(TOKEN_KEY)
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra
}

export class ApiError extends Error {}

export const api = async (path, body) => {
  const response = await fetch(`api/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: headers(body === undefined ? {} : { "content-type": "application/json" }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  if (response.status === 401) {
    unauthorized()
    throw new ApiError("token required")
  }
  const data = await response.json().catch(() => ({}))
  if (!response.ok) throw new ApiError(data.error ?? `HTTP ${response.status}`)
  return data
}

/** Reads frames until the page closes, reconnecting after a drop. */
export const openLive = async (onFrame, setConnection, mode) => {
  for (;;) {
    try {
      const response = await fetch("api/live", { headers: headers() })
      if (response.status === 401) return unauthorized()
      setConnection("live", mode === "standalone" ? "live · from the results topic" : "live")
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ""
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value
        let end = buffer.indexOf("\n\n")
        while (end >= 0) {
          const chunk = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          for (const line of chunk.split("\n")) if (line.startsWith("data: ")) onFrame(JSON.parse(line.slice(6)))
          end = buffer.indexOf("\n\n")
        }
      }
    } catch {
      // the server went away; retry below
    }
    setConnection("down", "disconnected, retrying…")
    await new Promise((r) => setTimeout(r, 2000))
  }
}

export const escapeHtml = (text) =>
  String(text ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]
  )

export const fmtMs = (ms) =>
  ms === null || ms === undefined
    ? "–"
    : ms === 0
      ? "0 ms"
      : ms < 1
        ? "<1 ms"
        : ms < 1000
          ? `${Math.round(ms)} ms`
          : ms < 60000
            ? `${+(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`
            : `${(ms / 60000).toFixed(1)} min`

export const fmtNum = (n) =>
  n === null || n === undefined
    ? "–"
    : n >= 100 || Number.isInteger(n)
      ? Math.round(n).toLocaleString("en")
      : n.toFixed(1)

export const fmtTime = (ms) => new Date(ms).toLocaleTimeString("en-GB", { hour12: false })
