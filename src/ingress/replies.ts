/**
 * The ingress's answers: JSON bodies that say no more than the status needs, and the raw
 * answer to a request Node's parser gave up on (malformed, headers too large, too slow),
 * written to the socket since no fastify reply exists for it.
 */
import type { ServerResponse } from "node:http"
import { STATUS_CODES } from "node:http"
import type { Socket } from "node:net"
import type { FastifyReply } from "fastify"
import { requestsTotal } from "./metrics.ts"

export const send = (reply: FastifyReply, code: number, body: Record<string, unknown>, retryAfter?: number) => {
  if (retryAfter !== undefined) reply.header("retry-after", String(retryAfter))
  return reply.code(code).send(body)
}

export const errorBody = (code: number) => ({ error: (STATUS_CODES[code] ?? "error").toLowerCase() })

/** `responses`: the latest response on each connection, so a timeout after its head went out writes no other */
export const clientErrorHandler =
  (responses: WeakMap<Socket, ServerResponse>) => (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === "ECONNRESET" || socket.destroyed) return
    // answered already (a 503 or 401 before the body came in): only close
    if (responses.get(socket)?.headersSent === true) {
      socket.destroy(error)
      return
    }
    const code = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400
    requestsTotal.inc({ webhook_id: "", code: String(code) })
    const body = JSON.stringify(errorBody(code))
    if (socket.writable)
      socket.write(
        `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`
      )
    socket.destroy(error)
  }
