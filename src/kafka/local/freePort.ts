import { connect, createServer } from "node:net"
import { Effect } from "effect"

/**
 * A loopback port nobody listens on right now, chosen by the kernel. Another process could take
 * it before the broker binds; the broker then exits with "Address already in use" in its log.
 */
export const freePort: Effect.Effect<number, Error> = Effect.callback<number, Error>((resume) => {
  const server = createServer()
  server.once("error", (cause) => resume(Effect.fail(cause)))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(port > 0 ? Effect.succeed(port) : Effect.fail(new Error("no port assigned"))))
  })
})

/** True when something accepts TCP connections on host:port within `timeoutMs`. */
export const isPortOpen = (host: string, port: number, timeoutMs = 1000): Promise<boolean> =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port })
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })
