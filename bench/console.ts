/**
 * Operator console micro-benchmark: what the live feed costs the processor, in one process,
 * without Kafka.
 *
 * 1. Per event: the processor's observer (`chainFinished`, `deadLettered`) untapped (the
 *    Prometheus collectors of ProcessorMetrics, in a fresh registry) against the same
 *    collectors with the console's hub tapped in (`tappedMetrics`), with 0, 1 and 50
 *    viewers on the live feed; and the tap alone (the hub over a no-op observer against the
 *    no-op observer), whose few ns the Prometheus collectors' own noise would hide. CPU ns
 *    per event (process.cpuUsage over synchronous batches, so the frame ticks are not in
 *    it) and heap bytes allocated per event (gc() before each batch, then heap growth plus
 *    what every GC inside the batch freed, from v8.GCProfiler).
 * 2. Per frame tick: the process's CPU from the gauge read that starts a frame to the
 *    last viewer's socket write, split into building the frame, serializing it (once, for
 *    every viewer) and handing it to the viewers.
 *
 * Viewers are real: the console app (`makeConsoleApp`) on a loopback port, each viewer a
 * `fetch` of `/console/api/live` reading its stream, exactly the path of a browser tab.
 *
 * Run with --expose-gc (the npm script does). CPU time rather than wall time, since other
 * work may share the machine; medians over interleaved rounds.
 *
 *   npm run bench:console            (writes reports/bench-console.json)
 *   BENCH_N=200000 BENCH_FRAME_SECONDS=5 npm run bench:console
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { GCProfiler, getHeapStatistics } from "node:v8"
import { Effect } from "effect"
import { Kafka, logLevel } from "kafkajs"
import { Registry } from "prom-client"
import type { Subscription } from "rxjs"
import { type ConsoleApp, makeConsoleApp } from "../src/console/consoleApp.ts"
import type { LiveFrame } from "../src/console/LiveFrame.ts"
import { type LiveHub, makeLiveHub, processorGauges } from "../src/console/LiveHub.ts"
import { makeReplayJobs } from "../src/console/ReplayJobs.ts"
import { tappedMetrics } from "../src/console/tappedMetrics.ts"
import type { DlqReason } from "../src/domain/DeadLetterRecord.ts"
import type { ChainOutcome, ModuleOutcome } from "../src/domain/Outcome.ts"
import type { GaugeSources, ProcessorMetrics } from "../src/processor/ProcessorMetrics.ts"
import { processorMetrics } from "../src/processor/ProcessorMetrics.ts"

const N = Number(process.env.BENCH_N ?? 500_000)
const ROUNDS = 5
const BATCH = 25_000
const VIEWERS = [1, 50] as const
const FRAME_SECONDS = Number(process.env.BENCH_FRAME_SECONDS ?? 8)
/** events per second fed to the hub while frames are measured */
const FRAME_RATE = 5_000
const FEED_EVERY_MS = 20

// ---------------------------------------------------------------- synthetic outcomes

/** mulberry32: the same outcomes on every run */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
}
const random = prng(42)

interface SyntheticEvent {
  readonly webhookId: string
  readonly eventId: string
  /** undefined: rejected before any chain ran (unknown webhook) */
  readonly outcome: ChainOutcome | undefined
  readonly dead: DlqReason | undefined
}

const WEBHOOKS = ["orders", "payments", "signups", "invoices", "shipments"]
/** a 3-step chain: an HTTP call, a Kafka publish, a Postgres insert */
const STEPS = [
  { id: "crm", module: "http", connection: "crm", ms: [20, 180] },
  { id: "audit", module: "kafka", connection: "events", ms: [2, 12] },
  { id: "ledger", module: "postgres", connection: "ledger", ms: [3, 30] }
] as const
const between = (range: readonly [number, number]) => range[0] + random() * (range[1] - range[0])
const failure = { tag: "DestinationError", reason: "status_503", retryable: true, message: "HTTP 503 from crm" }

