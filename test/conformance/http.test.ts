/**
 * http against a real node:http server on 127.0.0.1 (opened with `allowed_hosts`), recording
 * every request. `effects` counts the requests that carried an event's idempotency key: the
 * wire does not dedupe (the receiver can, by `Idempotency-Key`), so a redelivery is a second
 * request. `hold` makes the server stop answering a path.
 */
import { createHmac } from "node:crypto"
import type { LookupAddress } from "node:dns"
import { createServer as createTlsServer } from "node:https"
import type { AddressInfo } from "node:net"
import { Cause, Effect, Exit, Fiber, Schema, Scope } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import type { DestinationError } from "../../src/domain/DestinationError.ts"
import { freePort } from "../../src/kafka/local/freePort.ts"
import type { Delivery, Destination } from "../../src/modules/Destination.ts"
import type { HttpConfig, HttpConnection } from "../../src/modules/http/HttpConfig.ts"
import type { Resolver } from "../../src/modules/http/ssrfGuard.ts"
import { makeHttpDestination } from "../../src/modules/http.ts"
import { loadDestination } from "../../src/modules/registry.ts"
import { selfSignedCert, selfSignedKey } from "../support/fixtures/selfSignedTls.ts"
import { startRecordingServer } from "../support/recordingServer.ts"
import { waitFor } from "../support/waitFor.ts"
import { conformance, delivery } from "./conformance.ts"

const httpDestination = await loadDestination("http")

const server = await startRecordingServer()
const closedPort = await Effect.runPromise(freePort)
afterAll(() => server.close())

let seq = 0
const uniquePath = () => `/hooks/${process.pid}-${Date.now().toString(36)}-${++seq}`
const pathOf = (config: HttpConfig) => new URL(config.url).pathname

const requestsFor = (eventId: string) =>
  server.requests.filter((r) => String(r.headers["idempotency-key"] ?? "").startsWith(`conformance:${eventId}:`))

conformance<HttpConfig, HttpConnection>({
  name: "http",
  spec: httpDestination,
  connection: { type: "http", headers: { authorization: "Bearer conformance" } },
  config: () => ({ url: server.url(uniquePath()), allowed_hosts: ["127.0.0.1"] }),
  unreachableConfig: () => ({ url: `http://127.0.0.1:${closedPort}/nothing`, allowed_hosts: ["127.0.0.1"] }),
  badConfig: { config: { url: "ftp://example.com/x" }, path: "url" },
  dedupes: false,
  effects: async (_config, _connection, eventId) => requestsFor(eventId).length,
  hold: async (config) => {
    server.on(pathOf(config), "hold")
    return { release: async () => server.release(pathOf(config)) }
  }
})

const decodeConfig = (raw: unknown): HttpConfig => Schema.decodeUnknownSync(httpDestination.config)(raw)
const decodeConnection = (raw: unknown): HttpConnection =>
  Schema.decodeUnknownSync(httpDestination.connection?.schema as Schema.Decoder<HttpConnection>)(raw)

/** Runs `use` with a destination built on a scope that is closed afterwards. */
const withHttp = async <A>(
  connection: HttpConnection | undefined,
  use: (destination: Destination<HttpConfig>) => Promise<A>,
  resolve?: Resolver
): Promise<A> => {
  const scope = Effect.runSync(Scope.make())
  try {
    const destination = await Effect.runPromise(
      makeHttpDestination(connection, resolve === undefined ? {} : { resolve }).pipe(Scope.provide(scope))
    )
    return await use(destination)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const sendOnce = async (
  rawConfig: unknown,
  overrides: Partial<Delivery<HttpConfig>> = {},
  connection?: HttpConnection,
  resolve?: Resolver
) => {
  const d = delivery(decodeConfig(rawConfig), overrides)
  const exit = await withHttp(connection, (destination) => Effect.runPromiseExit(destination.send(d)), resolve)
  return { d, exit, seen: requestsFor(d.eventId) }
}

const errorOf = (exit: Exit.Exit<unknown, DestinationError>): DestinationError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag === "None") throw new Error(Cause.pretty(exit.cause))
  return error.value
}

