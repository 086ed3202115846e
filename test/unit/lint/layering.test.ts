/**
 * `npm run lint` keeps dependencies pointing one way (biome.json: noRestrictedImports per
 * folder of src/, noImportCycles for files). This runs the project's own biome.json on a small
 * tree laid out like src/, so a change to the rules that stops them catching a wrong-way
 * import or a cycle fails here.
 */
import { execFile } from "node:child_process"
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const run = promisify(execFile)
const root = join(import.meta.dirname, "..", "..", "..")
const biome = join(root, "node_modules", ".bin", "biome")
let dir = ""

const files: Record<string, string> = {
  "src/domain/Event.ts": "export const event = 1\n",
  "src/engine/runChain.ts": 'import { event } from "../domain/Event.ts"\n\nexport const runChain = event\n',
  // wrong way: the core reaching up into the processor, and an adapter below it into the engine
  "src/domain/Wrong.ts": 'import { handle } from "../processor/handle.ts"\n\nexport const wrong = handle\n',
  "src/processor/handle.ts": 'import { runChain } from "../engine/runChain.ts"\n\nexport const handle = runChain\n',
  "src/kafka/producer/Wrong.ts":
    'import { runChain } from "../../engine/runChain.ts"\n\nexport const wrong = runChain\n',
  // right way from a subfolder, and within its own folder
  "src/kafka/producer/Right.ts":
    'import { event } from "../../domain/Event.ts"\nimport { client } from "../client.ts"\n\nexport const right = [event, client]\n',
  "src/kafka/client.ts": "export const client = 1\n",
  // a cycle of two files in one folder
  "src/outcomes/a.ts": 'import { b } from "./b.ts"\n\nexport const a = () => b\n',
  "src/outcomes/b.ts": 'import { a } from "./a.ts"\n\nexport const b = () => a\n'
}

const lint = async (path: string) => {
  try {
    const { stdout, stderr } = await run(biome, ["lint", "--max-diagnostics=50", path], { cwd: dir })
    return { failed: false, output: stdout + stderr }
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string }
    return { failed: true, output: `${err.stdout ?? ""}${err.stderr ?? ""}` }
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookstream-layering-"))
  const config = JSON.parse(await readFile(join(root, "biome.json"), "utf8")) as Record<string, unknown>
  // the fixture tree is no git checkout; everything else is the project's configuration
  config["vcs"] = { enabled: false }
  delete config["$schema"]
  await writeFile(join(dir, "biome.json"), JSON.stringify(config))
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), text)
  }
}, 30_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe("npm run lint: layering", () => {
  it("refuses an import from a lower layer into a higher one, from a folder and from a subfolder", async () => {
    const domain = await lint("src/domain/Wrong.ts")
    expect(domain.failed).toBe(true)
    expect(domain.output).toContain("src/domain imports nothing else in src")
    const kafka = await lint("src/kafka/producer/Wrong.ts")
    expect(kafka.failed).toBe(true)
    expect(kafka.output).toContain("src/kafka may import only domain, observability")
  }, 30_000)

  it("accepts imports that point down, and within a folder", async () => {
    for (const path of ["src/engine/runChain.ts", "src/processor/handle.ts", "src/kafka/producer/Right.ts"]) {
      const result = await lint(path)
      expect(result.failed, `${path}: ${result.output}`).toBe(false)
    }
  }, 30_000)

  it("refuses an import cycle between files", async () => {
    const cycle = await lint("src/outcomes")
    expect(cycle.failed).toBe(true)
    expect(cycle.output).toContain("noImportCycles")
  }, 30_000)
})
