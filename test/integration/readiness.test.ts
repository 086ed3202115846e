/**
 * /readyz follows the Kafka client's connections (src/kafka/ConnectionWatch.ts): the real
 * `hookstream ingress` and `hookstream run`, idle, on a broker of this test's own. When the
 * broker dies (SIGKILL) both turn 503 at once, naming the broker, instead of when a request
 * finally times out (the ingress's produce timeout is 30 s here, the processor's contact
 * timeout 30 s); when it is back both turn 200 again with no traffic of their own.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Kafka, logLevel } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type HookstreamProcess, startIngressProcess, startProcessor } from "../../chaos/harness/processes.ts"
import type { Workspace } from "../../chaos/harness/workspace.ts"
import { type LocalKafkaHandle, startLocalKafka } from "../../src/kafka/local/startLocalKafka.ts"
import { createTopics, uniqueName } from "../support/kafka.ts"
import { waitFor } from "../support/waitFor.ts"

let broker: LocalKafkaHandle
let dir: string
let ingress: HookstreamProcess
let processor: HookstreamProcess

const readyz = async (process: HookstreamProcess) => {
  const response = await fetch(`${process.opsUrl()}/readyz`, { signal: AbortSignal.timeout(2_000) })
  return { status: response.status, body: await response.text() }
}

/** polls /readyz every 50 ms until it answers `status`; answers how long that took */
const timeUntil = async (process: HookstreamProcess, status: number, timeoutMs: number): Promise<number> => {
  const started = performance.now()
  await waitFor(async () => (await readyz(process)).status === status, {
    timeoutMs,
    intervalMs: 50,
    description: `${process.label} /readyz ${status}`
  })
  return performance.now() - started
}

beforeAll(async () => {
  // brokers: "" starts a broker of our own even when KAFKA_BROKERS names the shared one
  broker = await startLocalKafka({ brokers: "" })
  dir = await mkdtemp(join(tmpdir(), "hookstream-readiness-"))
  const streamsDir = join(dir, "streams")
  await mkdir(streamsDir)
  await writeFile(join(streamsDir, "ready.yaml"), "id: ready\ningress: {}\nchain: [{ module: log }]\n")
  await writeFile(join(dir, "connections.yaml"), "{}\n")
  const base = uniqueName("readiness")
  const ws: Workspace = {
    name: "readiness",
    dir,
    streamsDir,
    connectionsFile: join(dir, "connections.yaml"),
    topics: { input: `${base}.in`, results: `${base}.results`, dlq: `${base}.dlq` },
    group: `${base}.group`,
    id: base,
    close: async () => undefined
  }
  const kafka = new Kafka({ clientId: "readiness-test", brokers: [broker.brokers], logLevel: logLevel.NOTHING })
  await createTopics(kafka, [{ topic: ws.topics.input }, { topic: ws.topics.results }, { topic: ws.topics.dlq }])
  ingress = startIngressProcess(ws, {
    brokers: broker.brokers,
    label: "ingress",
    maxInFlight: 16,
    produceTimeout: "30s"
  })
  processor = startProcessor(ws, { brokers: broker.brokers, label: "processor", sessionTimeout: "6s" })
  await Promise.all([ingress.ready(), processor.ready({ partitions: true })])
  await Promise.all([timeUntil(ingress, 200, 30_000), timeUntil(processor, 200, 30_000)])
}, 120_000)

afterAll(async () => {
  await ingress?.kill("SIGKILL")
  await processor?.kill("SIGKILL")
  await broker?.stop()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

describe("readiness follows the Kafka connection", () => {
  it("turns 503 within a second or two of the broker dying, and 200 once it is back", async () => {
    const node = broker.nodes[0]
    if (node === undefined) throw new Error("no broker node")
    await node.stop("SIGKILL")
    const [ingressDown, processorDown] = await Promise.all([
      timeUntil(ingress, 503, 10_000),
      timeUntil(processor, 503, 10_000)
    ])
    // well before either client's own timeouts (30 s each) would have said anything
    expect(ingressDown).toBeLessThan(3_000)
    expect(processorDown).toBeLessThan(3_000)
    expect((await readyz(ingress)).body).toContain(`Kafka broker ${broker.brokers} unreachable`)
    expect((await readyz(processor)).body).toContain(`Kafka broker ${broker.brokers} unreachable`)
    // still down a while later: nothing cleared it while the broker stays away
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect((await readyz(ingress)).status).toBe(503)

    await node.start()
    const [ingressUp, processorUp] = await Promise.all([
      timeUntil(ingress, 200, 30_000),
      timeUntil(processor, 200, 60_000)
    ])
    process.stderr.write(
      `readiness: 503 ${ingressDown.toFixed(0)} ms (ingress) / ${processorDown.toFixed(0)} ms (processor) after SIGKILL; ` +
        `200 again ${ingressUp.toFixed(0)} / ${processorUp.toFixed(0)} ms after the broker answered\n`
    )
  }, 120_000)
})
