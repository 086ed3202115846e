/**
 * `hookstream console` on its own port, with a token: every API call needs it, a replay needs
 * a same-origin JSON body, and the live feed comes from the results and DLQ topics (what
 * processors running elsewhere publish) with the processors' group lag. Without a token it
 * refuses to listen beyond loopback.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kafkaBrokers } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { freshTopics, type Topics, testKafkaClient } from "../processor/harness.ts"
import { type Letter, produceLetters } from "../replay/dlqFixtures.ts"

const root = join(import.meta.dirname, "..", "..", "..")
const bin = join(root, "bin", "hookstream.js")
const TOKEN = "console-token-e2e"
const kafka = testKafkaClient()
let topics: Topics
let dir: string
let child: ChildProcess | undefined
let output = ""
let url = ""

const auth = { authorization: `Bearer ${TOKEN}` }

beforeAll(async () => {
  topics = await freshTopics(kafka)
  dir = mkdtempSync(join(tmpdir(), "hs-console-standalone-"))
  writeFileSync(
    join(dir, "audit.yaml"),
    ["id: audit", "chain:", "  - module: log", "    id: note", "    config: { level: debug, message: audit }"].join(
      "\n"
    )
  )
  child = spawn(
    process.execPath,
    [
      bin,
      "console",
      ...["--port", "0", "--streams", dir, "--group", topics.group],
      ...["--input", topics.input, "--results", topics.results, "--dlq", topics.dlq]
    ],
    {
      cwd: root,
      env: { ...process.env, KAFKA_BROKERS: kafkaBrokers(), HOOKSTREAM_CONSOLE_TOKEN: TOKEN },
      stdio: "pipe"
    }
  )
  child.stdout?.on("data", (d) => {
    output += d.toString()
  })
  child.stderr?.on("data", (d) => {
    output += d.toString()
  })
  await waitFor(() => /hookstream console: (http:\S+\/console\/)/.test(output), {
    timeoutMs: 60_000,
    description: () => `hookstream console listening; output so far:\n${output}`
  })
  url = /hookstream console: (http:\S+\/console\/)/.exec(output)?.[1] ?? ""
}, 90_000)

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve))
    child.kill("SIGTERM")
    await exited
  }
})

describe("hookstream console", () => {
  it("answers only with the token, and starts replays only from a same-origin JSON body", async () => {
    expect(output).toContain("(token required)")
    expect((await fetch(`${url}`)).status).toBe(200) // the page itself holds nothing
    expect((await fetch(`${url}api/info`)).status).toBe(401)
    expect((await fetch(`${url}api/info`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401)
    const info = await fetch(`${url}api/info`, { headers: auth })
    expect(await info.json()).toMatchObject({ mode: "standalone", access: "token", streams: 1 })
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${url}api/replay`, { method: "POST", headers: { ...auth, ...headers }, body })
    expect((await post({ "content-type": "text/plain" }, "{}")).status).toBe(415)
    expect((await post({ "content-type": "application/json", origin: "http://evil.example" }, "{}")).status).toBe(403)
    expect((await post({ "content-type": "application/json" }, "[]")).status).toBe(400)
    const dry = await fetch(`${url}api/replay/dry-run`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ webhook: "audit" })
    })
    expect(await dry.json()).toMatchObject({ matched: 0 })
  })

  it("streams live frames from the results and DLQ topics, with the group's lag", async () => {
    const response = await fetch(`${url}api/live`, { headers: auth })
    expect(response.headers.get("content-type")).toContain("text/event-stream")
    const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader()
    let text = ""
    const producer = kafka.producer()
    await producer.connect()
    const now = new Date().toISOString()
    const result = {
      schema: "hookstream.result/v1",
      event_id: "evt-standalone-1",
      webhook_id: "audit",
      status: "succeeded",
      modules: [{ id: "note", module: "log", status: "succeeded", attempts: 1, duration_ms: 2 }],
      started_at: now,
      finished_at: now,
      duration_ms: 2,
      source: { topic: topics.input, partition: 0, offset: "0" },
      replay_count: 0
    }
    await producer.send({ topic: topics.input, messages: [{ value: "{}" }, { value: "{}" }] })
    try {
      // the tail starts at the topics' end: keep publishing until a frame carries it
      await waitFor(
        async () => {
          await producer.send({ topic: topics.results, messages: [{ value: JSON.stringify(result) }] })
          await producer.send({
            topic: topics.dlq,
            messages: [{ value: "{}", headers: { "hookstream-dlq-reason": "unknown_webhook" } }]
          })
          const { value } = await reader.read()
          text += value ?? ""
          return (
            text.includes('"eventId":"evt-standalone-1"') &&
            text.includes('"unknown_webhook":') &&
            /"lag":\[\{"partition":0,"lag":\d+/.test(text)
          )
        },
        { timeoutMs: 30_000, intervalMs: 200, description: () => `a frame with the result; got ${text.slice(-600)}` }
      )
    } finally {
      await reader.cancel()
      await producer.disconnect()
    }
    expect(text).toContain('"inFlight":null')
  })

  it("answers dead-letter views from its in-memory index, which follows the DLQ; a record view fetches the one record", async () => {
    const letter = (seq: number): Letter => ({
      seq,
      id: `kept-${seq}`,
      webhook: "orders",
      reason: "chain_failed",
      key: `k${seq}`,
      failed: ["crm"],
      failedAt: Date.now() - seq * 1_000
    })
    await produceLetters(kafka, topics.dlq, topics.input, [letter(1), letter(2), letter(3)])
    const page = async () =>
      (await (await fetch(`${url}api/dlq?webhook=orders&limit=10`, { headers: auth })).json()) as {
        readonly stats?: { readonly total: number }
        readonly index: unknown
        readonly entries: ReadonlyArray<{ readonly coordinate: string; readonly failed_modules: ReadonlyArray<string> }>
      }
    await waitFor(async () => (await page()).stats?.total === 3, {
      timeoutMs: 30_000,
      description: () => "the index to hold the three dead letters"
    })
    await produceLetters(kafka, topics.dlq, topics.input, [letter(4)])
    await waitFor(async () => (await page()).stats?.total === 4, {
      timeoutMs: 30_000,
      description: () => "the index to follow the fourth"
    })
    const answer = await page()
    expect(answer.index).toMatchObject({ caughtUp: true, behind: 0 })
    expect(answer.entries.map((e) => e.failed_modules)).toEqual([["crm"], ["crm"], ["crm"], ["crm"]])
    const newest = answer.entries[0]?.coordinate ?? ""
    const record = (await (await fetch(`${url}api/dlq/record?at=${newest}`, { headers: auth })).json()) as {
      readonly record: unknown
    }
    expect(record.record).toMatchObject({ event_id: "kept-1", webhook_id: "orders" })
  })

  it("names its replays: a rerun under the same name continues (publishes nothing twice), and a reloaded page finds the job", async () => {
    const letters = [1, 2, 3].map(
      (seq): Letter => ({
        seq,
        id: `resumable-${seq}`,
        webhook: "resumable",
        reason: "chain_failed",
        key: `r${seq}`,
        failed: ["crm"],
        failedAt: Date.now()
      })
    )
    await produceLetters(kafka, topics.dlq, topics.input, letters)
    const name = `console-e2e-${Date.now()}`
    const start = async (body: object) =>
      fetch(`${url}api/replay`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify(body)
      })
    expect((await start({ webhook: "resumable", name: "no spaces allowed" })).status).toBe(400)
    interface Job {
      readonly id: string
      readonly name: string
      readonly state: string
      readonly query: Record<string, string>
      readonly summary?: { readonly published: number; readonly resumed: boolean }
    }
    const finished = async (response: Response) => {
      expect(response.status).toBe(202)
      const job = (await response.json()) as Job
      let now = job
      await waitFor(
        async () => {
          now = (await (await fetch(`${url}api/replay/${job.id}`, { headers: auth })).json()) as Job
          return now.state !== "running"
        },
        { timeoutMs: 30_000, description: () => `replay ${job.id} to end; now ${JSON.stringify(now)}` }
      )
      return now
    }
    const first = await finished(await start({ webhook: "resumable", name }))
    expect(first).toMatchObject({ name, state: "done", query: { webhook: "resumable" }, summary: { published: 3 } })
    const listed = (await (await fetch(`${url}api/replays`, { headers: auth })).json()) as {
      readonly jobs: ReadonlyArray<Job>
    }
    expect(listed.jobs[0]).toMatchObject({ id: first.id, name })
    const again = await finished(await start({ webhook: "resumable", name }))
    expect(again.summary).toMatchObject({ published: 0, resumed: true })
  })

  it("stops promptly on SIGTERM while a viewer is connected", async () => {
    const response = await fetch(`${url}api/live`, { headers: auth })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    const started = Date.now()
    const exited = new Promise<number | null>((resolve) => child?.once("exit", resolve))
    child?.kill("SIGTERM")
    expect(await exited).toBe(0)
    expect(Date.now() - started).toBeLessThan(10_000)
    // the stream ended with the server, not with an error the viewer cannot tell from a crash
    for (;;) if ((await reader.read()).done) break
  })

  it("refuses to listen beyond loopback without a token", async () => {
    const run = promisify(execFile)(process.execPath, [bin, "console", "--host", "0.0.0.0", "--streams", dir], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", KAFKA_BROKERS: kafkaBrokers() }
    })
    const failure = (await run.then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e
    )) as { code: number; stderr: string }
    expect(failure.code).toBe(2)
    expect(failure.stderr).toContain("not loopback, and no token")
  })
})
