/**
 * Replays started from the console: the same engine as `hookstream replay` (`replay()` in
 * src/replay/Replay.ts), never a second implementation. A dry run answers at once with the
 * count and what it would select; a real run becomes a job whose progress the page polls.
 * One real run at a time: two replays of overlapping selections would publish twice.
 *
 * Every real run is named, as `hookstream replay --name` (the page proposes
 * `console-<time>`): its DLQ position is committed with each batch, so a run stopped by the
 * process stopping continues where it stopped when started again with the same name (and
 * filter). The jobs live in the process: a page reloaded while one runs finds it in `list`
 * and shows its progress again.
 */
import { randomUUID } from "node:crypto"
import { Effect, Exit, type Fiber } from "effect"
import type { Kafka } from "kafkajs"
import { summarizeEntry } from "../dlq/DlqEntry.ts"
import { type DlqFilter, describeFilter } from "../dlq/DlqFilter.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import {
  isValidReplayName,
  type ReplayError,
  type ReplayProgress,
  type ReplaySummary,
  replay
} from "../replay/Replay.ts"

export interface ReplayRequest {
  readonly filter: DlqFilter
  /** the resumable replay's name (default `console-<time>`) */
  readonly name?: string
  /** the filter as the page sent it, so the page can start the same replay again */
  readonly query?: Readonly<Record<string, string>>
  readonly allModules: boolean
  readonly ratePerSecond?: number
  readonly maxReplays?: number
}

export interface ReplayJob {
  readonly id: string
  readonly name: string
  readonly filter: string
  readonly query: Readonly<Record<string, string>>
  readonly startedAt: number
  readonly state: "running" | "done" | "failed"
  readonly progress?: ReplayProgress
  readonly summary?: Omit<ReplaySummary, "sample">
  readonly error?: string
}

export interface ReplayJobs {
  readonly dryRun: (request: ReplayRequest) => Effect.Effect<ReturnType<typeof dryRunView>, KafkaError | ReplayError>
  /** `undefined` when a replay is already running; a string when the name is not valid */
  readonly start: (request: ReplayRequest) => ReplayJob | string | undefined
  /** the jobs of this process, newest first */
  readonly list: () => ReadonlyArray<ReplayJob>
  readonly get: (id: string) => ReplayJob | undefined
  readonly current: () => ReplayJob | undefined
}

const dryRunView = (summary: ReplaySummary) => ({
  matched: summary.matched,
  tooManyReplays: summary.tooManyReplays,
  undecodable: summary.undecodable,
  total: summary.total,
  selected: summary.selected,
  sample: summary.sample.map(summarizeEntry)
})

const errorText = (e: KafkaError | ReplayError) =>
  e._tag === "KafkaError" ? `Kafka failed (${e.operation}: ${e.message})` : e.message

/** `run` forks an Effect with the caller's services (its logger); the job's scope is the process's. */
export const makeReplayJobs = (
  kafka: Kafka,
  topics: { readonly dlq: string; readonly input: string },
  run: <A, E>(effect: Effect.Effect<A, E>) => Fiber.Fiber<A, E>
): ReplayJobs => {
  const jobs = new Map<string, ReplayJob>()
  let running: string | undefined
  const options = (request: ReplayRequest) => ({
    dlqTopic: topics.dlq,
    inputTopic: topics.input,
    filter: request.filter,
    allModules: request.allModules,
    ...(request.ratePerSecond === undefined ? {} : { ratePerSecond: request.ratePerSecond }),
    ...(request.maxReplays === undefined ? {} : { maxReplays: request.maxReplays })
  })
  const update = (id: string, patch: Partial<ReplayJob>) => {
    const job = jobs.get(id)
    if (job !== undefined) jobs.set(id, { ...job, ...patch })
  }
  return {
    dryRun: (request) =>
      replay(kafka, { ...options(request), dryRun: true, sampleSize: 10 }).pipe(Effect.map(dryRunView)),
    start: (request) => {
      const startedAt = Date.now()
      const name = request.name ?? `console-${new Date(startedAt).toISOString().replace(/[-:]/g, "").slice(0, 15)}`
      if (!isValidReplayName(name)) return `name: letters, digits, '.', '_' and '-' only (1–100), got '${name}'`
      if (running !== undefined) return undefined
      const id = randomUUID()
      const job: ReplayJob = {
        id,
        name,
        filter: describeFilter(request.filter),
        query: request.query ?? {},
        startedAt,
        state: "running"
      }
      jobs.set(id, job)
      // the newest few are enough to show; older finished jobs go
      for (const old of [...jobs.keys()].slice(0, -20)) jobs.delete(old)
      running = id
      const fiber = run(
        replay(kafka, { ...options(request), name, onProgress: (progress) => update(id, { progress }) }).pipe(
          Effect.tap((summary) =>
            Effect.logInfo("console replay finished", {
              name,
              filter: job.filter,
              published: summary.published,
              matched: summary.matched
            })
          )
        )
      )
      fiber.addObserver((exit) => {
        running = undefined
        if (Exit.isSuccess(exit)) {
          const { sample: _sample, ...summary } = exit.value
          update(id, { state: "done", summary, progress: summary })
        } else {
          const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
          update(id, {
            state: "failed",
            error: failure?._tag === "Fail" ? errorText(failure.error) : "interrupted or crashed"
          })
        }
      })
      return job
    },
    get: (id) => jobs.get(id),
    list: () => [...jobs.values()].reverse(),
    current: () => (running === undefined ? undefined : jobs.get(running))
  }
}
