/**
 * A slow-body flood against one stream must not starve another, and must not hold its slots
 * for long. 1,100 connections to a GitHub-signed stream send headers that pass every check
 * that needs no body (a well-formed signature, wrong as it turns out) and 1 byte of a declared
 * 1,000-byte body, then nothing. Meanwhile a second stream keeps answering 202; after the
 * request timeout every slow sender gets 408, its connection is closed and its slot is free.
 * The same flood without a signature header is refused with 401 before it takes any slot.
 *
 * One test process holds both ends of every connection: two file descriptors each. Node
 * raises its soft open-files limit to the hard limit at startup; `ulimit -n` in a child shell
 * shows what this process got.
 */
import { execFileSync } from "node:child_process"
import { createHmac } from "node:crypto"
import { connect, type Socket } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createTopics, kafkaBrokers, testKafka, uniqueName } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { githubSignature } from "../../support/webhookSigning.ts"
import { startTestIngress, streamsFrom, type TestIngress } from "./harness.ts"

const SECRET = "fairness-test-secret"
const FLOOD = 1_100
const MAX_IN_FLIGHT = 1_024
const REQUEST_TIMEOUT_MS = 8_000

const config = streamsFrom({
  "flooded.yaml": `id: t-flooded\ningress: { auth: { hmac: { style: github, secrets: [${SECRET}] } } }\nchain: [{ module: log }]\n`,
  "other.yaml": `id: t-other\ningress: { auth: { hmac: { style: github, secrets: [${SECRET}] } } }\nchain: [{ module: log }]\n`
})
const topic = uniqueName("ingress-fairness")
const kafka = testKafka("ingress-fairness-test")
let ingress: TestIngress
const sockets: Array<Socket> = []

beforeAll(async () => {
  const limit = execFileSync("sh", ["-c", "ulimit -n"]).toString().trim()
  if (limit !== "unlimited" && Number(limit) < 2 * FLOOD + 500)
    throw new Error(`open-files limit ${limit}: raise the hard limit (ulimit -Hn) to at least ${2 * FLOOD + 500}`)
  await createTopics(kafka, [{ topic }])
  ingress = await startTestIngress(config, {
    brokers: kafkaBrokers(),
    topic,
    maxInFlight: MAX_IN_FLIGHT,
    requestTimeoutMs: REQUEST_TIMEOUT_MS
  })
  await ingress.ready()
})

afterAll(async () => {
  for (const s of sockets) s.destroy()
  await ingress?.close()
})

interface SlowSender {
  readonly socket: Socket
  /** everything the server wrote back */
  received: string
  closed: boolean
}

/** Opens a connection, sends the head and the first byte of a 1,000-byte body, then stalls. */
const slowSender = (port: number, headers: Record<string, string>): Promise<SlowSender> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1")
    sockets.push(socket)
    const sender: SlowSender = { socket, received: "", closed: false }
    socket.setEncoding("latin1")
    socket.on("data", (d: string) => {
      sender.received += d
    })
    socket.on("close", () => {
      sender.closed = true
    })
    socket.on("error", () => undefined)
    socket.once("connect", () => {
      const head = Object.entries({ ...headers, "content-type": "application/json", "content-length": "1000" })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("")
      socket.write(`POST /webhooks/t-flooded HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n{`)
      resolve(sender)
    })
    socket.once("error", reject)
  })

const flood = async (headers: Record<string, string>) => {
  const port = Number(new URL(ingress.url).port)
  const senders: Array<SlowSender> = []
  // in batches, so the listen backlog never overflows into SYN retries
  for (let i = 0; i < FLOOD; i += 100) {
    senders.push(
      ...(await Promise.all(Array.from({ length: Math.min(100, FLOOD - i) }, () => slowSender(port, headers))))
    )
  }
  return senders
}

const signed = async (webhookId: string) => {
  const body = JSON.stringify({ n: Math.random() })
  const started = performance.now()
  const response = await ingress.post(webhookId, {
    headers: { "content-type": "application/json", "x-hub-signature-256": githubSignature(SECRET, body) },
    body
  })
  await response.text()
  return { status: response.status, ms: performance.now() - started }
}

const statusOf = (s: SlowSender) => /^HTTP\/1\.1 (\d{3})/.exec(s.received)?.[1]

const percentile = (values: ReadonlyArray<number>, p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))] ?? 0

describe("a slow-body flood on one stream", () => {
  it("leaves another stream answering 202 while it holds its share; the slow senders get 408 and their slots back", async () => {
    const before: Array<number> = []
    for (let i = 0; i < 30; i++) {
      const answer = await signed("t-other")
      expect(answer.status).toBe(202)
      before.push(answer.ms)
    }

    // a well-formed signature passes the header checks: only the body could refute it
    const wrong = `sha256=${createHmac("sha256", "not-the-secret").update("x").digest("hex")}`
    const senders = await flood({ "x-hub-signature-256": wrong })
    await waitFor(() => senders.filter((s) => statusOf(s) === "503").length + ingress.inFlight() >= FLOOD, {
      timeoutMs: 20_000,
      description: () => `every slow sender holding a slot or refused (in flight ${ingress.inFlight()})`
    })
    const held = ingress.inFlight()
    const during: Array<number> = []
    for (let i = 0; i < 30; i++) {
      const answer = await signed("t-other")
      expect(answer.status).toBe(202)
      during.push(answer.ms)
    }
    // the flood holds all it may (its reserve and the shared half), never another stream's reserve
    expect(held).toBeGreaterThan(MAX_IN_FLIGHT / 2)
    expect(held).toBeLessThan(MAX_IN_FLIGHT)
    expect(senders.filter((s) => statusOf(s) === "503").length).toBe(FLOOD - held)
    // answered while the flood still held its slots, not after it timed out
    expect(ingress.inFlight()).toBe(held)
    process.stderr.write(
      `ingress fairness: ${FLOOD} slow senders, ${held} holding slots (cap ${MAX_IN_FLIGHT}); other stream p50/max ${percentile(before, 50).toFixed(1)}/${Math.max(...before).toFixed(1)} ms before, ${percentile(during, 50).toFixed(1)}/${Math.max(...during).toFixed(1)} ms during\n`
    )

    const floodStarted = performance.now()
    await waitFor(() => ingress.inFlight() === 0, {
      timeoutMs: REQUEST_TIMEOUT_MS + 10_000,
      description: () => `the slow senders' slots to come back (in flight ${ingress.inFlight()})`
    })
    await waitFor(() => senders.every((s) => s.closed), {
      timeoutMs: 10_000,
      description: () => `every slow connection closed (${senders.filter((s) => !s.closed).length} open)`
    })
    const timedOut = senders.filter((s) => statusOf(s) === "408").length
    expect(timedOut).toBe(held)
    process.stderr.write(
      `ingress fairness: all ${held} slots back ${(performance.now() - floodStarted).toFixed(0)} ms after the flood was measured (request timeout ${REQUEST_TIMEOUT_MS} ms); ${timedOut} answered 408\n`
    )
    expect((await signed("t-flooded")).status).toBe(202)
  }, 60_000)

  it("without a signature header the flood is refused at once and takes no slot", async () => {
    const senders = await flood({})
    await waitFor(() => senders.every((s) => statusOf(s) === "401"), {
      timeoutMs: 20_000,
      description: () => `401 for all (${senders.filter((s) => statusOf(s) === "401").length} so far)`
    })
    expect(ingress.inFlight()).toBe(0)
    expect((await signed("t-other")).status).toBe(202)
    for (const s of senders) s.socket.destroy()
  }, 60_000)
})
