/**
 * file against the real file system, in a fresh base directory (HOOKSTREAM_FILE_DIR) for this
 * file. `effects` reads back every finished file of a directory and counts those holding the
 * event: one per event, because a redelivery overwrites `<idempotency key>.json`. There is nothing to
 * be unreachable and nothing to hold from outside.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Cause, Effect, Exit, Fiber, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { idempotencyKey } from "../../src/domain/IdempotencyKey.ts"
import { deliveryFileName } from "../../src/modules/file/deliveryFileName.ts"
import type { FileConfig } from "../../src/modules/file/FileConfig.ts"
import { loadDestination } from "../../src/modules/registry.ts"
import { conformance, delivery } from "./conformance.ts"

const fileDestination = await loadDestination("file")

const root = mkdtempSync(join(tmpdir(), "hookstream-file-"))
const base = join(root, "base")
const outside = join(root, "outside")
let previous: string | undefined

beforeAll(() => {
  previous = process.env.HOOKSTREAM_FILE_DIR
  process.env.HOOKSTREAM_FILE_DIR = base
  mkdirSync(outside)
})
afterAll(() => {
  if (previous === undefined) Reflect.deleteProperty(process.env, "HOOKSTREAM_FILE_DIR")
  else process.env.HOOKSTREAM_FILE_DIR = previous
})

let seq = 0
const uniqueDirectory = () => `conf/d-${process.pid}-${Date.now().toString(36)}-${++seq}`

const finishedFiles = (dir: string): Array<string> => {
  try {
    return readdirSync(dir).filter((name) => name.endsWith(".json") && !name.startsWith("."))
  } catch {
    return []
  }
}
const tempFiles = (dir: string): Array<string> => readdirSync(dir).filter((name) => name.endsWith(".tmp"))
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, "utf8"))

conformance<FileConfig, unknown>({
  name: "file",
  spec: fileDestination,
  config: () => ({ directory: uniqueDirectory() }),
  badConfig: { config: { directory: "../escape" }, path: "directory" },
  dedupes: true,
  effects: async (config, _connection, eventId) => {
    const dir = join(base, config.directory)
    return finishedFiles(dir).filter((name) => readJson(join(dir, name)).event_id === eventId).length
  }
})

const decodeConfig = (raw: unknown): FileConfig => Schema.decodeUnknownSync(fileDestination.config)(raw)

const sendExit = (config: FileConfig, overrides = {}) => {
  const d = delivery(config, overrides)
  return Effect.runPromiseExit(
    Effect.gen(function* () {
      const destination = yield* fileDestination.make(undefined)
      return yield* destination.send(d)
    }).pipe(Effect.scoped)
  ).then((exit) => ({ d, exit }))
}

const failure = (exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag === "None") throw new Error(Cause.pretty(exit.cause))
  return error.value as { reason: string; retryable: boolean; message: string }
}

describe("file destination", () => {
  it("writes the event as JSON named by its idempotency key; a redelivery replaces the content whole", async () => {
    const config = decodeConfig({ directory: uniqueDirectory(), include_headers: true, pretty: true })
    const first = await sendExit(config, { payload: { n: 1 } })
    expect(Exit.isSuccess(first.exit)).toBe(true)
    const path = join(base, config.directory, deliveryFileName(first.d.idempotencyKey))
    const written = readFileSync(path, "utf8")
    expect(written).toContain('\n  "event_id"')
    expect(JSON.parse(written)).toEqual({
      event_id: first.d.eventId,
      webhook_id: "conformance",
      key: first.d.key,
      payload_encoding: "json",
      payload: { n: 1 },
      headers: { "content-type": "application/json" }
    })
    const again = await sendExit(config, { ...first.d, payload: { n: 2 }, attempt: 2 })
    expect(Exit.isSuccess(again.exit)).toBe(true)
    expect(readJson(path).payload).toEqual({ n: 2 })
    expect(finishedFiles(join(base, config.directory))).toEqual([deliveryFileName(first.d.idempotencyKey)])
    expect(tempFiles(join(base, config.directory))).toEqual([])
  })

  it("idempotency keys become file names that cannot climb, hide or collide", async () => {
    const config = decodeConfig({ directory: uniqueDirectory() })
    const ids = ["../../etc/passwd", ".hidden", "a/b", "a%2Fb", "x".repeat(150) + "/".repeat(50)]
    const keys = ids.map((eventId) => idempotencyKey("conformance", eventId, "step-0"))
    for (const eventId of ids) {
      const { exit } = await sendExit(config, {
        eventId,
        idempotencyKey: idempotencyKey("conformance", eventId, "step-0")
      })
      expect(Exit.isSuccess(exit), eventId).toBe(true)
    }
    const names = finishedFiles(join(base, config.directory))
    expect(names).toHaveLength(ids.length)
    for (const name of names) {
      expect(name).not.toContain("/")
      expect(name.startsWith(".")).toBe(false)
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255)
    }
    expect(deliveryFileName("../../etc/passwd")).toBe("%2E.%2F..%2Fetc%2Fpasswd.json")
    expect(deliveryFileName(idempotencyKey("orders", "evt_1", "archive"))).toBe("orders%3Aevt_1%3Aarchive.json")
    expect(new Set(keys.map(deliveryFileName)).size).toBe(ids.length)
    expect(readdirSync(outside)).toEqual([])
  })

  it("a symlinked directory pointing outside the base is refused as blocked, creating nothing outside", async () => {
    mkdirSync(join(base, "links"), { recursive: true })
    const link = `links/out-${++seq}`
    symlinkSync(outside, join(base, link))
    for (const directory of [link, `${link}/deeper/still`]) {
      const { exit } = await sendExit(decodeConfig({ directory }))
      const error = failure(exit)
      expect(error.reason).toBe("blocked")
      expect(error.retryable).toBe(false)
      expect(error.message).toContain("outside the file base directory")
    }
    expect(readdirSync(outside)).toEqual([])
  })

  it("a symlink that stays inside the base is followed", async () => {
    const target = uniqueDirectory()
    mkdirSync(join(base, target), { recursive: true })
    const link = `links/in-${++seq}`
    mkdirSync(join(base, "links"), { recursive: true })
    symlinkSync(join(base, target), join(base, link))
    const { d, exit } = await sendExit(decodeConfig({ directory: link }))
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(finishedFiles(join(base, target))).toEqual([deliveryFileName(d.idempotencyKey)])
  })

  it("interrupted at any point: either the whole file or none, and never a temp file left", async () => {
    const config = decodeConfig({ directory: uniqueDirectory() })
    const dir = join(base, config.directory)
    const payload = { blob: "x".repeat(8 * 1024 * 1024) }
    const destinationScope = await Effect.runPromise(Effect.scoped(fileDestination.make(undefined)))
    for (let turns = 0; turns < 12; turns++) {
      const d = delivery(config, { payload })
      const fiber = Effect.runFork(destinationScope.send(d))
      for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve))
      await Effect.runPromise(Fiber.interrupt(fiber))
      const path = join(dir, deliveryFileName(d.idempotencyKey))
      if (finishedFiles(dir).includes(deliveryFileName(d.idempotencyKey)))
        expect(readJson(path).payload).toEqual(payload)
    }
    expect(tempFiles(dir)).toEqual([])
  })

  it("a base directory that is a file fails make as misconfigured", async () => {
    const file = join(root, `not-a-dir-${++seq}`)
    writeFileSync(file, "")
    process.env.HOOKSTREAM_FILE_DIR = file
    try {
      const exit = await Effect.runPromiseExit(Effect.scoped(fileDestination.make(undefined)))
      const error = failure(exit)
      expect(error.reason).toBe("misconfigured")
      expect(error.message).toContain("HOOKSTREAM_FILE_DIR")
    } finally {
      process.env.HOOKSTREAM_FILE_DIR = base
    }
  })

  it("the base directory is read once, when the destination is made", async () => {
    const config = decodeConfig({ directory: uniqueDirectory() })
    const destination = await Effect.runPromise(Effect.scoped(fileDestination.make(undefined)))
    process.env.HOOKSTREAM_FILE_DIR = join(root, "elsewhere")
    try {
      const d = delivery(config)
      await Effect.runPromise(destination.send(d))
      expect(finishedFiles(join(realpathSync(base), config.directory))).toEqual([deliveryFileName(d.idempotencyKey)])
    } finally {
      process.env.HOOKSTREAM_FILE_DIR = base
    }
  })
})