const local = (path: string, extra: Record<string, unknown> = {}) => ({
  url: server.url(path),
  allowed_hosts: ["127.0.0.1"],
  ...extra
})

describe("http destination: the request", () => {
  it("method, JSON body, merged headers, idempotency and trace headers, forwarded headers", async () => {
    const connection = decodeConnection({ type: "http", headers: { Authorization: "Bearer conn", "X-Team": "conn" } })
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    const { d, exit, seen } = await sendOnce(
      local(uniquePath(), { method: "PUT", headers: { "X-Team": "step" }, forward_headers: ["x-request-id", "host"] }),
      { traceparent, headers: { "x-request-id": "r-9", "x-other": "no", host: "evil", "idempotency-key": "forged" } },
      connection
    )
    expect(Exit.isSuccess(exit) && exit.value).toEqual({ detail: "HTTP 200" })
    expect(seen).toHaveLength(1)
    const [request] = seen
    expect(request?.method).toBe("PUT")
    expect(JSON.parse(request?.body.toString() ?? "")).toEqual(d.payload)
    expect(request?.headers).toMatchObject({
      "content-type": "application/json",
      authorization: "Bearer conn",
      "x-team": "step",
      "idempotency-key": d.idempotencyKey,
      "webhook-id": d.idempotencyKey,
      traceparent,
      "x-request-id": "r-9",
      host: `127.0.0.1:${server.port}`
    })
    expect(request?.headers).not.toHaveProperty("x-other")
    expect(request?.headers).not.toHaveProperty("webhook-signature")
  })

  it("signs with the connection's secret as Standard Webhooks receivers verify it", async () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    const connection = decodeConnection({ type: "http", signing_secret: secret })
    const { d, exit, seen } = await sendOnce(local(uniquePath()), {}, connection)
    expect(Exit.isSuccess(exit)).toBe(true)
    const headers = seen[0]?.headers ?? {}
    const timestamp = Number(headers["webhook-timestamp"])
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60)
    // what a receiver does: HMAC over "<webhook-id>.<webhook-timestamp>.<raw body>"
    const expected = createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
      .update(`${headers["webhook-id"]}.${timestamp}.${seen[0]?.body.toString()}`)
      .digest("base64")
    expect(headers["webhook-signature"]).toBe(`v1,${expected}`)
    expect(headers["webhook-id"]).toBe(d.idempotencyKey)
  })

  it("a signing secret that is not base64 fails make as misconfigured", async () => {
    const connection = decodeConnection({ type: "http", signing_secret: "whsec_???" })
    const exit = await Effect.runPromiseExit(Effect.scoped(makeHttpDestination(connection)))
    expect(errorOf(exit as Exit.Exit<unknown, DestinationError>).reason).toBe("misconfigured")
  })

  it("a base64 event goes as its raw bytes, octet-stream unless the step says otherwise", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255])
    const raw = { payload: bytes.toString("base64"), payloadEncoding: "base64" as const }
    const plain = await sendOnce(local(uniquePath()), raw)
    expect(plain.seen[0]?.body.equals(bytes)).toBe(true)
    expect(plain.seen[0]?.headers["content-type"]).toBe("application/octet-stream")
    const typed = await sendOnce(local(uniquePath(), { headers: { "Content-Type": "image/png" } }), raw)
    expect(typed.seen[0]?.headers["content-type"]).toBe("image/png")
  })
})

