/**
 * Engine micro-benchmark: the cost per chain of a 3-module no-op chain, sequential and
 * parallel, with the deadline, per-attempt timeouts, guard and retry policy in place, at 1
 * and at 256 chains in flight, plus the heap allocated per chain. A baseline runs the same
 * three no-op sends through a bare `Effect.forEach` in the same process, so the numbers
 * read as "engine overhead over plain Effect".
 *
 *   npm run bench:engine            (writes reports/bench-engine.json)
 *   BENCH_TRACING=otel npm run bench:engine
 *
 * BENCH_TRACING: `off` (default; what the processor runs with when no OTEL exporter is
 * configured), `otel` (the OpenTelemetry SDK behind Effect's tracer, every span sampled and
 * handed to a batch processor whose exporter drops it: the recording cost without network
 * I/O), or `native` (Effect's built-in tracer, which records nothing anywhere).
 *
 * Allocation is measured with V8's sampling heap profiler (bench/harness/allocatedBytes.ts).
 *
 * Expression rows (docs/expressions.md): the sequential chain with a CEL `when` on each of its
 * three steps (true, so every step still runs), and with a JSONata `transform` on one step;
 * `expr_us` is the difference to the plain chain per condition / per transform. Micro rows time
 * one condition and one transform alone (no engine): the transform once in the synchronous fast
 * path's subset (src/expressions/jsonataFastPath.ts), once with a function call (jsonata itself).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"
import type { ChainPlan, ModulePlan } from "../src/domain/ChainPlan.ts"
import type { Condition, StepShape } from "../src/domain/Expression.ts"
import type { BoundChain, ChainInput } from "../src/engine/BoundChain.ts"
import { ChainEngine } from "../src/engine/ChainEngine.ts"
import { compileCondition } from "../src/expressions/celCondition.ts"
import { expressionContext } from "../src/expressions/expressionContext.ts"
import { compileStepShape } from "../src/expressions/stepShape.ts"
import type { Destination } from "../src/modules/Destination.ts"
import { tracingDisabled, tracingWith } from "../src/observability/tracing.ts"
import { allocatedBytes } from "./harness/allocatedBytes.ts"

const N = Number(process.env.BENCH_N ?? 30_000)
const TRACING = process.env.BENCH_TRACING ?? "off"

const dropExporter: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve()
}
const tracing =
  TRACING === "otel"
    ? tracingWith([
        new BatchSpanProcessor(dropExporter, {
          maxQueueSize: 65_536,
          maxExportBatchSize: 4_096,
          scheduledDelayMillis: 50
        })
      ])
    : TRACING === "native"
      ? Layer.empty
      : tracingDisabled
const ROUNDS = 3

const noop: Destination = { send: () => Effect.succeed({}) }
/** the same no-op as the log step is: a send that neither waits nor fails (Destination.immediate) */
const immediate: Destination = { ...noop, immediate: true }

const step = (id: string, index: number): ModulePlan => ({
  id,
  module: "log",
  index,
  timeoutMs: 5_000,
  retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 5_000, multiplier: 2, jitter: true },
  config: Object.freeze({}),
  guard: { key: `bench/${id}`, maxInFlight: 1_000_000, maxQueued: 1_000_000, failureThreshold: 5, cooldownMs: 30_000 }
})

const plan = (execution: "sequential" | "parallel"): ChainPlan => ({
  webhookId: "bench",
  execution,
  continueOnError: false,
  timeoutMs: 30_000,
  maxParallel: 3,
  modules: ["a", "b", "c"].map(step)
})

const event: ChainInput = {
  eventId: "e",
  payload: { a: 1, type: "order.created", order: { id: "o-1", total: 1250, customer: { id: "c-9" } } },
  payloadEncoding: "json",
  headers: { "x-event-type": "order.created" }
}

const CONDITION = 'payload.type == "order.created"'
const TRANSFORM = '{ "id": order.id, "customer": order.customer.id, "total": order.total / 100 }'

const condition = (path: string): Condition => {
  const compiled = compileCondition(CONDITION, path)
  if ("problem" in compiled) throw new Error(compiled.problem.message)
  return compiled.ok
}
// outside the fast path's subset (a function call): what jsonata itself costs
const TRANSFORM_JSONATA = '{ "id": order.id, "kind": $uppercase(type), "total": order.total / 100 }'

const transform = (source = TRANSFORM): StepShape => {
  const compiled = compileStepShape({ transform: source, path: "chain.0", maxBodyBytes: 1_048_576 })
  if (compiled.shape === undefined) throw new Error(JSON.stringify(compiled.problems))
  return compiled.shape
}