const syntheticEvent = (i: number): SyntheticEvent => {
  const webhookId = WEBHOOKS[i % WEBHOOKS.length] as string
  const eventId = `evt_${(i * 2_654_435_761) >>> 0}`
  const roll = random()
  // ~1% dead letters: 0.7% failed chains, 0.2% past their deadline, 0.1% unknown webhook
  if (roll < 0.001) return { webhookId: "unknown", eventId, outcome: undefined, dead: "unknown_webhook" }
  const status: ChainOutcome["status"] = roll < 0.008 ? "failed" : roll < 0.01 ? "timed_out" : "succeeded"
  const retried = random() < 0.02
  let failed = false
  const modules: Array<ModuleOutcome> = STEPS.map((s, index): ModuleOutcome => {
    if (failed)
      return { id: s.id, module: s.module, connection: s.connection, status: "skipped", attempts: 0, duration_ms: 0 }
    if (index === 0 && status !== "succeeded") {
      failed = true
      return {
        id: s.id,
        module: s.module,
        connection: s.connection,
        status: status === "failed" ? "failed" : "timed_out",
        attempts: 3,
        duration_ms: Math.round(between([800, 4_000])),
        error: failure
      }
    }
    const attempts = index === 0 && retried ? 2 : 1
    return {
      id: s.id,
      module: s.module,
      connection: s.connection,
      status: "succeeded",
      attempts,
      duration_ms: Math.round(between(s.ms) * attempts)
    }
  })
  const startedAt = 1_760_000_000_000 + i * 3
  const took = modules.reduce((sum, m) => sum + m.duration_ms, 0) + Math.round(between([1, 4]))
  const outcome: ChainOutcome = { status, modules, startedAt, finishedAt: startedAt + took }
  return {
    webhookId,
    eventId,
    outcome,
    dead: status === "failed" ? "chain_failed" : status === "timed_out" ? "timed_out" : undefined
  }
}

/** distinct outcomes, cycled (500k live objects would measure the GC of the pool instead) */
const POOL = 16_384
const pool: ReadonlyArray<SyntheticEvent> = Array.from({ length: POOL }, (_, i) => syntheticEvent(i))
const deadShare = pool.filter((e) => e.dead !== undefined).length / POOL

const noop = () => {}
/** an observer that does nothing: the floor under the tap measured alone */
const noopMetrics: ProcessorMetrics = {
  chainFinished: noop,
  deadLettered: noop,
  eventConsumed: noop,
  offsetsCommitted: noop,
  commitFailed: noop,
  publishFailed: noop,
  attach: () => noop
}

/** what handleRecord does with each event's outcome */
const report = (observer: ProcessorMetrics, e: SyntheticEvent) => {
  if (e.outcome !== undefined) observer.chainFinished(e.webhookId, e.outcome, e.eventId)
  if (e.dead !== undefined) observer.deadLettered(e.dead)
}

// ---------------------------------------------------------------- the processor's gauges

const gaugeSources: GaugeSources = {
  inFlight: () => 37,
  assigned: () => 6,
  lag: () => Array.from({ length: 6 }, (_, partition) => ({ topic: "webhooks", partition, lag: partition * 11 })),
  circuits: () => STEPS.map((s) => ({ module: s.module, connection: s.connection, state: "closed" as const }))
}

// ---------------------------------------------------------------- console app and viewers

interface Console {
  readonly hub: LiveHub
  readonly app: ConsoleApp
  readonly server: Server
  readonly url: string
}

const kafka = new Kafka({ clientId: "bench-console", brokers: ["127.0.0.1:9"], logLevel: logLevel.NOTHING })
const topics = { input: "webhooks", results: "webhooks.results", dlq: "webhooks.dlq" }

const startConsole = async (hub: LiveHub): Promise<Console> => {
  const app = await makeConsoleApp({
    access: { _tag: "Open" },
    mode: "processor",
    hub,
    kafka,
    topics,
    streams: () => [],
    jobs: makeReplayJobs(kafka, topics, (effect) => Effect.runFork(effect)),
    runPromise: Effect.runPromise
  })
  const server = createServer(app.handler)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return { hub, app, server, url: `http://127.0.0.1:${port}/console/api/live` }
}

