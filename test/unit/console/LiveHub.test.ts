import { EventEmitter } from "node:events"
import type { ServerResponse } from "node:http"
import { firstValueFrom, map, type Subscription, skip, take, toArray } from "rxjs"
import { afterEach, describe, expect, it } from "vitest"
import type { LiveFrame } from "../../../src/console/LiveFrame.ts"
import { makeLiveHub, processorGauges } from "../../../src/console/LiveHub.ts"
import { MAX_BUFFERED_BYTES, streamEvents } from "../../../src/console/sse.ts"
import type { ChainOutcome, ModuleStatus } from "../../../src/domain/Outcome.ts"

const outcome = (status: ChainOutcome["status"], ms: number): ChainOutcome => ({
  status,
  startedAt: 1_000,
  finishedAt: 1_000 + ms,
  modules: [
    { id: "crm", module: "http", status: status === "succeeded" ? "succeeded" : "failed", attempts: 1, duration_ms: ms }
  ]
})

const chain = (statuses: Record<string, ModuleStatus>, ms = 10): ChainOutcome => ({
  status: Object.values(statuses).every((s) => s === "succeeded") ? "succeeded" : "failed",
  startedAt: 0,
  finishedAt: ms,
  modules: Object.entries(statuses).map(([id, status]) => ({
    id,
    module: "http",
    status,
    attempts: status === "skipped" ? 0 : 1,
    duration_ms: status === "skipped" ? 0 : ms
  }))
})

const subscriptions: Array<Subscription> = []
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.unsubscribe()
})

describe("LiveHub", () => {
  it("does nothing while nobody watches: the tap returns at once and no pipeline runs", () => {
    const hub = makeLiveHub({ windowMs: 20 })
    for (let i = 0; i < 10_000; i++) hub.chainFinished("orders", outcome("succeeded", 3), `e${i}`)
    expect(hub.active()).toBe(false)
    expect(hub.connections()).toBe(0)
  })

  it("counts per-step totals from the start, with no page open: a page opened later sees every run, skipped apart", async () => {
    const hub = makeLiveHub({ windowMs: 20 })
    hub.chainFinished("payments", chain({ ledger: "succeeded", cache: "succeeded" }, 4), "e1")
    hub.chainFinished("payments", chain({ ledger: "failed", cache: "skipped" }, 8), "e2")
    expect(hub.active()).toBe(false)
    // the first viewer arrives after both events
    const frame = await firstValueFrom(hub.frames.pipe(take(1)))
    expect(frame.modules["payments/ledger"]).toEqual({ runs: 2, succeeded: 1, skipped: 0, meanMs: 6 })
    expect(frame.modules["payments/cache"]).toEqual({ runs: 1, succeeded: 1, skipped: 1, meanMs: 4 })
  })

  it("shares one pipeline between many viewers, each getting the same frames", async () => {
    const hub = makeLiveHub({ windowMs: 30 })
    const received: Array<Array<LiveFrame>> = Array.from({ length: 50 }, () => [])
    for (const list of received) subscriptions.push(hub.frames.subscribe((f) => list.push(f)))
    expect(hub.connections()).toBe(1)
    hub.chainFinished("orders", outcome("succeeded", 4), "e1")
    hub.chainFinished("orders", outcome("failed", 9), "e2")
    hub.deadLettered("chain_failed")
    const frame = await firstValueFrom(hub.frames.pipe(take(1)))
    const withEvents = received[0]?.find((f) => f.events > 0) ?? frame
    expect(withEvents.events).toBe(2)
    expect(withEvents.byStatus).toEqual({ succeeded: 1, failed: 1 })
    expect(withEvents.deadLetters).toBe(1)
    expect(withEvents.tail.map((o) => o.eventId)).toEqual(["e2", "e1"])
    expect(withEvents.modules["orders/crm"]).toEqual({ runs: 2, succeeded: 1, skipped: 0, meanMs: 6.5 })
    expect(hub.connections()).toBe(1)
    const counts = new Set(received.map((list) => list.length))
    expect(counts.size).toBeLessThanOrEqual(2) // the last frame may be mid-delivery
  })

  it("keeps a frame bounded whatever the rate, and a slow viewer never holds the tap", async () => {
    const hub = makeLiveHub({ windowMs: 200 })
    // a viewer that takes 50 ms per frame (a page stuck rendering)
    subscriptions.push(
      hub.frames.subscribe(() => {
        const until = Date.now() + 50
        while (Date.now() < until) {
          // busy
        }
      })
    )
    const frames = firstValueFrom(hub.frames.pipe(take(2), toArray()))
    const started = performance.now()
    for (let i = 0; i < 200_000; i++) hub.chainFinished("orders", outcome("succeeded", i % 100), `e${i}`)
    const tapMs = performance.now() - started
    // ~1 µs per event on a loaded 2-core machine; the bound only catches a tap that waits or copies
    expect(tapMs).toBeLessThan(2_000)
    const [a, b] = await frames
    // every event counted, none queued for the slow viewer
    expect((a?.events ?? 0) + (b?.events ?? 0)).toBe(200_000)
    for (const f of [a, b]) {
      expect(f?.tail.length ?? 0).toBeLessThanOrEqual(25)
      expect(JSON.stringify(f).length).toBeLessThan(64 * 1024)
    }
  })

  it("replays recent frames to a viewer that joins late", async () => {
    const hub = makeLiveHub({ windowMs: 20 })
    subscriptions.push(hub.frames.subscribe())
    await firstValueFrom(hub.frames.pipe(skip(3), take(1)))
    const late: Array<LiveFrame> = []
    subscriptions.push(hub.frames.subscribe((f) => late.push(f)))
    expect(late.length).toBeGreaterThanOrEqual(3)
  })
})