describe("http destination: statuses", () => {
  it.each([
    [500, "unavailable", true],
    [503, "unavailable", true],
    [408, "unavailable", true],
    [429, "throttled", true],
    [404, "rejected", false],
    [422, "rejected", false],
    [401, "unauthorized", false],
    [403, "unauthorized", false]
  ])("HTTP %i → %s, retryable %s", async (status, reason, retryable) => {
    const path = uniquePath()
    server.on(path, { status })
    const error = errorOf((await sendOnce(local(path))).exit)
    expect([error.reason, error.retryable]).toEqual([reason, retryable])
    expect(error.message).toContain(`HTTP ${status}`)
    expect(error.message).not.toContain(path)
  })

  it("Retry-After on 429 (seconds) and 503 (HTTP date) sets retryAfterMs", async () => {
    const throttled = uniquePath()
    server.on(throttled, { status: 429, headers: { "retry-after": "3" } })
    expect(errorOf((await sendOnce(local(throttled))).exit).retryAfterMs).toBe(3000)
    const busy = uniquePath()
    server.on(busy, { status: 503, headers: { "retry-after": new Date(Date.now() + 20_000).toUTCString() } })
    const ms = errorOf((await sendOnce(local(busy))).exit).retryAfterMs ?? 0
    expect(ms).toBeGreaterThan(15_000)
    expect(ms).toBeLessThanOrEqual(20_000)
  })

  it("a redirect is not followed: rejected, and the Location is never requested", async () => {
    const from = uniquePath()
    const to = uniquePath()
    server.on(from, { status: 307, headers: { location: server.url(to) } })
    const { exit } = await sendOnce(local(from))
    const error = errorOf(exit)
    expect([error.reason, error.retryable]).toEqual(["rejected", false])
    expect(error.message).toContain("redirects are not followed")
    expect(server.requests.filter((r) => r.path === to)).toEqual([])
  })
})

describe("http destination: timeouts and interruption reach the socket", () => {
  it("the per-request timeout fails with timeout and closes the request", async () => {
    const path = uniquePath()
    server.on(path, "hold")
    try {
      const started = Date.now()
      const { exit, seen } = await sendOnce(local(path, { timeout: "300ms" }))
      const error = errorOf(exit)
      expect([error.reason, error.retryable]).toEqual(["timeout", true])
      expect(Date.now() - started).toBeLessThan(3000)
      await waitFor(() => seen[0]?.closedEarly === true, { description: "the server sees the socket close" })
    } finally {
      server.release(path)
    }
  })

  it("interrupting a send aborts the request: the server sees its socket close", async () => {
    const path = uniquePath()
    server.on(path, "hold")
    try {
      await withHttp(undefined, async (destination) => {
        const d = delivery(decodeConfig(local(path)))
        const fiber = Effect.runFork(destination.send(d))
        await waitFor(() => requestsFor(d.eventId).length === 1, { description: "the request reaches the server" })
        const started = Date.now()
        await Effect.runPromise(Fiber.interrupt(fiber))
        expect(Date.now() - started).toBeLessThan(1000)
        await waitFor(() => requestsFor(d.eventId)[0]?.closedEarly === true, {
          timeoutMs: 5000,
          description: "the server sees the socket close"
        })
      })
    } finally {
      server.release(path)
    }
  })
})