interface Viewer {
  frames: number
  bytes: number
  readonly abort: AbortController
}

/** One browser tab: a streaming fetch of the live feed, read as fast as it comes. */
const connectViewer = async (url: string): Promise<Viewer> => {
  const viewer: Viewer = { frames: 0, bytes: 0, abort: new AbortController() }
  const response = await fetch(url, { signal: viewer.abort.signal })
  if (response.body === null || response.status !== 200) throw new Error(`live feed answered ${response.status}`)
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let pending = ""
  const first = await reader.read()
  if (first.done) throw new Error("live feed ended at once")
  const read = async (chunk: Uint8Array | undefined): Promise<void> => {
    if (chunk === undefined) return
    viewer.bytes += chunk.byteLength
    pending += decoder.decode(chunk, { stream: true })
    const events = pending.split("\n\n")
    pending = events.pop() ?? ""
    for (const event of events) if (event.startsWith("data: ")) viewer.frames++
    const next = await reader.read().catch(() => ({ done: true as const, value: undefined }))
    if (!next.done) return read(next.value)
  }
  void read(first.value)
  return viewer
}

// ---------------------------------------------------------------- 1. per event

interface Config {
  readonly label: string
  /** `null`: the baseline the tapped configs of the same group are compared against */
  readonly viewers: number | null
  /** `prometheus`: the processor's real observer; `tap alone`: the hub over a no-op observer */
  readonly group: "prometheus" | "tap alone"
  /** events per measured batch (the tap alone is too fast for 25k to read well on the CPU clock) */
  readonly batch: number
  readonly observer: ProcessorMetrics
  readonly samples: Array<{
    readonly cpuNs: number
    readonly wallNs: number
    readonly bytes: number
    readonly gcs: number
  }>
}

let cursor = 0
const batch = (config: Config, count: number) => {
  // no garbage from before the batch: what the GCs inside it free was allocated inside it
  globalThis.gc?.()
  const profiler = new GCProfiler()
  profiler.start()
  const h0 = getHeapStatistics().used_heap_size
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const observer = config.observer
  for (let i = 0; i < count; i++) report(observer, pool[(cursor + i) % POOL] as SyntheticEvent)
  const t1 = process.hrtime.bigint()
  const cpu = process.cpuUsage(c0)
  const h1 = getHeapStatistics().used_heap_size
  const { statistics } = profiler.stop()
  cursor = (cursor + count) % POOL
  let freed = 0
  for (const s of statistics) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize
  return {
    cpuNs: ((cpu.user + cpu.system) * 1_000) / count,
    wallNs: Number(t1 - t0) / count,
    bytes: (h1 - h0 + freed) / count,
    gcs: statistics.length
  }
}

const breathe = () => new Promise<void>((resolve) => setImmediate(resolve))

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length === 0
    ? Number.NaN
    : sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
const round1 = (n: number) => Math.round(n * 10) / 10
const round3 = (n: number) => Math.round(n * 1_000) / 1_000

// ---------------------------------------------------------------- 2. per frame tick

interface Tick {
  /** process CPU, ms: gauges read, frame built (quantiles, tail, module totals) */
  readonly buildMs: number
  /** process CPU, ms: from the built frame to the last viewer's write (JSON once + N writes) */
  readonly shipMs: number
  /** process CPU, ms: JSON.stringify of the same frame, timed on its own */
  readonly serializeMs: number
  /** wall ms the tick held the event loop */
  readonly wallMs: number
  readonly frameBytes: number
  readonly events: number
}

/** process.cpuUsage: ns-exact on Linux (threadCpuUsage only moves at scheduler ticks) */
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1_000
}

