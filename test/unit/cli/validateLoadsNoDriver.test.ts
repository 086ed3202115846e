/**
 * `hookstream validate` checks stream files without any database or broker driver: the
 * destinations' schemas live apart from their runtimes (src/modules/<name>/<Name>Config.ts),
 * and the CLI loads only the command it runs. The real executable runs in a child process
 * with a resolve hook (../../support/recordLoadedModules.ts) recording every module it loads.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..", "..", "..")
const node = join(root, "node_modules", ".bin", "node")

const drivers = [
  "pg",
  "mysql2",
  "ioredis",
  "amqplib",
  "mqtt",
  "nats",
  "@nats-io/transport-node",
  "@nats-io/jetstream",
  "undici",
  "kafkajs",
  "@platformatic/kafka"
]

/** Runs `hookstream <args>` and answers its exit output and every module URL it resolved. */
const loadedBy = async (args: ReadonlyArray<string>) => {
  const out = join(mkdtempSync(join(tmpdir(), "hookstream-loaded-")), "modules.txt")
  const { stdout } = await promisify(execFile)(
    node,
    ["--import", join(root, "test", "support", "recordLoadedModules.ts"), join(root, "bin", "hookstream.js"), ...args],
    { cwd: root, env: { PATH: process.env["PATH"] ?? "", HOOKSTREAM_LOADED_MODULES: out } }
  )
  return { stdout, modules: readFileSync(out, "utf8").split("\n") }
}

const packageOf = (url: string): string | undefined => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]

describe("hookstream validate", () => {
  it("loads no database or broker driver while validating the example streams", async () => {
    const { stdout, modules } = await loadedBy(["validate"])
    expect(stdout).toMatch(/^5 streams valid/)
    // the recorder saw the loader and its parser, so an empty list cannot pass for a clean one
    expect(modules.some((url) => url.endsWith("/src/config/loadStreams.ts"))).toBe(true)
    expect(modules.some((url) => packageOf(url) === "yaml")).toBe(true)
    const loadedDrivers = [...new Set(modules.map(packageOf))].filter((name) => drivers.includes(name ?? ""))
    expect(loadedDrivers).toEqual([])
  })

  it("nor does `hookstream test`, whose inline tests run against simulated destinations", async () => {
    const { stdout, modules } = await loadedBy(["test"])
    expect(stdout).toMatch(/passed/)
    expect(modules.some((url) => url.endsWith("/src/streamTests/runStreamTests.ts"))).toBe(true)
    expect([...new Set(modules.map(packageOf))].filter((name) => drivers.includes(name ?? ""))).toEqual([])
  })
})
