/**
 * The slow sink of the `slow_sink_*` scenarios: a node:http server on 127.0.0.1 in the
 * harness process that reads each request's body and answers 200 after `delayMs`.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

export interface SlowSink {
  readonly url: string
  readonly requests: () => number
  /** most requests waiting at once */
  readonly peakConcurrent: () => number
  readonly close: () => Promise<void>
}

export const startSlowSink = (delayMs: number): Promise<SlowSink> =>
  new Promise((resolve, reject) => {
    let requests = 0
    let concurrent = 0
    let peak = 0
    const server = createServer((req, res) => {
      requests++
      concurrent++
      if (concurrent > peak) peak = concurrent
      req.resume()
      req.on("end", () =>
        setTimeout(() => {
          concurrent--
          res.writeHead(200, { "content-length": "0" }).end()
        }, delayMs)
      )
    })
    server.keepAliveTimeout = 30_000
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}/hook`,
        requests: () => requests,
        peakConcurrent: () => peak,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
