/**
 * Hot reload under load (issue 24), against the real `hookstream run`, the shared broker, two
 * HTTP receivers and the machine's PostgreSQL. A producer writes keyed events for two streams
 * the whole time (s1: http to receiver A; s2: postgresql through connection `pg` to dbA)
 * while the test edits the files as an editor would:
 *   1. s1's URL → receiver B: reloaded; the unchanged `pg` connection keeps its pool (same backends)
 *   2. an invalid s1: rejected (log line per problem, metric, console); the old config keeps running
 *   3. s1 back as in 1: an `unchanged` reload, nothing changes; SIGHUP: the same
 *   4. `pg` → dbB: reloaded; the old pool closes once its sends finished; rows go to dbB
 * Then every event's outcome is read back: each s1 event reached exactly one receiver, each
 * s2 event is exactly one row in one database, and each result record's config_version says
 * which config ran it (A ⇔ the first; dbB ⇔ the last), never older than an earlier event of
 * the same key and stream.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Kafka } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { metricSum } from "../../../chaos/harness/metrics.ts"
import { type OutcomeCollector, startOutcomeCollector } from "../../../chaos/harness/outcomes.ts"
import { type HookstreamProcess, startProcessor } from "../../../chaos/harness/processes.ts"
import { eventMessage, produceSteadily, type SteadyLoad } from "../../../chaos/harness/produce.ts"
import { deleteTopics, type Workspace } from "../../../chaos/harness/workspace.ts"
import { createTopics, kafkaBrokers, testKafka, uniqueName } from "../../support/kafka.ts"
import { type RecordingServer, startRecordingServer } from "../../support/recordingServer.ts"
import { requireService } from "../../support/services.ts"
import { waitFor } from "../../support/waitFor.ts"
import {
  connectionsFile,
  consoleConfig,
  countBy,
  createDatabases,
  dropDatabases,
  httpStream,
  idsAt,
  logLines,
  postgresStream,
  processorSessions,
  reloadedTo,
  reloads,
  replaceFile,
  rowsPerEvent
} from "./reloadFixtures.ts"

const RATE_PER_S = 80
const KEYS = 12
const TABLE = "events"

let kafka: Kafka
let ws: Workspace
let receiverA: RecordingServer
let receiverB: RecordingServer
let processor: HookstreamProcess | undefined
let collector: OutcomeCollector | undefined
let dbA: string
let dbB: string
/** the background load, and its stop (afterAll stops it too, when the test failed first) */
let load: Promise<SteadyLoad> | undefined
let stopped = false
/** set at the test's end: a failed run keeps its folder (the processor's log) */
let passed = false
const results = new Map<string, Array<{ readonly version: string; readonly status: string }>>()

beforeAll(async () => {
  await requireService("postgres")
  const base = uniqueName("reload")
  const id = base.toLowerCase().replace(/[^a-z0-9_]/g, "_")
  dbA = `${id}_a`
  dbB = `${id}_b`
  await createDatabases([dbA, dbB])
  const dir = await mkdtemp(join(tmpdir(), "hookstream-reload-"))
  ws = {
    name: "reload",
    dir,
    streamsDir: join(dir, "streams"),
    connectionsFile: join(dir, "connections.yaml"),
    topics: { input: `${base}.in`, results: `${base}.results`, dlq: `${base}.dlq` },
    group: `${base}.group`,
    id,
    close: async () => undefined
  }
  kafka = testKafka("reload-test")
  await createTopics(kafka, [
    { topic: ws.topics.input, numPartitions: 3 },
    { topic: ws.topics.results, numPartitions: 3 },
    { topic: ws.topics.dlq }
  ])
  receiverA = await startRecordingServer()
  receiverB = await startRecordingServer()
  await mkdir(ws.streamsDir)
  await writeFile(join(ws.streamsDir, "s1.yaml"), httpStream("s1", receiverA.url("/hooks")))
  await writeFile(join(ws.streamsDir, "s2.yaml"), postgresStream("s2", "pg", TABLE))
  await writeFile(ws.connectionsFile, connectionsFile("pg", dbA))
  collector = await startOutcomeCollector(kafka, ws.topics, {
    onRecord: (record) => {
      if (record.kind !== "result") return
      const seen = results.get(record.key) ?? []
      seen.push({ version: String(record.value["config_version"]), status: String(record.value["status"]) })
      results.set(record.key, seen)
    }
  })
}, 60_000)

afterAll(async () => {
  stopped = true
  await load?.catch(() => undefined)
  const exited = processor?.kill("SIGTERM")
  const timer = setTimeout(() => processor?.kill("SIGKILL"), 15_000)
  await exited
  clearTimeout(timer)
  await collector?.stop()
  await receiverA?.close()
  await receiverB?.close()
  if (dbA !== undefined) await dropDatabases([dbA, dbB])
  if (ws !== undefined) {
    await deleteTopics(kafka, [ws.topics.input, ws.topics.results, ws.topics.dlq, `${ws.topics.input}.deferred`])
    if (passed) await rm(ws.dir, { recursive: true, force: true })
    else process.stderr.write(`reload: the processor's log is in ${join(ws.dir, "processor.log")}\n`)
  }
}, 60_000)

