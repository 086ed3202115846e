/**
 * A broker outage, on a broker of this test's own (stopped and started again on the same
 * port and data): while it is down every request answers 503 with Retry-After after the
 * produce timeout, /readyz turns 503, and once it is back requests answer 202 again. Read
 * back afterwards with a read_committed consumer: every 202 is on the topic exactly once and
 * nothing else is, not even the records of 503s that were already sending when their timeout
 * passed (their transactions were aborted), nor those still queued (never sent).
 */
import { randomUUID } from "node:crypto"
import { type Kafka, logLevel } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeKafka } from "../../../src/kafka/kafkaClient.ts"
import { type LocalKafkaHandle, startLocalKafka } from "../../../src/kafka/local/startLocalKafka.ts"
import { producerClients } from "../../../src/kafka/producer/ProducerDriver.ts"
import { createTopics, uniqueName } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { committedOnTopic, recordsInLog, startTestIngress, streamsFrom, type TestIngress } from "./harness.ts"

const PRODUCE_TIMEOUT_MS = 1_000
const config = streamsFrom({ "outage.yaml": "id: t-outage\ningress: {}\nchain: [{ module: log }]\n" })
let broker: LocalKafkaHandle
let kafka: Kafka

beforeAll(async () => {
  // brokers: "" starts a broker of our own even when KAFKA_BROKERS names the shared one
  broker = await startLocalKafka({ brokers: "" })
  kafka = makeKafka({ clientId: "ingress-outage-test", brokers: [broker.brokers], logLevel: logLevel.NOTHING })
}, 120_000)

afterAll(async () => {
  await broker?.stop()
})

// the same outage for each producer client, one after the other on the same broker
describe.each(producerClients)("broker outage (%s producer)", (producerClient) => {
  const topic = uniqueName(`ingress-outage-${producerClient}`)
  let ingress: TestIngress
  const accepted: Array<string> = []
  const unavailable: Array<string> = []

  beforeAll(async () => {
    await createTopics(kafka, [{ topic }])
    ingress = await startTestIngress(config, {
      brokers: broker.brokers,
      topic,
      produceTimeoutMs: PRODUCE_TIMEOUT_MS,
      producerClient
    })
    await ingress.ready()
  }, 120_000)

  afterAll(async () => {
    await ingress?.close()
  })

  const post = async () => {
    const delivery = randomUUID()
    const began = performance.now()
    const response = await ingress.post("t-outage", {
      headers: { "content-type": "application/json", "x-github-delivery": delivery },
      body: JSON.stringify({ delivery })
    })
    const ms = performance.now() - began
    const body = (await response.json()) as { event_id?: string }
    // the stream is not a GitHub one: its event ids are the ingress's own (the 202 says which)
    if (response.status === 202 && body.event_id !== undefined) accepted.push(body.event_id)
    else if (response.status === 503) unavailable.push(delivery)
    return { status: response.status, retryAfter: response.headers.get("retry-after"), body, ms }
  }

  const unsettled = async (): Promise<number> => {
    const text = await (await fetch(`${ingress.opsUrl}/metrics`)).text()
    const series = 'hookstream_ingress_produce_unsettled_total{webhook_id="t-outage"}'
    const line = text.split("\n").find((l) => l.startsWith(`${series} `))
    return line === undefined ? 0 : Number(line.slice(series.length + 1))
  }

  it("503 with Retry-After while the broker is down, 202 again after it returns, and no 202 without its record", async () => {
    // the broker was just started (or restarted by the previous client's drill): its transaction
    // coordinator may still be loading, which a first request answers with 503
    await waitFor(async () => (await post()).status === 202, {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: "a first 202"
    })
    for (let i = 0; i < 3; i++) expect((await post()).status).toBe(202)

    await broker.pause()
    // the first request's record goes to the producer and sticks there (the client retries it);
    // the next ones queue behind it and are withdrawn when they time out
    const first = await post()
    const queued = await Promise.all(Array.from({ length: 4 }, () => post()))
    const down = [first, ...queued]
    for (const answer of down) {
      expect(answer.status).toBe(503)
      expect(answer.retryAfter).toBe("5")
      expect(answer.body.event_id).toBeDefined()
      // the answer comes at the produce timeout, not before (the wait) nor long after
      expect(answer.ms).toBeGreaterThanOrEqual(PRODUCE_TIMEOUT_MS - 50)
      expect(answer.ms).toBeLessThan(PRODUCE_TIMEOUT_MS + 2_000)
    }
    const timeTo503 = Math.max(...down.map((a) => a.ms))
    // all answered, yet the handed-over record keeps its in-flight slot until it settles;
    // the withdrawn ones gave theirs back
    expect(ingress.inFlight()).toBe(1)
    await waitFor(async () => (await fetch(`${ingress.opsUrl}/readyz`)).status === 503, {
      timeoutMs: 10_000,
      description: "/readyz to report the stalled broker"
    })

    const resumedAt = performance.now()
    await broker.resume()
    const brokerBackMs = performance.now() - resumedAt
    await waitFor(async () => (await post()).status === 202, {
      timeoutMs: 60_000,
      intervalMs: 100,
      description: "a 202 after the broker returned"
    })
    const recoveredMs = performance.now() - resumedAt
    for (let i = 0; i < 3; i++) expect((await post()).status).toBe(202)
    await waitFor(async () => (await fetch(`${ingress.opsUrl}/readyz`)).status === 200, { description: "ready again" })
    expect(ingress.inFlight()).toBe(0)
    process.stderr.write(
      `ingress outage (${producerClient}): 503 after ${timeTo503.toFixed(0)} ms while down; broker back in ${brokerBackMs.toFixed(0)} ms, first 202 ${recoveredMs.toFixed(0)} ms after resume\n`
    )

    // the sender is one transaction at a time: by the last 202, everything sent earlier has settled
    const records = await committedOnTopic(kafka, topic)
    const ids = records.map((r) => (JSON.parse(r.value?.toString("utf8") ?? "{}") as { id: string }).id)
    for (const id of accepted) expect(ids.filter((x) => x === id)).toHaveLength(1)
    // nothing is on the topic for any non-202 answer
    const late = ids.filter((id) => !accepted.includes(id))
    expect(late).toEqual([])
    expect(await unsettled()).toBe(0)
    for (const answer of down) expect(ids).not.toContain(answer.body.event_id)
    expect(new Set(ids).size).toBe(ids.length)
    const aborted = (await recordsInLog(kafka, topic)) - ids.length
    process.stderr.write(
      `ingress outage (${producerClient}): ${accepted.length} accepted (all on the topic once), ${unavailable.length} answered 503, none visible; ${aborted} log entries of aborted transactions and commit markers\n`
    )
  }, 120_000)
})