/** A resolver for invented names (no DNS query leaves the machine). */
const names =
  (table: Record<string, ReadonlyArray<string>>): Resolver =>
  async (hostname) => {
    const addresses = table[hostname]
    if (addresses === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" })
    return addresses.map((address): LookupAddress => ({ address, family: address.includes(":") ? 6 : 4 }))
  }

describe("http destination: SSRF guard end to end (only loopback targets)", () => {
  it.each([
    (port: number) => `http://127.0.0.1:${port}`,
    (port: number) => `http://2130706433:${port}`,
    (port: number) => `http://0177.0.0.1:${port}`,
    (port: number) => `http://0x7f.1:${port}`,
    (port: number) => `http://127.1:${port}`,
    (port: number) => `http://[::ffff:127.0.0.1]:${port}`,
    (port: number) => `http://localhost:${port}`
  ])("%# without allowed_hosts: blocked, nothing reaches the server", async (origin) => {
    const path = uniquePath()
    const { exit } = await sendOnce({ url: `${origin(server.port)}${path}` })
    const error = errorOf(exit)
    expect([error.reason, error.retryable]).toEqual(["blocked", false])
    expect(server.requests.filter((r) => r.path === path)).toEqual([])
  })

  it("an odd spelling of an allowed address is the same address", async () => {
    const path = uniquePath()
    const { exit } = await sendOnce({ url: `http://2130706433:${server.port}${path}`, allowed_hosts: ["127.0.0.1"] })
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(server.requests.filter((r) => r.path === path)).toHaveLength(1)
  })

  it("a name resolving to a loopback address is blocked unless listed; listed, the socket uses the checked address", async () => {
    const resolve = names({ "hooks.invalid": ["127.0.0.1"] })
    const blockedPath = uniquePath()
    const blocked = await sendOnce({ url: `http://hooks.invalid:${server.port}${blockedPath}` }, {}, undefined, resolve)
    const error = errorOf(blocked.exit)
    expect([error.reason, error.retryable]).toEqual(["blocked", false])
    expect(error.message).toContain("resolved from 'hooks.invalid'")
    expect(server.requests.filter((r) => r.path === blockedPath)).toEqual([])

    // no DNS server knows hooks.invalid: reaching the server proves the socket used the guard's answer
    const openPath = uniquePath()
    const open = await sendOnce(
      { url: `http://hooks.invalid:${server.port}${openPath}`, allowed_hosts: ["hooks.invalid"] },
      {},
      undefined,
      resolve
    )
    expect(Exit.isSuccess(open.exit)).toBe(true)
    const [request] = server.requests.filter((r) => r.path === openPath)
    expect(request?.headers.host).toBe(`hooks.invalid:${server.port}`)
  })

  it("a pooled socket opened under one allowlist is not reused by a step without it", async () => {
    const resolve = names({ "hooks.invalid": ["127.0.0.1"] })
    await withHttp(
      undefined,
      async (destination) => {
        const opened = delivery(
          decodeConfig({ url: `http://hooks.invalid:${server.port}/pool`, allowed_hosts: ["hooks.invalid"] })
        )
        expect(Exit.isSuccess(await Effect.runPromiseExit(destination.send(opened)))).toBe(true)
        const closed = delivery(decodeConfig({ url: `http://hooks.invalid:${server.port}/pool` }))
        expect(errorOf(await Effect.runPromiseExit(destination.send(closed))).reason).toBe("blocked")
        expect(requestsFor(closed.eventId)).toEqual([])
      },
      resolve
    )
  })

  it("an unknown name is unreachable (retryable), not blocked", async () => {
    const { exit } = await sendOnce({ url: "http://nowhere.invalid/x" }, {}, undefined, names({}))
    const error = errorOf(exit)
    expect([error.reason, error.retryable]).toEqual(["unreachable", true])
  })
})

describe("http destination: https", () => {
  it("through the guard's lookup to a certificate nobody trusts: misconfigured (TLS), not retried", async () => {
    const tls = createTlsServer({ key: selfSignedKey, cert: selfSignedCert }, (_req, res) => res.writeHead(200).end())
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve))
    try {
      const port = (tls.address() as AddressInfo).port
      const { exit } = await sendOnce(
        { url: `https://tls.invalid:${port}/hook`, allowed_hosts: ["tls.invalid"] },
        {},
        undefined,
        names({ "tls.invalid": ["127.0.0.1"] })
      )
      const error = errorOf(exit)
      expect([error.reason, error.retryable]).toEqual(["misconfigured", false])
      expect(error.message).toMatch(/TLS failed \(\w*(CERT|SELF_SIGNED)\w*\)/)
    } finally {
      tls.closeAllConnections()
      await new Promise<void>((resolve) => tls.close(() => resolve()))
    }
  })
})