/** Marks the three points of a frame tick on `hub`: returns the ticks seen and a stop function. */
const instrument = (hub: LiveHub) => {
  const ticks: Array<Tick> = []
  let start: { cpu: number; wall: bigint } | undefined
  let built: { cpu: number; frame: LiveFrame } | undefined
  const gauges = processorGauges(gaugeSources)
  // the gauges are read first thing in a tick (after the window's fold, a handful of map merges)
  const detach = hub.attach(() => {
    start = { cpu: cpuMs(), wall: process.hrtime.bigint() }
    return gauges()
  })
  // subscribed before any viewer: runs right after the frame is built, before it is serialized
  const before = hub.frames.subscribe((frame) => {
    if (start !== undefined) built = { cpu: cpuMs(), frame }
  })
  let after: Subscription | undefined
  return {
    ticks,
    /** subscribes the end marker: call once the viewers are connected, so it runs after their writes */
    arm: () => {
      after = hub.frames.subscribe(() => {
        const cpu = cpuMs()
        const wall = process.hrtime.bigint()
        if (start === undefined || built === undefined) return
        const frame = built.frame
        const s0 = cpuMs()
        let text = ""
        for (let r = 0; r < 10; r++) text = JSON.stringify(frame)
        const serializeMs = (cpuMs() - s0) / 10
        ticks.push({
          buildMs: built.cpu - start.cpu,
          shipMs: cpu - built.cpu,
          serializeMs,
          wallMs: Number(wall - start.wall) / 1e6,
          frameBytes: Buffer.byteLength(text),
          events: frame.events
        })
        start = undefined
        built = undefined
      })
    },
    stop: () => {
      detach()
      before.unsubscribe()
      after?.unsubscribe()
    }
  }
}

const feedFor = async (observer: ProcessorMetrics, seconds: number) => {
  const perTick = Math.round((FRAME_RATE * FEED_EVERY_MS) / 1_000)
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) report(observer, pool[(cursor + i) % POOL] as SyntheticEvent)
    cursor = (cursor + perTick) % POOL
  }, FEED_EVERY_MS)
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000))
  clearInterval(timer)
}

// ---------------------------------------------------------------- run

