/**
 * What asks for a config reload: a change under the watched paths (chokidar), or SIGHUP.
 * Editors save in several steps (write a temporary file, rename it over the old one, touch
 * a swap file), and Kubernetes swaps a ConfigMap volume's `..data` symlink: so every event
 * under a watched path counts, and a burst of them becomes one request `debounceMs` after
 * the last. A request that changed nothing is cheap: the reload sees the same version and
 * does nothing.
 */
import { watch } from "chokidar"
import { Effect, type Scope } from "effect"

export interface ConfigWatchOptions {
  /** quiet time after the last event before the reload is asked for (default 300 ms) */
  readonly debounceMs?: number
  /** watch the files (default true); SIGHUP asks for a reload either way */
  readonly files?: boolean
  /** the watcher failed (a directory removed, too many watches): SIGHUP still works */
  readonly onError?: (message: string) => void
}

export interface ConfigWatch {
  /** more paths to watch (the files a new config was read from); already watched ones are ignored */
  readonly add: (paths: ReadonlyArray<string>) => void
}

export const DEFAULT_RELOAD_DEBOUNCE_MS = 300

/**
 * Calls `request(why)` once per burst of changes under `paths`, and once per SIGHUP.
 * Everything it set up is undone when the scope closes.
 */
export const watchConfig = (
  paths: ReadonlyArray<string>,
  request: (why: string) => void,
  options: ConfigWatchOptions = {}
): Effect.Effect<ConfigWatch, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const debounceMs = options.debounceMs ?? DEFAULT_RELOAD_DEBOUNCE_MS
      let timer: ReturnType<typeof setTimeout> | undefined
      let firstChange: string | undefined
      const changed = (path: string) => {
        firstChange ??= path
        if (timer !== undefined) clearTimeout(timer)
        timer = setTimeout(() => {
          const why = `changed: ${firstChange}`
          timer = undefined
          firstChange = undefined
          request(why)
        }, debounceMs)
      }
      const onHangup = () => request("SIGHUP")
      // a listener replaces Node's default for SIGHUP (exit): a hang-up reloads instead
      process.on("SIGHUP", onHangup)
      const watched = new Set<string>(paths)
      const watcher =
        options.files === false
          ? undefined
          : watch([...watched], {
              ignoreInitial: true,
              // a stream directory is read without recursion, so it is watched the same way
              depth: 0,
              // a file is read only once its size has stopped changing
              awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 }
            })
      watcher?.on("all", (_event, path) => changed(path))
      watcher?.on("error", (error) => options.onError?.(error instanceof Error ? error.message : String(error)))
      // changes are reported from the end of the initial scan on: wait for it, so none made after start is missed
      if (watcher !== undefined) await new Promise<void>((resolve) => watcher.once("ready", () => resolve()))
      const add = (more: ReadonlyArray<string>) => {
        const fresh = more.filter((p) => !watched.has(p))
        for (const p of fresh) watched.add(p)
        if (fresh.length > 0) watcher?.add(fresh)
      }
      return {
        add,
        close: async () => {
          process.removeListener("SIGHUP", onHangup)
          if (timer !== undefined) clearTimeout(timer)
          await watcher?.close()
        }
      }
    }),
    (handle) => Effect.promise(() => handle.close())
  ).pipe(Effect.map((handle): ConfigWatch => ({ add: handle.add })))
