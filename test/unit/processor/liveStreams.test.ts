/**
 * LiveStreams: the atomic swap of a reload, with configs loaded from in-memory texts and
 * destinations that open no socket (`log`; `file` under a temporary base directory, so a
 * config holds a client the next one does not: its closing shows the old config retired).
 * The test clock drives the retirement's polling, so "not yet" is checked without waiting.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { TestClock } from "effect/testing"
import { loadStreamsFromSources } from "../../../src/config/loadSources.ts"
import type { LoadedConfig } from "../../../src/config/StreamDefinition.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { LiveStreams } from "../../../src/processor/LiveStreams.ts"

const LOG = "module:log#-"
const FILE = "module:file#-"
const DRAIN_MS = 60_000

const config = (streams: Record<string, string>): LoadedConfig => {
  const loaded = loadStreamsFromSources({
    streams: Object.entries(streams).map(([id, chain]) => ({
      path: `${id}.yaml`,
      text: `id: ${id}\nchain: ${chain}\n`
    })),
    env: {}
  })
  if (Result.isFailure(loaded)) throw new Error(loaded.failure.message)
  return loaded.success
}
const logged = "[{ module: log }]"
const filed = "[{ module: file, config: { directory: out } }]"

let dir: string
const previousFileDir = process.env.HOOKSTREAM_FILE_DIR
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookstream-livestreams-"))
  process.env.HOOKSTREAM_FILE_DIR = join(dir, "base")
})
afterAll(async () => {
  if (previousFileDir === undefined) delete process.env.HOOKSTREAM_FILE_DIR
  else process.env.HOOKSTREAM_FILE_DIR = previousFileDir
  await rm(dir, { recursive: true, force: true })
})

/** lets the forked retirement run after the clock moved */
const advance = (ms: number) =>
  TestClock.adjust(ms).pipe(Effect.andThen(Effect.yieldNow), Effect.andThen(Effect.yieldNow))

const make = (first: LoadedConfig) => LiveStreams.make(first, ChainEngine.make(), { drainTimeoutMs: DRAIN_MS })

describe("LiveStreams", () => {
  it.effect("a swap changes what get answers: new streams appear, removed ones go, kept ones run the new config", () =>
    Effect.gen(function* () {
      const v1 = config({ a: logged, b: logged })
      const v2 = config({ a: logged, c: logged, d: logged })
      const live = yield* make(v1)
      assert.strictEqual(live.get("a")?.configVersion, v1.version)
      assert.deepStrictEqual(live.version, { version: v1.version, generation: 1 })

      const report = yield* live.swap(v2)
      assert.deepStrictEqual(report.added, ["c", "d"])
      assert.deepStrictEqual(report.removed, ["b"])
      assert.deepStrictEqual(report.kept, ["a"])
      assert.deepStrictEqual(report.closing, [], "both configs use the one log client")
      assert.strictEqual(live.get("a")?.configVersion, v2.version)
      assert.strictEqual(live.get("b"), undefined)
      assert.strictEqual(live.get("c")?.configVersion, v2.version)
      assert.deepStrictEqual(live.keys(), ["a", "c", "d"])
      assert.deepStrictEqual(live.version, { version: v2.version, generation: 2 })
      assert.deepStrictEqual(live.openClients(), [LOG])
    }).pipe(Effect.scoped)
  )

  it.effect("a chain holding the old config delays its retirement (and its clients' closing) until it lets go", () =>
    Effect.gen(function* () {
      const v1 = config({ a: logged, t: filed })
      const v2 = config({ a: logged })
      const live = yield* make(v1)
      const running = live.get("a")
      const lease = running?.lease
      if (lease === undefined) return assert.fail("a stream of LiveStreams carries a lease")
      lease.enter()

      const report = yield* live.swap(v2)
      assert.deepStrictEqual(report.closing, [FILE])
      // the chain that started before keeps its config; new events get the new one
      assert.strictEqual(running?.configVersion, v1.version)
      assert.strictEqual(live.get("a")?.configVersion, v2.version)
      yield* advance(DRAIN_MS / 2)
      assert.deepStrictEqual(live.openClients(), [LOG, FILE], "the old config's client is open while its chain runs")

      yield* Effect.sync(() => lease.leaving(undefined))
      yield* advance(1_000)
      assert.deepStrictEqual(live.openClients(), [LOG], "retired once the chain let go")
    }).pipe(Effect.scoped)
  )

  it.effect("a chain still running at the drain timeout does not keep the old config forever", () =>
    Effect.gen(function* () {
      const live = yield* make(config({ a: logged, t: filed }))
      live.get("a")?.lease?.enter()
      yield* live.swap(config({ a: logged }))
      yield* advance(DRAIN_MS - 1_000)
      assert.deepStrictEqual(live.openClients(), [LOG, FILE])
      yield* advance(2_000)
      assert.deepStrictEqual(live.openClients(), [LOG])
    }).pipe(Effect.scoped)
  )

  it.effect("a swap whose client cannot be made fails and leaves the old config in place, pool included", () =>
    Effect.gen(function* () {
      const v1 = config({ a: logged })
      const live = yield* make(v1)
      // the file client cannot prepare its base directory: a regular file stands in the way
      const blocker = join(dir, "not-a-directory")
      yield* Effect.promise(() => writeFile(blocker, "x"))
      process.env.HOOKSTREAM_FILE_DIR = join(blocker, "base")
      const failed = yield* Effect.flip(live.swap(config({ a: logged, t: filed })))
      process.env.HOOKSTREAM_FILE_DIR = join(dir, "base")
      assert.include(String(failed.message), "HOOKSTREAM_FILE_DIR")
      assert.strictEqual(live.get("a")?.configVersion, v1.version)
      assert.strictEqual(live.get("t"), undefined)
      assert.deepStrictEqual(live.version, { version: v1.version, generation: 1 })
      assert.deepStrictEqual(live.openClients(), [LOG])

      // the failed swap gave back the log client it had taken: a config without log closes it
      yield* live.swap(config({ t: filed }))
      yield* advance(1_000)
      assert.deepStrictEqual(live.openClients(), [FILE])
    }).pipe(Effect.scoped)
  )
})
