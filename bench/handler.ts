/**
 * Per-event cost of the processor's own path, without Kafka: N input records (the bench's
 * event shape) through PartitionWorker → handleRecord → engine (3 no-op modules) → outcome
 * records, with a publish that acknowledges at once. What is left of `npm run bench`'s
 * noop_chain_seq CPU per event after this is the Kafka client's (fetch decode, produce
 * encode) and the network. Reports µs per event, and heap bytes allocated per event
 * (V8's sampling heap profiler over 5,000 events, bench/harness/allocatedBytes.ts).
 *
 *   node --expose-gc bench/handler.ts [events] [sequential|parallel]
 *   node --cpu-prof --cpu-prof-dir=reports/profiles bench/handler.ts
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
import { benchEventValue } from "./harness/benchEvent.ts"

const N = Number(process.argv[2] ?? 200_000)
const execution = (process.argv[3] ?? "sequential") as "sequential" | "parallel"
const IN_FLIGHT = 256

const step = (id: string, index: number): ModulePlan => ({
  id,
  module: "log",
  index,
  timeoutMs: 5_000,
  retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: true },
  config: {},
  guard: { key: `bench/${id}`, maxInFlight: 256, maxQueued: 256, failureThreshold: 5, cooldownMs: 30_000 }
})
const plan: ChainPlan = {
  webhookId: "bench",
  execution,
  continueOnError: false,
  timeoutMs: 30_000,
  maxParallel: 3,
  modules: ["a", "b", "c"].map(step)
}
const noop: Destination = { send: () => Effect.succeed({}), immediate: true }
const engine = ChainEngine.make()
const streams = new Map<string, RunnableStream>([
  ["bench", { chain: engine.bind(plan, () => noop), maxPayloadBytes: 1_048_576 }]
])
const ctx = { streams, engine, topics: { results: "out", dlq: "dlq" }, now: Date.now }

const records: Array<InputRecord> = Array.from({ length: N }, (_, i) => ({
  topic: "in",
  partition: 0,
  offset: String(i),
  key: Buffer.from(`k${i % 10_000}`),
  value: Buffer.from(benchEventValue(i, Date.now())),
  headers: { "x-correlation-id": String(Date.now()) },
  timestamp: Date.now()
}))

const run = (from: number, to: number) =>
  Effect.gen(function* () {
    let done = 0
    let wake: (() => void) | undefined
    let bytes = 0
    const worker = yield* PartitionWorker.make(0, from, {
      handle: (record) => handleRecord(ctx, record),
      publish: (outputs, onAcked) => {
        for (const o of outputs) bytes += o.value.length
        onAcked()
      },
      onDone: () => {
        done++
        wake?.()
      }
    })
    let next = from
    while (done < to - from) {
      while (next < to && next - from - done < IN_FLIGHT) worker.accept(records[next++] as InputRecord)
      if (next < to && next - from - done < IN_FLIGHT) continue
      if (done >= to - from) break
      yield* Effect.callback<void>((resume) => {
        wake = () => {
          wake = undefined
          resume(Effect.void)
        }
      })
    }
    yield* worker.close
    return bytes
  })

const gc = (globalThis as { gc?: () => void }).gc
const measure = async (from: number, to: number) => {
  gc?.()
  const heap0 = process.memoryUsage().heapUsed
  const t0 = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  await Effect.runPromise(run(from, to).pipe(Effect.provide(Layer.mergeAll(tracingDisabled))))
  const cpu = process.cpuUsage(cpu0)
  const ns = Number(process.hrtime.bigint() - t0)
  return {
    events: to - from,
    us_per_event: +(ns / 1000 / (to - from)).toFixed(2),
    cpu_us_per_event: +((cpu.user + cpu.system) / (to - from)).toFixed(2),
    heap_delta_mb: +((process.memoryUsage().heapUsed - heap0) / 1048576).toFixed(1)
  }
}

/** heap bytes allocated per event, from the sampling heap profiler */
const allocated = async (from: number, count: number) =>
  Math.round(
    (await allocatedBytes(() =>
      Effect.runPromise(run(from, from + count).pipe(Effect.provide(Layer.mergeAll(tracingDisabled))))
    )) / count
  )

const warm = Math.min(20_000, Math.floor(N / 5))
await measure(0, warm)
const row = await measure(warm, N - 5_000)
console.table([{ ...row, bytes_per_event: await allocated(N - 5_000, 5_000) }])
