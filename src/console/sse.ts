/**
 * Server-sent events to one viewer. Frames are written as they come and never queued
 * beyond the socket's own buffer: when a viewer reads slower than frames arrive (a
 * throttled tab, a slow link) the frames it cannot take are dropped, so it costs the
 * pipeline nothing and catches up on the next one.
 */
import type { ServerResponse } from "node:http"
import type { Observable } from "rxjs"

/** bytes waiting in the socket's buffer beyond which frames are dropped for this viewer */
export const MAX_BUFFERED_BYTES = 256 * 1024
const KEEP_ALIVE_MS = 15_000

export interface SseStats {
  sent: number
  dropped: number
}

/** `events` are already serialized (JSON), once for every viewer rather than once per viewer. */
export const streamEvents = (
  response: ServerResponse,
  events: Observable<string>,
  stats: SseStats = { sent: 0, dropped: 0 }
): SseStats => {
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-accel-buffering": "no"
  })
  response.write(": connected\n\n")
  const subscription = events.subscribe((event) => {
    if (response.writableLength > MAX_BUFFERED_BYTES || response.destroyed) {
      stats.dropped++
      return
    }
    response.write(`data: ${event}\n\n`)
    stats.sent++
  })
  const keepAlive = setInterval(() => {
    if (response.writableLength <= MAX_BUFFERED_BYTES) response.write(": keep-alive\n\n")
  }, KEEP_ALIVE_MS)
  keepAlive.unref()
  response.on("close", () => {
    clearInterval(keepAlive)
    subscription.unsubscribe()
  })
  return stats
}