const engine = ChainEngine.make()
const sequential = plan("sequential")
const chains: Record<string, BoundChain> = {
  sequential: engine.bind(sequential, () => noop),
  parallel: engine.bind(plan("parallel"), () => noop),
  "sequential, immediate steps": engine.bind(sequential, () => immediate),
  "sequential, a when per step": engine.bind(
    { ...sequential, modules: sequential.modules.map((m, i) => ({ ...m, when: condition(`chain.${i}.when`) })) },
    () => noop
  ),
  "sequential, one transform": engine.bind(
    { ...sequential, modules: sequential.modules.map((m, i) => (i === 0 ? { ...m, shape: transform() } : m)) },
    () => noop
  )
}

const baseline = (execution: string): Effect.Effect<unknown, unknown> => {
  const sends = [0, 1, 2]
  return execution === "parallel"
    ? Effect.forEach(sends, () => noop.send(undefined as never), { concurrency: 3, discard: true })
    : Effect.forEach(sends, () => noop.send(undefined as never), { discard: true })
}

const measure = (label: string, once: () => Effect.Effect<unknown, unknown>, inFlight: number) =>
  Effect.gen(function* () {
    const program =
      inFlight === 1
        ? Effect.gen(function* () {
            for (let i = 0; i < N; i++) yield* once()
          })
        : Effect.forEach(Array.from({ length: N }), once, { concurrency: inFlight, discard: true })
    yield* program // warm-up
    const samples: Array<number> = []
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now()
      yield* program
      samples.push(((performance.now() - t0) * 1_000) / N)
    }
    samples.sort((a, b) => a - b)
    // allocation: a smaller run under the sampling heap profiler
    const allocN = Math.min(N, 5_000)
    const allocProgram =
      inFlight === 1
        ? Effect.gen(function* () {
            for (let i = 0; i < allocN; i++) yield* once()
          })
        : Effect.forEach(Array.from({ length: allocN }), once, { concurrency: inFlight, discard: true })
    const context = yield* Effect.context<never>()
    const bytes =
      (yield* Effect.promise(() => allocatedBytes(() => Effect.runPromiseWith(context)(allocProgram)))) / allocN
    return {
      label,
      in_flight: inFlight,
      us_per_chain: Number((samples[1] ?? 0).toFixed(2)),
      bytes_per_chain: Math.round(bytes)
    }
  })

/** Per expression over the plain sequential chain at the same in-flight level. */
const EXPRESSIONS_PER_CHAIN: Record<string, number> = {
  "sequential, a when per step": 3,
  "sequential, one transform": 1
}

const context = expressionContext({
  payload: event.payload,
  headers: event.headers,
  webhookId: "bench",
  eventId: "e"
})
const micro = Effect.gen(function* () {
  const cond = condition("filter")
  const shape = transform()
  const slow = transform(TRANSFORM_JSONATA)
  const rows = []
  for (const [label, once] of [
    ["micro: one CEL condition", () => Effect.sync(() => cond.test(context))],
    ["micro: one JSONata transform (fast path)", () => shape.render(context)],
    ["micro: one JSONata transform (jsonata)", () => slow.render(context)]
  ] as const) {
    const m = yield* measure(label, once as () => Effect.Effect<unknown, unknown>, 1)
    rows.push({ ...m, baseline_us: 0, overhead_us: 0, expr_us: m.us_per_chain })
  }
  return rows
})

const main = Effect.gen(function* () {
  const rows = []
  const plain: Record<number, number> = {}
  for (const execution of Object.keys(chains)) {
    for (const inFlight of [1, 256]) {
      const bound = chains[execution] as BoundChain
      const base = execution === "parallel" ? "parallel" : "sequential"
      const e = yield* measure(`engine ${execution}`, () => engine.run(bound, event), inFlight)
      const b = yield* measure(`baseline ${base}`, () => baseline(base), inFlight)
      if (execution === "sequential") plain[inFlight] = e.us_per_chain
      const per = EXPRESSIONS_PER_CHAIN[execution]
      rows.push({
        ...e,
        baseline_us: b.us_per_chain,
        overhead_us: Number((e.us_per_chain - b.us_per_chain).toFixed(2)),
        ...(per === undefined ? {} : { expr_us: Number(((e.us_per_chain - (plain[inFlight] ?? 0)) / per).toFixed(2)) })
      })
    }
  }
  rows.push(...(yield* micro))
  return rows
})

const rows = await Effect.runPromise(main.pipe(Effect.provide(tracing)))
console.table(rows)
mkdirSync("reports", { recursive: true })
writeFileSync(
  "reports/bench-engine.json",
  `${JSON.stringify({ node: process.version, n: N, tracing: TRACING, gc_exposed: typeof globalThis.gc === "function", rows }, null, 2)}\n`
)
