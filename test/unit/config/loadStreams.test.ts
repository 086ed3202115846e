import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { loadStreams, validateStreams } from "../../../src/config/loadStreams.ts"

const run = <A, E>(effect: Effect.Effect<A, E, NodeServices.NodeServices>) =>
  Effect.runPromiseExit(effect.pipe(Effect.provide(NodeServices.layer)))

const tree = (files: Record<string, string>): string => {
  const root = mkdtempSync(join(tmpdir(), "hookstream-streams-"))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, ".."), { recursive: true })
    writeFileSync(join(root, name), text)
  }
  return root
}

const log = (id: string) => `id: ${id}\nchain:\n  - module: log\n`

describe("loadStreams", () => {
  it("reads a directory's stream files and its connections file, skipping hidden files", async () => {
    const root = tree({
      "a.yaml": log("a"),
      "b.json": JSON.stringify({
        id: "b",
        chain: [{ module: "redis", connection: "cache", config: { channel: "c" } }]
      }),
      ".draft.yaml": "not: a stream",
      "notes.txt": "ignored",
      "connections.yaml": "cache: { type: redis, host: 127.0.0.1 }"
    })
    const exit = await run(loadStreams({ paths: [root], env: {} }))
    expect(Exit.isSuccess(exit) && exit.value.streams.map((s) => s.plan.webhookId)).toEqual(["a", "b"])
    expect(Exit.isSuccess(exit) && exit.value.connections.get("cache")?.type).toBe("redis")
  })

  it("fails with ConfigErrors carrying every issue", async () => {
    const root = tree({ "a.yaml": "id: a\nchain: []\nextra: 1\n", "b.yaml": "id: [" })
    const exit = await run(loadStreams({ paths: [root], env: {} }))
    expect(Exit.isFailure(exit)).toBe(true)
    const validation = await run(validateStreams({ paths: [root], env: {} }))
    const issues = Exit.isSuccess(validation) ? validation.value.issues : []
    expect(issues.map((i) => [i.file.slice(root.length + 1), i.path, i.line])).toEqual([
      ["a.yaml", "chain", undefined],
      ["a.yaml", "extra", undefined],
      ["b.yaml", "", 1]
    ])
  })

  it("takes single files, finds connections next to them, and accepts an explicit connections file", async () => {
    const root = tree({
      "s/a.yaml": "id: a\nchain:\n  - { module: redis, connection: cache, config: { channel: c } }\n",
      "s/connections.yaml": "cache: { type: redis, host: 127.0.0.1 }",
      "elsewhere.yaml": "cache: { type: postgresql, host: h, database: d, user: u }"
    })
    const found = await run(loadStreams({ paths: [join(root, "s", "a.yaml")], env: {} }))
    expect(Exit.isSuccess(found)).toBe(true)
    const explicit = await run(
      validateStreams({ paths: [join(root, "s", "a.yaml")], connectionsFile: join(root, "elsewhere.yaml"), env: {} })
    )
    expect(Exit.isSuccess(explicit) && explicit.value.issues.map((i) => i.message)).toEqual([
      "connection 'cache' is of type postgresql, module redis needs redis"
    ])
  })

  it("reports missing paths and empty directories as issues", async () => {
    const root = tree({ "empty/.keep": "" })
    const validation = await run(validateStreams({ paths: [join(root, "nope"), join(root, "empty")], env: {} }))
    expect(Exit.isSuccess(validation) && validation.value.issues.map((i) => i.message)).toEqual([
      "no stream files (*.yaml, *.yml, *.json) here",
      "no such file or directory"
    ])
  })

  it("reads a directory holding the original system's webhooks.json in that format", async () => {
    const root = tree({
      "webhooks.json": JSON.stringify({ w: { chain: ["log"], "chain-config": { execution: "parallel" } } }),
      "connections.json": "{}"
    })
    const exit = await run(loadStreams({ paths: [root], env: {} }))
    expect(Exit.isSuccess(exit) && exit.value.streams[0]?.plan.execution).toBe("parallel")
  })
})
