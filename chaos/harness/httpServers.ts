/**
 * Test servers on 127.0.0.1 that the scenarios point hookstream's http steps at, recording
 * what they saw with this process's monotonic clock (performance.now()):
 *
 * - a silent server: accepts TCP connections, reads whatever comes, never answers a byte
 *   (a hung sink); it records each connection's open and close.
 * - a scripted HTTP server: per path, answer at once with a status, after a delay, only when
 *   a condition holds, or never; every request records its arrival, its answer and whether
 *   (and when) the client went away before the answer.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http"
import { type AddressInfo, createServer, type Socket } from "node:net"

export interface SilentServer {
  readonly port: number
  readonly accepted: () => number
  readonly open: () => number
  /** connection lifetimes in ms (closed ones) */
  readonly lifetimes: () => ReadonlyArray<number>
  readonly close: () => Promise<void>
}

export const startSilentServer = async (): Promise<SilentServer> => {
  const sockets = new Set<Socket>()
  const lifetimes: Array<number> = []
  let accepted = 0
  const server = createServer((socket) => {
    accepted++
    const opened = performance.now()
    sockets.add(socket)
    socket.on("data", () => undefined)
    socket.on("error", () => undefined)
    socket.on("close", () => {
      sockets.delete(socket)
      lifetimes.push(performance.now() - opened)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    open: () => sockets.size,
    lifetimes: () => lifetimes,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

export interface SeenRequest {
  /** path and query */
  readonly url: string
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
  readonly arrivedAt: number
  answeredAt: number | undefined
  /** the client closed the connection before the answer */
  closedEarlyAt: number | undefined
}

export type Behaviour =
  | { readonly type: "status"; readonly status: number; readonly delayMs?: number; readonly body?: string }
  | { readonly type: "hang" }
  /** answer `status` once `when(request)` holds (polled every ms), or after `maxWaitMs` */
  | {
      readonly type: "when"
      readonly status: number
      readonly when: (request: SeenRequest) => boolean
      readonly maxWaitMs: number
    }
  /** answer whatever `reply` says, with the request at hand (echo servers) */
  | {
      readonly type: "reply"
      readonly reply: (request: SeenRequest) => {
        readonly status: number
        readonly headers?: Record<string, string>
        readonly body: string
      }
    }

export interface ScriptedServer {
  readonly port: number
  readonly url: (path: string) => string
  readonly requests: Array<SeenRequest>
  readonly on: (path: string, behaviour: Behaviour) => void
  /** sockets open now (kept alive or waiting) */
  readonly openSockets: () => number
  readonly close: () => Promise<void>
}

export const startScriptedServer = async (): Promise<ScriptedServer> => {
  const requests: Array<SeenRequest> = []
  const behaviours = new Map<string, Behaviour>()
  const sockets = new Set<Socket>()
  const answer = (res: ServerResponse, seen: SeenRequest, status: number, body = "", headers = {}) => {
    if (res.destroyed || seen.closedEarlyAt !== undefined) return
    seen.answeredAt = performance.now()
    res.writeHead(status, { "content-type": "text/plain", ...headers })
    res.end(body)
  }
  const server = createHttpServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0] ?? "/"
      const seen: SeenRequest = {
        url: req.url ?? "/",
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        arrivedAt: performance.now(),
        answeredAt: undefined,
        closedEarlyAt: undefined
      }
      requests.push(seen)
      res.on("close", () => {
        if (!res.writableFinished) seen.closedEarlyAt = performance.now()
      })
      const behaviour = behaviours.get(path) ?? { type: "status", status: 200 }
      switch (behaviour.type) {
        case "status":
          if (behaviour.delayMs === undefined || behaviour.delayMs <= 0)
            answer(res, seen, behaviour.status, behaviour.body)
          else setTimeout(() => answer(res, seen, behaviour.status, behaviour.body), behaviour.delayMs)
          return
        case "hang":
          return
        case "when": {
          const until = seen.arrivedAt + behaviour.maxWaitMs
          const poll = () => {
            if (behaviour.when(seen) || performance.now() >= until) answer(res, seen, behaviour.status)
            else setTimeout(poll, 1)
          }
          poll()
          return
        }
        case "reply": {
          const r = behaviour.reply(seen)
          answer(res, seen, r.status, r.body, r.headers)
          return
        }
      }
    })
  })
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    on: (path, behaviour) => {
      behaviours.set(path, behaviour)
    },
    openSockets: () => sockets.size,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/**
 * The event id of a request hookstream's http step sent: its idempotency key is
 * `<webhook_id>:<event_id>:<step id>`, and only the event id can hold a `:`.
 */
export const eventIdOf = (request: SeenRequest): string => {
  const key = String(request.headers["idempotency-key"] ?? "")
  const first = key.indexOf(":")
  const last = key.lastIndexOf(":")
  return first < 0 || first === last ? key : key.slice(first + 1, last)
}
