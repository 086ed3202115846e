/**
 * Dead letters at scale: a 6-partition DLQ topic filled with N dead letters (failed over the
 * last 6 hours, each stored 20 ms after it failed, five webhooks, four reasons, one or two
 * failed modules), then
 * - the operator console as its own process (`hookstream console`): the first page load
 *   while its in-memory view is still tailing the DLQ, the time until it caught up, filter
 *   changes and record views (HTTP round trips on loopback, as the page makes them), and the
 *   process's RSS from listening to caught up;
 * - `hookstream dlq stats --since 1h` and `hookstream dlq list --limit 50`, the real commands
 *   (wall time, Node's start-up included).
 * Wall times on a shared 2-core machine: read them with the load average printed alongside,
 * and the console's CPU per request (from /proc) next to its wall time.
 *
 *   npm run bench:dlq                 1,000,000 dead letters (writes reports/bench-dlq.json)
 *   npm run bench:dlq -- --quick      50,000
 *   npm run bench:dlq -- 200000       any count   (KAFKA_BROKERS=… to reuse a broker)
 */
import { execFile, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { Effect } from "effect"
import { Partitioners } from "kafkajs"
import type { DlqReason } from "../src/domain/DeadLetterRecord.ts"
import { makeKafka } from "../src/kafka/kafkaClient.ts"
import { startLocalKafka } from "../src/kafka/local/startLocalKafka.ts"
import { ensureTopics } from "../src/kafka/topics.ts"
import { benchDeadLetter, type LetterShape } from "./harness/deadLetters.ts"

const quick = process.argv.includes("--quick")
const countArg = process.argv.slice(2).find((a) => /^\d+$/.test(a))
const count = countArg !== undefined ? Number(countArg) : quick ? 50_000 : 1_000_000
const SPAN_MS = 6 * 3_600_000
const root = join(import.meta.dirname, "..")
const bin = join(root, "bin", "hookstream.js")

const WEBHOOKS = ["orders", "payments", "signups", "invoices", "shipments"]
const REASONS: ReadonlyArray<DlqReason> = ["chain_failed", "chain_failed", "timed_out", "unknown_webhook"]
const ERRORS = ["HTTP 503", "HTTP 502", "connect ECONNREFUSED 10.0.0.7:443", "timed out after 5000 ms"]
const shapeOf = (seq: number): LetterShape => ({
  webhook: WEBHOOKS[seq % 5] ?? "orders",
  reason: REASONS[seq % 4] ?? "chain_failed",
  failed: seq % 3 === 0 ? ["notify", "audit"] : ["notify"],
  error: ERRORS[seq % 4] ?? "HTTP 503",
  replayCount: seq % 10 === 0 ? 1 : 0
})

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return m === null ? Number.NaN : Number(m[1]) / 1024
}
const round = (x: number) => Math.round(x * 10) / 10
/** user + system CPU ms of a process so far (/proc, 10 ms ticks): wall times on a loaded machine include waiting for a core */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const broker = await startLocalKafka({ profile: "bench" })
let consoleChild: ReturnType<typeof spawn> | undefined
try {
  const kafka = makeKafka({ brokers: broker.brokers.split(","), clientId: "bench-dlq" })
  const run = `bench-dlq-${Date.now()}`
  const topics = { input: `${run}.in`, results: `${run}.results`, dlq: `${run}.dlq` }
  await Effect.runPromise(
    ensureTopics(kafka, [
      { topic: topics.input, partitions: 6 },
      { topic: topics.results, partitions: 1 },
      { topic: topics.dlq, partitions: 6 }
    ])
  )

  // ------------------------------------------------------------------ fill
  const fillStarted = process.hrtime.bigint()
  const now = Date.now()
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  const BATCH = 1_000
  const inFlight = new Set<Promise<unknown>>()
  for (let i = 0; i < count; i += BATCH) {
    const messages = Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => {
      const seq = i + j
      const failedAt = now - SPAN_MS + Math.floor((seq * SPAN_MS) / count)
      return { ...benchDeadLetter(topics, seq, failedAt, shapeOf(seq)), timestamp: String(failedAt + 20) }
    })
    const sent = producer.send({ topic: topics.dlq, acks: 1, messages })
    inFlight.add(sent)
    void sent.finally(() => inFlight.delete(sent))
    if (inFlight.size >= 4) await Promise.race(inFlight)
    if (i % 100_000 === 0) process.stderr.write(`filling: ${i} of ${count}\n`)
  }
  await Promise.all(inFlight)
  await producer.disconnect()
  const fillS = ms(fillStarted) / 1000
  process.stderr.write(`filled ${count} dead letters in ${round(fillS)} s\n`)

  // ------------------------------------------------------------------ console
  const dir = mkdtempSync(join(tmpdir(), "bench-dlq-"))
  writeFileSync(join(dir, "orders.yaml"), "id: orders\nchain:\n  - module: log\n    id: note\n")
  const consoleStarted = process.hrtime.bigint()
  const child = spawn(
    process.execPath,
    [
      bin,
      "console",
      ...["--port", "0", "--streams", dir, "--group", `${run}-group`],
      ...["--input", topics.input, "--results", topics.results, "--dlq", topics.dlq]
    ],
    { cwd: root, env: { ...process.env, KAFKA_BROKERS: broker.brokers }, stdio: "pipe" }
  )
  consoleChild = child
  let output = ""
  child.stdout?.on("data", (d) => {
    output += d.toString()
  })
  child.stderr?.on("data", (d) => {
    output += d.toString()
  })
  const urlOf = () => /hookstream console: (http:\S+\/console\/)/.exec(output)?.[1]
  while (urlOf() === undefined) {
    if (child.exitCode !== null) throw new Error(`console exited: ${output}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const url = urlOf() ?? ""
  const listeningMs = ms(consoleStarted)
  const pid = child.pid ?? 0
  const rssListening = rssMb(pid)
  interface Page {
    readonly stats: { readonly total: number }
    readonly entries: ReadonlyArray<{ readonly coordinate: string }>
    readonly index: { readonly caughtUp: boolean; readonly behind: number; readonly indexed: number } | null
  }
  const get = async (path: string) => {
    const started = process.hrtime.bigint()
    const response = await fetch(`${url}${path}`)
    const body = (await response.json()) as Page
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`)
    return { body, ms: ms(started) }
  }
  // the page's first request: answered from what the tail has so far (or, before the tail
  // started, by reading the topic)
  const firstLoad = await get("api/dlq?limit=50")
  let status = firstLoad.body.index
  let peakRss = rssListening
  while (status === null || !status.caughtUp) {
    await new Promise((r) => setTimeout(r, 250))
    peakRss = Math.max(peakRss, rssMb(pid))
    status = (await get("api/dlq?limit=1&webhook=nobody")).body.index
  }
  const caughtUpMs = ms(consoleStarted)
  const fullLoad = await get("api/dlq?limit=50")
  const filters = [
    "webhook=orders",
    "reason=timed_out",
    "module=audit",
    "since=1h",
    "webhook=payments&module=audit&since=3h",
    "key=k42",
    ""
  ]
  const filterMs: Array<number> = []
  const filterCpu = cpuMs(pid)
  const byFilter = new Map<string, Array<number>>()
  for (let r = 0; r < 3; r++)
    for (const f of filters) {
      const took = (await get(`api/dlq?limit=50&${f}`)).ms
      filterMs.push(took)
      byFilter.set(f || "(none)", [...(byFilter.get(f || "(none)") ?? []), round(took)])
    }
  const filterCpuMs = (cpuMs(pid) - filterCpu) / filterMs.length
  const coordinates = fullLoad.body.entries.slice(0, 10).map((e) => e.coordinate)
  const recordMs: Array<number> = []
  const recordCpu = cpuMs(pid)
  for (const at of coordinates) recordMs.push((await get(`api/dlq/record?at=${encodeURIComponent(at)}`)).ms)
  const recordCpuMs = (cpuMs(pid) - recordCpu) / recordMs.length
  const rssCaughtUp = rssMb(pid)
  peakRss = Math.max(peakRss, rssCaughtUp)
  child.kill("SIGTERM")
  await new Promise((r) => child.once("exit", r))
  consoleChild = undefined

  // ------------------------------------------------------------------ CLI
  const cli = async (args: ReadonlyArray<string>) => {
    const started = process.hrtime.bigint()
    const { stdout } = await promisify(execFile)(process.execPath, [bin, ...args, "--dlq", topics.dlq, "--json"], {
      cwd: root,
      env: { ...process.env, KAFKA_BROKERS: broker.brokers },
      maxBuffer: 64 * 1024 * 1024
    })
    return { ms: ms(started), out: JSON.parse(stdout) as unknown }
  }
  const stats = await cli(["dlq", "stats", "--since", "1h"])
  const list = await cli(["dlq", "list", "--limit", "50"])
  const statsAll = quick ? await cli(["dlq", "stats"]) : undefined

  const report = {
    dead_letters: count,
    dlq_partitions: 6,
    fill_s: round(fillS),
    load_average: loadavg().map(round),
    console: {
      listening_ms: round(listeningMs),
      first_load_ms: round(firstLoad.ms),
      first_load_indexed: firstLoad.body.index?.indexed ?? null,
      first_load_total: firstLoad.body.stats.total,
      caught_up_ms: round(caughtUpMs),
      filter_change_ms: {
        median: round(median(filterMs)),
        max: round(Math.max(...filterMs)),
        n: filterMs.length,
        cpu_per_request: round(filterCpuMs),
        by_filter: Object.fromEntries(byFilter)
      },
      record_view_ms: {
        median: round(median(recordMs)),
        max: round(Math.max(...recordMs)),
        n: recordMs.length,
        cpu_per_request: round(recordCpuMs)
      },
      rss_mb: { listening: round(rssListening), caught_up: round(rssCaughtUp), peak: round(peakRss) },
      rss_delta_mb: round(rssCaughtUp - rssListening)
    },
    cli: {
      dlq_stats_since_1h_ms: round(stats.ms),
      dlq_stats_since_1h_total: (stats.out as { total: number }).total,
      dlq_list_limit_50_ms: round(list.ms),
      ...(statsAll === undefined ? {} : { dlq_stats_all_ms: round(statsAll.ms) })
    },
    targets: {
      first_load_le_10s: firstLoad.ms <= 10_000,
      filter_change_le_200ms: Math.max(...filterMs) <= 200,
      record_view_le_100ms: Math.max(...recordMs) <= 100,
      rss_delta_le_150mb: rssCaughtUp - rssListening <= 150
    }
  }
  mkdirSync(join(root, "reports"), { recursive: true })
  writeFileSync(join(root, "reports", "bench-dlq.json"), `${JSON.stringify(report, null, 2)}\n`)
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
} finally {
  consoleChild?.kill("SIGKILL")
  await broker.stop()
}
