/**
 * A real HTTP server on 127.0.0.1 that records every request (method, path, headers, raw body)
 * and answers per path: 200 by default, a scripted status, or never (held) until released.
 * It also records when a request's socket closes, so tests can see an aborted request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: Buffer
  /** set when the client's socket closed before we answered */
  closedEarly: boolean
}

export interface Reply {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
}

export interface RecordingServer {
  readonly port: number
  readonly url: (path: string) => string
  readonly requests: Array<RecordedRequest>
  readonly on: (path: string, reply: Reply | "hold") => void
  /** answers every held request of `path` with 200 and stops holding it */
  readonly release: (path: string) => void
  readonly close: () => Promise<void>
}

export const startRecordingServer = async (): Promise<RecordingServer> => {
  const requests: Array<RecordedRequest> = []
  const replies = new Map<string, Reply | "hold">()
  const held = new Map<string, Array<ServerResponse>>()
  const pathOf = (req: IncomingMessage) => (req.url ?? "/").split("?")[0] ?? "/"
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const path = pathOf(req)
      const record: RecordedRequest = {
        method: req.method ?? "",
        path,
        headers: req.headers,
        body: Buffer.concat(chunks),
        closedEarly: false
      }
      requests.push(record)
      res.on("close", () => {
        if (!res.writableFinished) record.closedEarly = true
      })
      const reply = replies.get(path)
      if (reply === "hold") {
        held.set(path, [...(held.get(path) ?? []), res])
        return
      }
      res.writeHead(reply?.status ?? 200, { ...reply?.headers })
      res.end("ok")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    on: (path, reply) => {
      replies.set(path, reply)
    },
    release: (path) => {
      replies.delete(path)
      for (const res of held.get(path) ?? []) if (!res.destroyed) res.writeHead(200).end("late")
      held.delete(path)
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
