/**
 * The reload driver on real files (a temporary streams directory, chokidar watching it): a
 * valid change is applied once per burst of writes, an invalid one changes nothing and is
 * reported line by line, the same files again are "unchanged", SIGHUP reloads, and a config
 * that validates but cannot be applied leaves the old one running.
 */
import { mkdtempSync, renameSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { Effect, Exit, Logger, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { type ConfigReloader, startConfigReload } from "../../../src/cli/configReload.ts"
import { loadStreams } from "../../../src/config/loadStreams.ts"
import type { LoadedConfig } from "../../../src/config/StreamDefinition.ts"
import { registry } from "../../../src/observability/metrics.ts"
import { waitFor } from "../../support/waitFor.ts"

const stream = (id: string, level = "info") => `id: ${id}\nchain:\n  - module: log\n    config: { level: ${level} }\n`

/** writes the way editors do: a temporary file renamed over the old one */
const save = (dir: string, name: string, text: string) => {
  const temp = join(dir, `.${name}.tmp`)
  writeFileSync(temp, text)
  renameSync(temp, join(dir, name))
}

const counter = async (component: string, result: string): Promise<number> => {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === "hookstream_config_reloads_total")
  const value = metric?.values.find((v) => v.labels["component"] === component && v.labels["result"] === result)
  return Number(value?.value ?? 0)
}

let scope: Scope.Closeable | undefined
afterEach(async () => {
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  scope = undefined
})

interface Started {
  readonly reloader: ConfigReloader
  readonly applied: Array<LoadedConfig>
  readonly dir: string
  readonly logs: Array<string>
}

const start = async (options: { failApply?: boolean; watch?: boolean } = {}): Promise<Started> => {
  const dir = mkdtempSync(join(tmpdir(), "hookstream-reload-"))
  writeFileSync(join(dir, "a.yaml"), stream("a"))
  const applied: Array<LoadedConfig> = []
  const logs: Array<string> = []
  const s = await Effect.runPromise(Scope.make())
  scope = s
  const program = Effect.gen(function* () {
    const initial = yield* loadStreams({ paths: [dir], env: {} })
    const reloader = yield* startConfigReload({
      component: "processor",
      source: { paths: [dir] },
      initial,
      watch: options.watch ?? true,
      debounceMs: 100,
      env: {},
      apply: (config) =>
        options.failApply === true
          ? Effect.fail(new Error("cannot reach the new database"))
          : Effect.sync(() => {
              applied.push(config)
              return { streams: config.streams.length }
            })
    })
    return reloader
  })
  const reloader = await Effect.runPromise(
    program.pipe(
      Effect.provide(NodeServices.layer),
      Effect.provideService(Scope.Scope, s),
      Effect.provide(
        Logger.layer([
          Logger.make(({ message }) => {
            logs.push([message].flat().map(String).join(" "))
          })
        ])
      )
    )
  )
  return { reloader, applied, dir, logs }
}

const reload = (started: Started, why: string) => Effect.runPromise(started.reloader.reload(why))

describe("config reload", () => {
  it("applies a valid change once per burst of writes, with the new version", async () => {
    const started = await start()
    const before = started.reloader.status()
    expect(before.generation).toBe(1)
    // three saves in quick succession (an editor's save, a formatter, a second save): one reload
    save(started.dir, "a.yaml", stream("a", "debug"))
    save(started.dir, "b.yaml", stream("b"))
    save(started.dir, "a.yaml", stream("a", "warn"))
    await waitFor(() => started.applied.length === 1, { timeoutMs: 10_000, description: "one reload applied" })
    const config = started.applied[0]
    expect(config?.streams.map((s) => s.plan.webhookId).sort()).toEqual(["a", "b"])
    const after = started.reloader.status()
    expect(after.generation).toBe(2)
    expect(after.version).toBe(config?.version)
    expect(after.version).not.toBe(before.version)
    expect(started.reloader.config()).toBe(config)
    expect(started.logs.some((l) => l.includes("config reloaded"))).toBe(true)
    // nothing else pending: no second apply for the same burst
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(started.applied.length).toBe(1)
  })

  it("rejects an invalid change: nothing applied, one log line per problem, counted, shown in the status", async () => {
    const started = await start()
    const rejectedBefore = await counter("processor", "rejected")
    save(started.dir, "a.yaml", "id: a\nchain:\n  - module: htp\n")
    await waitFor(() => started.reloader.status().lastRejected !== undefined, {
      timeoutMs: 10_000,
      description: "the rejection recorded"
    })
    expect(started.applied).toEqual([])
    const status = started.reloader.status()
    expect(status.generation).toBe(1)
    const problems = status.lastRejected?.problems ?? []
    expect(problems.length).toBeGreaterThan(0)
    // the same `<file>:<path>: <reason>` lines as `hookstream validate`
    expect(problems[0]).toBe(
      `${join(started.dir, "a.yaml")}:chain.0.module: unknown module 'htp' (did you mean 'http'?)`
    )
    for (const line of problems) expect(started.logs).toContain(line)
    expect(started.logs.some((l) => l.startsWith("config reload rejected"))).toBe(true)
    expect(await counter("processor", "rejected")).toBe(rejectedBefore + 1)
    // the running config is still the first one
    expect(started.reloader.config().streams[0]?.plan.modules[0]?.module).toBe("log")
  })

  it("answers unchanged for the same files, and reloads on SIGHUP", async () => {
    const started = await start({ watch: false })
    const unchangedBefore = await counter("processor", "unchanged")
    expect(await reload(started, "test")).toBe("unchanged")
    expect(await counter("processor", "unchanged")).toBe(unchangedBefore + 1)
    // not watching: a change waits for SIGHUP
    writeFileSync(join(started.dir, "a.yaml"), stream("a", "error"))
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(started.applied).toEqual([])
    process.kill(process.pid, "SIGHUP")
    await waitFor(() => started.applied.length === 1, { timeoutMs: 10_000, description: "applied on SIGHUP" })
    expect(started.logs.some((l) => l.includes("config reloaded"))).toBe(true)
  })

  it("keeps the old config when applying a valid one fails", async () => {
    const started = await start({ failApply: true, watch: false })
    const failedBefore = await counter("processor", "failed")
    writeFileSync(join(started.dir, "a.yaml"), stream("a", "debug"))
    expect(await reload(started, "test")).toBe("failed")
    const status = started.reloader.status()
    expect(status.generation).toBe(1)
    expect(status.lastRejected?.problems.join(" ")).toContain("cannot reach the new database")
    expect(await counter("processor", "failed")).toBe(failedBefore + 1)
    // the failed config is not remembered as the running one: the same files are tried again
    expect(await reload(started, "again")).toBe("failed")
  })
})