class FakeResponse extends EventEmitter {
  writableLength = 0
  destroyed = false
  readonly chunks: Array<string> = []
  writeHead() {
    return this
  }
  write(chunk: string) {
    this.chunks.push(chunk)
    return true
  }
}

describe("server-sent events", () => {
  it("drop frames for a viewer whose socket is backed up, and unsubscribe when it closes", async () => {
    const hub = makeLiveHub({ windowMs: 20 })
    const response = new FakeResponse()
    const stats = streamEvents(response as unknown as ServerResponse, hub.frames.pipe(map((f) => JSON.stringify(f))))
    await firstValueFrom(hub.frames.pipe(skip(1), take(1)))
    expect(stats.sent).toBeGreaterThan(0)
    response.writableLength = MAX_BUFFERED_BYTES + 1
    const sent = stats.sent
    await firstValueFrom(hub.frames.pipe(skip(2), take(1)))
    expect(stats.sent).toBe(sent)
    expect(stats.dropped).toBeGreaterThan(0)
    response.emit("close")
    expect(hub.active()).toBe(true) // lingers for a reload
    expect(response.chunks.every((c) => c.startsWith(":") || c.startsWith("data: {"))).toBe(true)
  })

  it("shows each destination once: slots and queue from the engine, held deferrals and their age from the deferred path, its circuit; busiest first", async () => {
    const hub = makeLiveHub({ windowMs: 20 })
    const now = () => 100_000
    hub.attach(
      processorGauges(
        {
          destinations: () => [
            { module: "http", connection: "crm", inFlight: 8, queued: 64 },
            { module: "postgresql", connection: "main", inFlight: 2, queued: 0 }
          ],
          circuits: () => [{ module: "http", connection: "crm", state: "open" }]
        },
        now
      )
    )
    hub.attach(
      processorGauges(
        {
          oldestDeferred: () => [
            { module: "http", connection: "crm", deferredAt: 70_000, held: 120 },
            { module: "redis", connection: "cache", deferredAt: 99_000, held: 1 }
          ]
        },
        now
      )
    )
    subscriptions.push(hub.frames.subscribe())
    hub.deferred("destination_congested")
    hub.deferred("destination_congested")
    hub.deferred("circuit_open")
    const frame = await firstValueFrom(hub.frames.pipe(take(1)))
    expect(frame.gauges.destinations).toEqual([
      {
        module: "http",
        connection: "crm",
        inFlight: 8,
        queued: 64,
        deferred: 120,
        oldestDeferredMs: 30_000,
        circuit: "open"
      },
      {
        module: "redis",
        connection: "cache",
        inFlight: 0,
        queued: 0,
        deferred: 1,
        oldestDeferredMs: 1_000,
        circuit: "closed"
      },
      {
        module: "postgresql",
        connection: "main",
        inFlight: 2,
        queued: 0,
        deferred: 0,
        oldestDeferredMs: null,
        circuit: "closed"
      }
    ])
    expect(frame.deferred).toBe(3)
    expect(frame.byDeferral).toEqual({ destination_congested: 2, circuit_open: 1 })
  })
})
