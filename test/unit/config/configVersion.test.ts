import { describe, expect, it } from "vitest"
import { configVersion } from "../../../src/config/configVersion.ts"
import { loadStreamsFromSources } from "../../../src/config/loadSources.ts"

const a = { path: "streams/a.yaml", text: "id: a\nchain: [{ module: log }]\n" }
const b = { path: "streams/b.yaml", text: "id: b\nchain: [{ module: log }]\n" }

describe("configVersion", () => {
  it("is the same for the same files in any order, and 12 hex digits", () => {
    expect(configVersion([a, b])).toBe(configVersion([b, a]))
    expect(configVersion([a, b])).toMatch(/^[0-9a-f]{12}$/)
  })

  it("changes with any file's text or path, and with a file added", () => {
    const base = configVersion([a, b])
    expect(configVersion([a, { ...b, text: `${b.text} ` }])).not.toBe(base)
    expect(configVersion([a, { ...b, path: "streams/c.yaml" }])).not.toBe(base)
    expect(configVersion([a])).not.toBe(base)
    // the separator keeps path and text apart: moving a character between them is a change
    expect(configVersion([{ path: "x", text: "yz" }])).not.toBe(configVersion([{ path: "xy", text: "z" }]))
  })

  it("is what a loaded config carries, with the files it came from", () => {
    const loaded = loadStreamsFromSources({ streams: [a, b], env: {} })
    expect(loaded._tag).toBe("Success")
    if (loaded._tag !== "Success") return
    expect(loaded.success.version).toBe(configVersion([a, b]))
    expect(loaded.success.files).toEqual([a.path, b.path])
  })
})
