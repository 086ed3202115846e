/**
 * How the processor's own cost grows (`npm run bench:curves`, and the `curves` section of
 * `npm run bench`): CPU µs and heap bytes per event through PartitionWorker → handleRecord →
 * engine → outcome records (no Kafka: what is left of a scenario's CPU is the client's),
 * against the chain's length (1, 3, 10, 20 steps, 1 KB payload) and the payload's size (1 KB,
 * 64 KB, 1 MB, 3 steps and 10 steps). Two chains per point: immediate steps (the log step) and
 * steps that may wait (the general path: a slot, an attempt timer, a retry policy).
 *
 * What it must show: the cost per step is flat (no step pays for the others), and a payload's
 * size costs once per event (its parse), not once per step: the payload is shared, never copied.
 *
 *   node --expose-gc bench/curves.ts [--json] [--quick]
 */
import { Effect, Layer } from "effect"
import type { ChainPlan, ModulePlan } from "../src/domain/ChainPlan.ts"
import { ChainEngine } from "../src/engine/ChainEngine.ts"
import type { InputRecord } from "../src/kafka/InputRecord.ts"
import type { Destination } from "../src/modules/Destination.ts"
import { tracingDisabled } from "../src/observability/tracing.ts"
import { handleRecord, type RunnableStream } from "../src/processor/handleRecord.ts"
import { PartitionWorker } from "../src/processor/PartitionWorker.ts"
import { allocatedBytes } from "./harness/allocatedBytes.ts"

const IN_FLIGHT = 256

export interface CurvePoint {
  readonly steps: number
  readonly payload_bytes: number
  readonly immediate: boolean
  readonly cpu_us_per_event: number
  readonly bytes_per_event: number
}

const step = (index: number): ModulePlan => ({
  id: `s${index}`,
  module: "log",
  index,
  timeoutMs: 5_000,
  retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: true },
  config: {},
  guard: { key: `curve/s${index}`, maxInFlight: 1_024, maxQueued: 1_024, failureThreshold: 5, cooldownMs: 30_000 }
})

/** `bytes` of JSON payload: an order with a padding field */
const payloadOf = (bytes: number, seq: number) => ({
  order_id: seq,
  customer: { id: `c${seq % 1_000}` },
  note: "x".repeat(Math.max(0, bytes - 60))
})

const recordsFor = (count: number, payloadBytes: number): ReadonlyArray<InputRecord> =>
  Array.from({ length: count }, (_, i) => ({
    topic: "in",
    partition: 0,
    offset: String(i),
    key: Buffer.from(`k${i % 10_000}`),
    value: Buffer.from(JSON.stringify({ webhook_id: "curve", id: `evt-${i}`, payload: payloadOf(payloadBytes, i) })),
    headers: {},
    timestamp: 0
  }))

const pointRunner = (steps: number, immediate: boolean) => {
  const plan: ChainPlan = {
    webhookId: "curve",
    execution: "sequential",
    continueOnError: false,
    timeoutMs: 30_000,
    maxParallel: steps,
    modules: Array.from({ length: steps }, (_, i) => step(i))
  }
  const noop: Destination = immediate
    ? { send: () => Effect.succeed({}), immediate: true }
    : { send: () => Effect.succeed({}) }
  const engine = ChainEngine.make()
  const streams = new Map<string, RunnableStream>([
    ["curve", { chain: engine.bind(plan, () => noop), maxPayloadBytes: 2_000_000 }]
  ])
  const ctx = { streams, engine, topics: { results: "out", dlq: "dlq" }, now: Date.now }
  return (records: ReadonlyArray<InputRecord>) =>
    Effect.gen(function* () {
      let done = 0
      let wake: (() => void) | undefined
      const worker = yield* PartitionWorker.make(0, Number(records[0]?.offset ?? 0), {
        handle: (record) => handleRecord(ctx, record),
        publish: (_outputs, onAcked) => onAcked(),
        onDone: () => {
          done++
          wake?.()
        }
      })
      let next = 0
      while (done < records.length) {
        while (next < records.length && next - done < IN_FLIGHT) worker.accept(records[next++] as InputRecord)
        if (next < records.length && next - done < IN_FLIGHT) continue
        if (done >= records.length) break
        yield* Effect.callback<void>((resume) => {
          wake = () => {
            wake = undefined
            resume(Effect.void)
          }
        })
      }
      yield* worker.close
    }).pipe(Effect.provide(Layer.mergeAll(tracingDisabled)))
}

const gc = (globalThis as { gc?: () => void }).gc

export const measurePoint = async (
  steps: number,
  payloadBytes: number,
  immediate: boolean,
  scale = 1
): Promise<CurvePoint> => {
  // fewer events for big payloads: the same few seconds of work per point
  const count = Math.ceil((payloadBytes >= 1_000_000 ? 300 : payloadBytes >= 64_000 ? 3_000 : 20_000) * scale)
  const run = pointRunner(steps, immediate)
  const records = recordsFor(count, payloadBytes)
  const warm = records.slice(0, Math.ceil(count / 4))
  // offsets must grow: a fresh worker per run starts at the run's first offset
  await Effect.runPromise(run(warm))
  gc?.()
  const measured = records.slice(Math.ceil(count / 4))
  const cpu0 = process.cpuUsage()
  await Effect.runPromise(run(measured))
  const cpu = process.cpuUsage(cpu0)
  const sample = records.slice(0, Math.min(2_000, Math.ceil(count / 4)))
  const bytes = await allocatedBytes(() => Effect.runPromise(run(sample)))
  return {
    steps,
    payload_bytes: payloadBytes,
    immediate,
    cpu_us_per_event: Number(((cpu.user + cpu.system) / measured.length).toFixed(2)),
    bytes_per_event: Math.round(bytes / sample.length)
  }
}

export const CHAIN_LENGTHS = [1, 3, 10, 20] as const
export const PAYLOADS = [1_024, 65_536, 1_048_576] as const

/** `scale` < 1: fewer events per point (the quick run) */
export const measureCurves = async (scale = 1): Promise<ReadonlyArray<CurvePoint>> => {
  const points: Array<CurvePoint> = []
  // The process's first events compile the whole path: a point's own warm quarter is not enough
  // for the first point (1 step measured 26 µs/event against 17 for 3 steps). One discarded
  // point of each kind first, so every recorded point meets warm code.
  for (const immediate of [true, false]) await measurePoint(3, 1_024, immediate, scale)
  for (const immediate of [true, false]) {
    for (const steps of CHAIN_LENGTHS) points.push(await measurePoint(steps, 1_024, immediate, scale))
    for (const payload of PAYLOADS.slice(1))
      for (const steps of [3, 10]) points.push(await measurePoint(steps, payload, immediate, scale))
  }
  return points
}

if (import.meta.main) {
  const points = await measureCurves(process.argv.includes("--quick") ? 0.1 : 1)
  if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(points)}\n`)
  else console.table(points)
}
