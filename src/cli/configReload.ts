/**
 * Hot reload of the streams and connections (`hookstream run`, `hookstream ingress`): on a
 * change under the watched files or on SIGHUP, the files are loaded and validated with the
 * same code as `hookstream validate`. A config with any problem changes nothing: one log
 * line per problem (`<file>:<path>: <reason>`), `hookstream_config_reloads_total{result=
 * "rejected"}`, and the console shows it. A valid one is handed to `apply`, which swaps it in
 * atomically or fails (the old config then keeps running: `result="failed"`). Reloads run
 * one at a time; the same files twice are `unchanged` and cost nothing more.
 */
import { Effect, type FileSystem, type Path, Queue, Semaphore } from "effect"
import { formatIssue } from "../config/ConfigIssue.ts"
import type { Env } from "../config/EnvSubstitution.ts"
import { DEFAULT_STREAMS_DIR, validateStreams } from "../config/loadStreams.ts"
import type { RejectedReload, ReloadStatus } from "../config/ReloadStatus.ts"
import type { LoadedConfig } from "../config/StreamDefinition.ts"
import { watchConfig } from "../config/watchConfig.ts"
import { countReload, type ReloadResult, setConfigVersion } from "../observability/configMetrics.ts"
import { type ConfigSource, loadOptions } from "./loadConfigOrExit.ts"

export interface ConfigReloadOptions {
  /** who reloads: the label of its metrics and log lines */
  readonly component: "processor" | "ingress"
  readonly source: ConfigSource
  /** the config it started with */
  readonly initial: LoadedConfig
  /** makes `config` the one in use, atomically, or fails and changes nothing; answers fields for the log line */
  readonly apply: (config: LoadedConfig) => Effect.Effect<Record<string, unknown>, unknown>
  /** watch the files (SIGHUP reloads either way) */
  readonly watch: boolean
  readonly debounceMs?: number
  readonly env?: Env
}

export interface ConfigReloader {
  readonly status: () => ReloadStatus
  /** the config in use */
  readonly config: () => LoadedConfig
  /** reloads now (what a file change or SIGHUP does), after any reload already running */
  readonly reload: (why: string) => Effect.Effect<ReloadResult>
}

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error)

export const startConfigReload = Effect.fnUntraced(function* (options: ConfigReloadOptions) {
  const { component } = options
  let config = options.initial
  let status: ReloadStatus = {
    version: config.version,
    generation: 1,
    appliedAt: Date.now(),
    lastRejected: undefined
  }
  setConfigVersion(component, config.version, 1)
  const lock = yield* Semaphore.make(1)
  // reloads run from a watcher's callback or a test: with this fiber's file system and logger
  const context = yield* Effect.context<FileSystem.FileSystem | Path.Path>()
  const runFork = Effect.runForkWith(context)

  const reject = (why: string, problems: ReadonlyArray<string>, result: ReloadResult) =>
    Effect.gen(function* () {
      const rejected: RejectedReload = { at: Date.now(), why, problems }
      status = { ...status, lastRejected: rejected }
      countReload(component, result)
      for (const line of problems) yield* Effect.logError(line)
      yield* Effect.logError(
        result === "rejected"
          ? `config reload rejected: ${problems.length} problem(s); the running config (${config.version}) stays`
          : `config reload failed: the running config (${config.version}) stays`,
        { component, why }
      )
      return result
    })

  const reloadOnce = (why: string): Effect.Effect<ReloadResult> =>
    Effect.gen(function* () {
      const validation = yield* validateStreams(loadOptions(options.source, options.env))
      if (validation.config === undefined) return yield* reject(why, validation.issues.map(formatIssue), "rejected")
      const next = validation.config
      if (next.version === config.version) {
        countReload(component, "unchanged")
        yield* Effect.logDebug("config reload: files unchanged", { component, why, version: next.version })
        return "unchanged" as const
      }
      const applied = yield* Effect.exit(options.apply(next))
      if (applied._tag === "Failure") {
        const cause = applied.cause.reasons.map((r) => (r._tag === "Fail" ? describe(r.error) : String(r)))
        return yield* reject(why, cause, "failed")
      }
      const previous = config.version
      config = next
      status = { ...status, version: next.version, generation: status.generation + 1, appliedAt: Date.now() }
      setConfigVersion(component, next.version, status.generation, previous)
      countReload(component, "applied")
      for (const warning of next.warnings) yield* Effect.logWarning(formatIssue(warning))
      yield* Effect.logInfo("config reloaded", { component, why, from: previous, to: next.version, ...applied.value })
      watch?.add(next.files)
      return "applied" as const
    }).pipe(
      // reading the files is the only step that can die (a platform failure): counted as failed
      Effect.catchCause((cause) => reject(why, [String(cause)], "failed")),
      lock.withPermit,
      Effect.provideContext(context)
    )

  const requests = yield* Queue.sliding<string>(1)
  const watch = yield* watchConfig(
    [...(options.source.paths.length === 0 ? [DEFAULT_STREAMS_DIR] : options.source.paths), ...config.files],
    (why) => {
      Queue.offerUnsafe(requests, why)
    },
    {
      files: options.watch,
      ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
      onError: (message) => runFork(Effect.logWarning("config watcher failed; SIGHUP still reloads", { message }))
    }
  )
  yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(requests), reloadOnce)))

  const reloader: ConfigReloader = { status: () => status, config: () => config, reload: reloadOnce }
  return reloader
})
