/**
 * The durability promise under load and at shutdown: 500 concurrent requests each get a 202
 * only for a record that is on the topic, exactly once; a SIGTERM-style close finishes the
 * requests in flight (their records land) and refuses new ones; the ops endpoints report
 * it; and `hookstream ingress` as a process prints its URL, serves, and exits 0 on SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { type ProducerClient, producerClients } from "../../../src/kafka/producer/ProducerDriver.ts"
import { consumeRecords, createTopics, kafkaBrokers, testKafka, uniqueName } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { rawPost, recordsOnTopic, startTestIngress, streamsFrom, type TestIngress } from "./harness.ts"

const config = streamsFrom({
  "load.yaml":
    "id: t-load\ningress: { auth: { bearer: { tokens: [load-token] } }, key: /n }\nchain: [{ module: log }]\n"
})
const kafka = testKafka("ingress-durability-test")
const started: Array<TestIngress> = []
const start = async (topic: string, maxInFlight = 1_024, producerClient?: ProducerClient) => {
  const ingress = await startTestIngress(config, {
    brokers: kafkaBrokers(),
    topic,
    maxInFlight,
    ...(producerClient === undefined ? {} : { producerClient })
  })
  started.push(ingress)
  await ingress.ready()
  return ingress
}

afterAll(async () => {
  for (const ingress of started) await ingress.close()
})

const headers = (delivery: string) => ({
  "content-type": "application/json",
  authorization: "Bearer load-token",
  "x-github-delivery": delivery
})

describe.each(producerClients)("500 concurrent requests (%s producer)", (producerClient) => {
  it("every 202 is exactly one record on the topic, and the topic holds nothing else", async () => {
    const topic = uniqueName("ingress-load")
    await createTopics(kafka, [{ topic, numPartitions: 3 }])
    const ingress = await start(topic, 1_024, producerClient)
    const deliveries = Array.from({ length: 500 }, () => randomUUID())
    const began = performance.now()
    const answers = await Promise.all(
      deliveries.map(async (delivery, n) => {
        const response = await ingress.post("t-load", {
          headers: headers(delivery),
          body: JSON.stringify({ n, delivery })
        })
        return { delivery, status: response.status, body: (await response.json()) as { event_id?: string } }
      })
    )
    const elapsedMs = performance.now() - began
    const accepted = answers.filter((a) => a.status === 202)
    expect(accepted.length).toBe(500)
    // a bearer stream signs no id: each event gets the ingress's own ULID
    for (const a of accepted) expect(a.body.event_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)

    const records = await consumeRecords(kafka, { topic, count: 500, timeoutMs: 30_000 })
    const ids = records.map((r) => (JSON.parse(r.value ?? "{}") as { id: string }).id)
    expect(ids.length).toBe(500)
    expect(new Set(ids).size).toBe(500)
    expect([...ids].sort()).toEqual(accepted.map((a) => a.body.event_id).sort())
    expect(await recordsOnTopic(kafka, topic)).toBe(500)
    // keyed by /n: the same key always lands on the same partition
    const partitionsByKey = new Map<string, Set<number>>()
    for (const r of records)
      partitionsByKey.set(r.key ?? "", (partitionsByKey.get(r.key ?? "") ?? new Set()).add(r.partition))
    expect([...partitionsByKey.values()].every((p) => p.size === 1)).toBe(true)
    expect(new Set(records.map((r) => r.partition)).size).toBe(3)
    process.stderr.write(
      `ingress (${producerClient}): 500 concurrent requests answered 202 in ${elapsedMs.toFixed(0)} ms\n`
    )
  }, 60_000)
})

describe("shutdown", () => {
  it("finishes a request in flight (202, on the topic), answers /readyz 503 meanwhile, then refuses connections", async () => {
    const topic = uniqueName("ingress-shutdown")
    await createTopics(kafka, [{ topic }])
    const ingress = await start(topic)
    const delivery = randomUUID()
    const body = JSON.stringify({ n: 1 })
    const inFlight = rawPost(`${ingress.url}/webhooks/t-load`, {
      headers: { ...headers(delivery), "content-length": Buffer.byteLength(body) },
      parts: [body.slice(0, 3), body.slice(3)],
      hold: true
    })
    await waitFor(() => ingress.inFlight() === 1, { description: "the request to be in flight" })
    const closed = ingress.close()
    await waitFor(async () => (await fetch(`${ingress.opsUrl}/readyz`)).status === 503, {
      description: "/readyz to report shutting down"
    })
    const readiness = (await (await fetch(`${ingress.opsUrl}/readyz`)).json()) as {
      problems: Array<{ problem: string }>
    }
    expect(readiness.problems[0]?.problem).toBe("shutting down")
    await expect(
      fetch(`${ingress.url}/webhooks/t-load`, { method: "POST", headers: headers(randomUUID()), body })
    ).rejects.toThrow()

    inFlight.release()
    const answer = await inFlight.response
    expect(answer.status).toBe(202)
    const { event_id } = JSON.parse(answer.body) as { event_id: string }
    await closed
    const records = await consumeRecords(kafka, { topic, count: 1 })
    expect(records.map((r) => (JSON.parse(r.value ?? "{}") as { id: string }).id)).toEqual([event_id])
    expect(records[0]?.value).toContain(delivery)
  })
})

describe("ops endpoints", () => {
  it("/healthz, /readyz and /metrics with hookstream_ingress_requests_total by webhook id and code", async () => {
    const topic = uniqueName("ingress-ops")
    await createTopics(kafka, [{ topic }])
    const ingress = await start(topic)
    expect((await fetch(`${ingress.opsUrl}/healthz`)).status).toBe(200)
    expect(await (await fetch(`${ingress.opsUrl}/readyz`)).json()).toEqual({ status: "ready" })
    const before = await metric(ingress, 'hookstream_ingress_requests_total{webhook_id="t-load",code="202"}')
    for (let i = 0; i < 3; i++) {
      const response = await ingress.post("t-load", { headers: headers(randomUUID()), body: "{}" })
      expect(response.status).toBe(202)
    }
    const denied = await ingress.post("t-load", { headers: { "content-type": "application/json" }, body: "{}" })
    expect(denied.status).toBe(401)
    expect(await metric(ingress, 'hookstream_ingress_requests_total{webhook_id="t-load",code="202"}')).toBe(before + 3)
    expect(
      await metric(ingress, 'hookstream_ingress_requests_total{webhook_id="t-load",code="401"}')
    ).toBeGreaterThanOrEqual(1)
    const text = await (await fetch(`${ingress.opsUrl}/metrics`)).text()
    expect(text).toContain("# TYPE hookstream_ingress_request_duration_seconds histogram")
    expect(text).toContain("process_cpu_seconds_total")
  })
})

const metric = async (ingress: TestIngress, series: string): Promise<number> => {
  const text = await (await fetch(`${ingress.opsUrl}/metrics`)).text()
  const line = text.split("\n").find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

describe("hookstream ingress (the process)", () => {
  let child: ChildProcess | undefined
  afterAll(() => {
    if (child !== undefined && child.exitCode === null) child.kill("SIGKILL")
  })

  it("prints where it listens, accepts webhooks, and exits 0 on SIGTERM", async () => {
    const topic = uniqueName("ingress-cli")
    await createTopics(kafka, [{ topic }])
    const dir = mkdtempSync(join(tmpdir(), "hs-ingress-"))
    writeFileSync(
      join(dir, "cli.yaml"),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the stream file's own ${VAR} syntax
      "id: t-cli\ningress: { auth: { bearer: { tokens: ['${CLI_TOKEN}'] } } }\nchain: [{ module: log }]\n"
    )
    const root = join(import.meta.dirname, "..", "..", "..")
    let output = ""
    child = spawn(
      process.execPath,
      [
        join(root, "bin/hookstream.js"),
        "ingress",
        "--streams",
        dir,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--ops-port",
        "0"
      ],
      {
        cwd: root,
        env: { ...process.env, KAFKA_BROKERS: kafkaBrokers(), HOOKSTREAM_INPUT: topic, CLI_TOKEN: "cli-secret" }
      }
    )
    const proc = child
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)))
    proc.stdout?.on("data", (d) => {
      output += d.toString()
    })
    proc.stderr?.on("data", (d) => {
      output += d.toString()
    })
    await waitFor(() => /ops on (http:\S+)/.test(output), {
      timeoutMs: 30_000,
      description: () => `startup (${output})`
    })
    const url = /listening on (http:\/\/[^/\s]+)/.exec(output)?.[1]
    const opsUrl = /ops on (http:\S+)/.exec(output)?.[1]
    expect(output).toContain("(streams: t-cli)")
    await waitFor(async () => (await fetch(`${opsUrl}/readyz`)).status === 200, { description: "ready" })
    const response = await fetch(`${url}/webhooks/t-cli`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer cli-secret" },
      body: '{"from":"cli"}'
    })
    expect(response.status).toBe(202)
    const { event_id } = (await response.json()) as { event_id: string }
    proc.kill("SIGTERM")
    expect(await exited).toBe(0)
    const records = await consumeRecords(kafka, { topic, count: 1 })
    expect(JSON.parse(records[0]?.value ?? "{}")).toMatchObject({
      id: event_id,
      webhook_id: "t-cli",
      payload: { from: "cli" }
    })
  }, 60_000)
})