describe("hot reload of streams and connections under load", () => {
  it("swaps URL and connection without losing or doubling an event; a bad edit changes nothing", async () => {
    const started = Date.now()
    const timings: Array<string> = []
    const p = startProcessor(ws, { brokers: kafkaBrokers(), label: "reload", sessionTimeout: "6s" })
    processor = p
    await p.ready({ partitions: true })
    const v1 = (await consoleConfig(p)).version

    // keyed so that each key carries events of both streams, in order (one producer)
    const webhookOf = (i: number) => (i % 2 === 0 ? "s1" : "s2")
    load = produceSteadily(
      kafka,
      ws.topics.input,
      (i) =>
        eventMessage(
          { webhookId: webhookOf(i), id: `ev-${i}`, payload: { id: `ev-${i}`, n: i } },
          `k${Math.floor(i / 2) % KEYS}`
        ),
      { ratePerS: RATE_PER_S, stop: () => stopped, batch: 20 }
    )
    const rowsIn = async (db: string) => (await rowsPerEvent(db, TABLE)).size

    // ── steady state on the first config
    await waitFor(async () => receiverA.requests.length >= 20 && (await rowsIn(dbA)) >= 20, {
      timeoutMs: 30_000,
      description: () => `traffic on the first config (A: ${receiverA.requests.length})`
    })
    const sessionsBefore = await processorSessions(dbA)
    expect(sessionsBefore.length).toBeGreaterThan(0)

    // ── 1. s1's URL → B (the file replaced by a rename, as editors save)
    const s1Path = join(ws.streamsDir, "s1.yaml")
    const s1OnB = httpStream("s1", receiverB.url("/hooks"))
    const urlEdited = Date.now()
    await replaceFile(s1Path, s1OnB)
    await waitFor(() => reloadedTo(p).length === 1, { timeoutMs: 20_000, description: "config reloaded (URL)" })
    const v2 = reloadedTo(p)[0] as string
    timings.push(`URL edit → reloaded ${Date.now() - urlEdited} ms`)
    expect(v2).not.toBe(v1)
    const rowsAfterSwap = await rowsIn(dbA)
    await waitFor(async () => receiverB.requests.length >= 10 && (await rowsIn(dbA)) >= rowsAfterSwap + 10, {
      timeoutMs: 20_000,
      description: () => `traffic on the second config (B: ${receiverB.requests.length})`
    })
    // the unchanged connection kept its pool: the backends of before are still there (the pool may have grown)
    const sessionsAfter = await processorSessions(dbA)
    expect(sessionsAfter).toEqual(expect.arrayContaining([...sessionsBefore]))

    // ── 2. an invalid s1: nothing changes, the rejection is logged, counted and shown
    const aBeforeInvalid = receiverA.requests.length
    await replaceFile(s1Path, s1OnB.replace("module: http", "module: nosuchmodule"))
    await waitFor(() => p.lines().some((l) => l.includes("config reload rejected")), {
      timeoutMs: 20_000,
      description: "config reload rejected"
    })
    const problem = logLines(p).find((l) => l.msg?.startsWith(`${s1Path}:`))?.msg
    // `<file>:<path>: <reason>`, as `hookstream validate` prints it
    expect(problem?.startsWith(`${s1Path}:chain`)).toBe(true)
    expect(problem).toContain("unknown module 'nosuchmodule'")
    expect(await reloads(p, "rejected")).toBe(1)
    const rejected = await consoleConfig(p)
    expect(rejected.version).toBe(v2)
    expect(rejected.generation).toBe(2)
    expect(rejected.last_rejected?.problems).toContain(problem)
    const bAtRejection = receiverB.requests.length
    await waitFor(() => receiverB.requests.length >= bAtRejection + 10, {
      timeoutMs: 20_000,
      description: "events keep reaching B after the rejected reload"
    })

    // ── 3. s1 back as in 1: the same files as the running config
    await replaceFile(s1Path, s1OnB)
    await waitFor(async () => (await reloads(p, "unchanged")) === 1, {
      timeoutMs: 20_000,
      description: 'hookstream_config_reloads_total{result="unchanged"} 1'
    })
    // SIGHUP asks for a reload too (and does not end the process, Node's default)
    process.kill(p.pid, "SIGHUP")
    await waitFor(async () => (await reloads(p, "unchanged")) === 2, {
      timeoutMs: 20_000,
      description: 'after SIGHUP, hookstream_config_reloads_total{result="unchanged"} 2'
    })
    expect(p.running()).toBe(true)
    expect(reloadedTo(p)).toHaveLength(1)
    expect((await consoleConfig(p)).generation).toBe(2)
    expect(receiverA.requests.length).toBe(aBeforeInvalid)

    // ── 4. the connection `pg` → dbB: the old pool closes once its sends finished
    const connectionEdited = Date.now()
    await replaceFile(ws.connectionsFile, connectionsFile("pg", dbB))
    await waitFor(() => reloadedTo(p).length === 2, { timeoutMs: 20_000, description: "config reloaded (connection)" })
    const v3 = reloadedTo(p)[1] as string
    const connectionReloaded = Date.now()
    timings.push(`connection edit → reloaded ${connectionReloaded - connectionEdited} ms`)
    // bounded well under pg's 30 s idle timeout: only closing the old pool ends these sessions
    await waitFor(async () => (await processorSessions(dbA)).length === 0, {
      timeoutMs: 15_000,
      description: "the processor's sessions on dbA end"
    })
    timings.push(`reloaded → dbA sessions gone ${Date.now() - connectionReloaded} ms`)
    await waitFor(async () => (await rowsIn(dbB)) >= 10, { timeoutMs: 20_000, description: "rows in dbB" })
    const metrics = await p.metrics()
    expect(metrics.get(`hookstream_config_version{component="processor",version="${v3}"}`)).toBe(3)
    // the one series left is the running config's: the earlier versions' went with their swaps
    expect(metricSum(metrics, "hookstream_config_version", ['component="processor"'])).toBe(3)
    expect(await reloads(p, "applied")).toBe(2)

    // ── the end: every event's outcome
    stopped = true
    const { built, retries } = await load
    const ids = Array.from({ length: built }, (_, i) => `ev-${i}`)
    await collector?.waitForAll(ids, { timeoutMs: 30_000 })
    await collector?.caughtUp()
    expect(collector?.dlqRecords()).toBe(0)

    const onA = countBy(idsAt(receiverA))
    const onB = countBy(idsAt(receiverB))
    const [rowsA, rowsB] = await Promise.all([rowsPerEvent(dbA, TABLE), rowsPerEvent(dbB, TABLE)])
    const rank = new Map([
      [v1, 1],
      [v2, 2],
      [v3, 3]
    ])
    const problems: Array<string> = []
    const lastRank = new Map<string, number>()
    const versionsSeen = new Map<string, number>()
    for (let i = 0; i < built; i++) {
      const id = `ev-${i}`
      const outcomes = results.get(id) ?? []
      const version = outcomes[0]?.version ?? "?"
      versionsSeen.set(version, (versionsSeen.get(version) ?? 0) + 1)
      if (outcomes.length !== 1 || outcomes[0]?.status !== "succeeded")
        problems.push(`${id}: results ${JSON.stringify(outcomes)}`)
      if (webhookOf(i) === "s1") {
        const a = onA.get(id) ?? 0
        const b = onB.get(id) ?? 0
        if (a + b !== 1) problems.push(`${id}: ${a}× on A, ${b}× on B`)
        else if ((a === 1) !== (version === v1))
          problems.push(`${id}: on ${a === 1 ? "A" : "B"} with version ${version}`)
      } else {
        const a = rowsA.get(id) ?? 0
        const b = rowsB.get(id) ?? 0
        if (a + b !== 1) problems.push(`${id}: ${a} row(s) in dbA, ${b} in dbB`)
        else if ((b === 1) !== (version === v3))
          problems.push(`${id}: in ${b === 1 ? "dbB" : "dbA"} with version ${version}`)
      }
      // per key and stream, a later event never ran on an older config than an earlier one. (Per
      // stream: once a key's events are slow they take the deferred path, which keeps a key's
      // order within each stream, not across streams: DeferralLedger.ts)
      const key = `${webhookOf(i)}/k${Math.floor(i / 2) % KEYS}`
      const r = rank.get(version) ?? 0
      if (r < (lastRank.get(key) ?? 0)) problems.push(`${id} (${key}): version ${version} after a newer one`)
      lastRank.set(key, Math.max(r, lastRank.get(key) ?? 0))
    }
    // how many took the deferred path (a slow key's events do, on a loaded machine): for the record only
    const deferred = [...(await p.metrics())]
      .filter(([series, n]) => series.startsWith("hookstream_deferred_total{") && n > 0)
      .map(([series, n]) => `${series.slice("hookstream_deferred_total".length)}=${n}`)
    process.stderr.write(
      `reload: ${built} events (${retries} producer retries) in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `versions ${[...versionsSeen].map(([v, n]) => `${v}=${n}`).join(" ")}; A ${onA.size}, B ${onB.size}, ` +
        `dbA ${rowsA.size}, dbB ${rowsB.size}; ${timings.join(", ")}; deferred ${deferred.join(" ") || "none"}\n`
    )
    expect({ problems: problems.length, sample: problems.slice(0, 20) }).toEqual({ problems: 0, sample: [] })
    // every config ran some events: the swaps happened under load
    expect([...versionsSeen.keys()].sort()).toEqual([v1, v2, v3].sort())
    passed = true
  }, 90_000)
})