const main = async () => {
  const hubs = new Map<number, { hub: LiveHub; site: Console; probe: ReturnType<typeof instrument> }>()
  const configs: Array<Config> = []
  const add = (viewers: number | null, hub: LiveHub | undefined) => {
    for (const group of ["prometheus", "tap alone"] as const) {
      const base = group === "prometheus" ? processorMetrics(new Registry()) : noopMetrics
      configs.push({
        label:
          viewers === null
            ? group === "prometheus"
              ? "untapped ProcessorMetrics"
              : "no-op observer"
            : `${group === "prometheus" ? "tapped" : "tap alone"}, ${viewers} viewer${viewers === 1 ? "" : "s"}`,
        viewers,
        group,
        batch: group === "prometheus" ? BATCH : BATCH * 10,
        observer: hub === undefined ? base : tappedMetrics(base, hub),
        samples: []
      })
    }
  }
  add(null, undefined)
  add(0, makeLiveHub())
  const viewers: Array<Viewer> = []
  for (const n of VIEWERS) {
    const hub = makeLiveHub()
    const probe = instrument(hub)
    const site = await startConsole(hub)
    for (let i = 0; i < n; i++) viewers.push(await connectViewer(site.url))
    probe.arm()
    hubs.set(n, { hub, site, probe })
    add(n, hub)
  }
  for (const [n, { hub }] of hubs)
    if (!hub.active() || hub.connections() !== 1) throw new Error(`hub ${n}: not one shared pipeline`)

  // warm-up: every config reaches optimized code and its label children are cached
  for (const config of configs) for (let w = 0; w < 3; w++) batch(config, config.batch)
  // interleaved rounds, so a noisy neighbour hits every config alike
  for (let r = 0; r < ROUNDS; r++)
    for (const config of configs)
      for (let b = 0; b < Math.ceil(N / ROUNDS / config.batch); b++) {
        config.samples.push(batch(config, config.batch))
        await breathe()
      }

  const perEvent = configs.map((c) => {
    const base = configs.find((b) => b.group === c.group && b.viewers === null) as Config
    const baseNs = median(base.samples.map((s) => s.cpuNs))
    const baseBytes = median(base.samples.map((s) => s.bytes))
    const ns = median(c.samples.map((s) => s.cpuNs))
    const bytes = median(c.samples.map((s) => s.bytes))
    const cpu = c.samples.map((s) => s.cpuNs)
    return {
      observer: c.label,
      events: c.samples.length * c.batch,
      cpu_ns_per_event: round1(ns),
      tap_cpu_ns_per_event: c.viewers === null ? null : round1(ns - baseNs),
      cpu_ns_range: `${round1(Math.min(...cpu))}..${round1(Math.max(...cpu))}`,
      wall_ns_per_event: round1(median(c.samples.map((s) => s.wallNs))),
      heap_bytes_per_event: Math.round(bytes),
      tap_heap_bytes_per_event: c.viewers === null ? null : Math.round(bytes - baseBytes) + 0,
      gcs: c.samples.reduce((sum, s) => sum + s.gcs, 0)
    }
  })

  // frame ticks: one hub at a time, fed at FRAME_RATE, the other's pipeline idle
  const perFrame: Array<Record<string, number | string>> = [
    {
      viewers: 0,
      ticks: 0,
      note: "no pipeline: nothing subscribed, no timer (hub.active() false)"
    }
  ]
  for (const n of VIEWERS) {
    const entry = hubs.get(n)
    const config = configs.find((c) => c.viewers === n && c.group === "prometheus")
    if (entry === undefined || config === undefined) continue
    const seenBefore = viewers.map((v) => v.frames)
    entry.probe.ticks.length = 0
    await feedFor(config.observer, FRAME_SECONDS)
    const ticks = entry.probe.ticks.slice(1) // the first window started before the feed
    const build = median(ticks.map((t) => t.buildMs))
    const ship = median(ticks.map((t) => t.shipMs))
    const serialize = median(ticks.map((t) => t.serializeMs))
    const ownViewers = viewers.filter((_, i) => (n === 1 ? i === 0 : i >= 1))
    const delivered = ownViewers.map((v) => v.frames - (seenBefore[viewers.indexOf(v)] ?? 0))
    perFrame.push({
      viewers: n,
      ticks: ticks.length,
      events_per_frame: Math.round(median(ticks.map((t) => t.events))),
      frame_bytes: Math.round(median(ticks.map((t) => t.frameBytes))),
      build_ms: round3(build),
      serialize_ms: round3(serialize),
      deliver_ms: round3(Math.max(0, ship - serialize)),
      total_cpu_ms: round3(build + ship),
      total_cpu_ms_max: round3(Math.max(...ticks.map((t) => t.buildMs + t.shipMs))),
      total_wall_ms: round3(median(ticks.map((t) => t.wallMs))),
      frames_per_viewer: `${Math.min(...delivered)}..${Math.max(...delivered)}`
    })
  }

  const tick = (n: number) => perFrame.find((f) => f.viewers === n) ?? {}
  const num = (v: unknown) => (typeof v === "number" ? v : Number.NaN)
  const summary = {
    frame_cpu_ms_50_over_1: round3(num(tick(50)["total_cpu_ms"]) / num(tick(1)["total_cpu_ms"])),
    deliver_us_per_extra_viewer: round1(
      ((num(tick(50)["deliver_ms"]) - num(tick(1)["deliver_ms"])) * 1_000) / ((VIEWERS[1] ?? 2) - (VIEWERS[0] ?? 1))
    )
  }
  console.table(perEvent)
  console.table(perFrame)
  console.log(summary)
  mkdirSync("reports", { recursive: true })
  writeFileSync(
    "reports/bench-console.json",
    `${JSON.stringify(
      {
        node: process.version,
        cpus: (await import("node:os")).availableParallelism(),
        gc_exposed: typeof globalThis.gc === "function",
        events: N,
        dead_letter_share: round3(deadShare),
        chain: STEPS.map((s) => `${s.id}:${s.module}`),
        frame_feed_rate: FRAME_RATE,
        per_event: perEvent,
        per_frame: perFrame,
        summary
      },
      null,
      2
    )}\n`
  )

  for (const v of viewers) v.abort.abort()
  for (const { site, probe } of hubs.values()) {
    probe.stop()
    site.app.endStreams()
    site.server.close()
  }
  // the hubs' pipelines linger a minute after their last viewer (LiveHub's LINGER_MS)
  process.exit(0)
}

await main()
