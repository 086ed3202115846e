/**
 * The local HTTP receiver the example streams call (`http://127.0.0.1:8089/hooks/…`), so
 * `npm start` shows an http destination working without any outside service. It answers
 * 204 and remembers the last requests (GET /requests lists them, newest first).
 */
import { createServer, type Server } from "node:http"
import { Effect, type Scope } from "effect"

export const ECHO_PORT = 8089

interface Seen {
  readonly at: string
  readonly method: string
  readonly path: string
  readonly idempotencyKey: string | undefined
  readonly bytes: number
}

export const echoReceiver = (port: number = ECHO_PORT): Effect.Effect<Server, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<Server, Error>((resume) => {
      const seen: Array<Seen> = []
      const server = createServer((req, res) => {
        if (req.method === "GET" && req.url === "/requests") {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(JSON.stringify(seen, null, 2))
          return
        }
        let bytes = 0
        req.on("data", (chunk: Buffer) => {
          bytes += chunk.length
        })
        req.on("end", () => {
          const key = req.headers["idempotency-key"]
          seen.unshift({
            at: new Date().toISOString(),
            method: req.method ?? "?",
            path: req.url ?? "/",
            idempotencyKey: Array.isArray(key) ? key[0] : key,
            bytes
          })
          seen.length = Math.min(seen.length, 100)
          res.writeHead(204)
          res.end()
        })
      })
      server.once("error", (e) => resume(Effect.fail(e)))
      server.listen(port, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )
