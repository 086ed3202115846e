/**
 * A TCP relay in front of a real server, for the network faults a test needs without
 * touching the server: `hold()` stops relaying the server's bytes to clients (requests still
 * reach the server, its acks never come back) until `release()`; `cut()` destroys every
 * relayed connection, as a broker restart or a dropped link would; `refuse()` cuts and stops
 * listening (new connections are refused, as by a server that is down) until `accept()`
 * listens again on the same port.
 */

import type { AddressInfo } from "node:net"
import { createServer, type Socket, connect as tcpConnect } from "node:net"

export interface TcpProxy {
  readonly port: number
  /** relayed connections open now */
  readonly connections: () => number
  readonly hold: () => void
  readonly release: () => void
  readonly cut: () => void
  readonly refuse: () => Promise<void>
  readonly accept: () => Promise<void>
  readonly close: () => Promise<void>
}

export const startTcpProxy = async (target: { readonly host: string; readonly port: number }): Promise<TcpProxy> => {
  const pairs = new Set<{ readonly client: Socket; readonly upstream: Socket }>()
  let held = false
  const server = createServer((client) => {
    const upstream = tcpConnect({ host: target.host, port: target.port })
    const pair = { client, upstream }
    pairs.add(pair)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on("error", end).on("close", end)
    upstream.on("error", end).on("close", end)
    client.pipe(upstream)
    upstream.pipe(client)
    if (held) upstream.pause()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  const cut = () => {
    for (const { client, upstream } of pairs) {
      client.destroy()
      upstream.destroy()
    }
    pairs.clear()
  }
  return {
    port,
    connections: () => pairs.size,
    hold: () => {
      held = true
      for (const { upstream } of pairs) {
        upstream.unpipe()
        upstream.pause()
      }
    },
    release: () => {
      held = false
      for (const { client, upstream } of pairs) {
        upstream.pipe(client)
        upstream.resume()
      }
    },
    cut,
    refuse: async () => {
      if (!server.listening) return
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      cut()
      await closed
    },
    accept: async () => {
      if (server.listening) return
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject)
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject)
          resolve()
        })
      })
    },
    close: async () => {
      cut()
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
