import { describe, expect, it } from "vitest"
import { parseSource } from "../../../src/config/SourceDocument.ts"

describe("parseSource", () => {
  it("reads YAML and JSON by extension", () => {
    expect(parseSource({ path: "a.yaml", text: "a: 1\nb: [x]\n" })).toEqual({
      _tag: "Parsed",
      value: { a: 1, b: ["x"] }
    })
    expect(parseSource({ path: "a.yml", text: "a: yes" })).toEqual({ _tag: "Parsed", value: { a: "yes" } })
    expect(parseSource({ path: "a.json", text: '{"a": 1}' })).toEqual({ _tag: "Parsed", value: { a: 1 } })
    expect(parseSource({ path: "a.yaml", text: "" })).toEqual({ _tag: "Parsed", value: {} })
  })

  it("reports YAML syntax errors with line and column", () => {
    expect(parseSource({ path: "a.yaml", text: "a: 1\nb: [1, 2\nc: 3\n" })).toEqual({
      _tag: "Invalid",
      issues: [
        {
          file: "a.yaml",
          path: "",
          message: "Flow sequence in block collection must be sufficiently indented and end with a ]",
          line: 3,
          column: 1
        }
      ]
    })
  })

  it("rejects duplicate keys", () => {
    const parsed = parseSource({ path: "a.yaml", text: "id: a\nid: b\n" })
    expect(parsed).toMatchObject({
      _tag: "Invalid",
      issues: [{ message: "Map keys must be unique", line: 2, column: 1 }]
    })
  })

  it("reports JSON syntax errors with a position and without quoting the file", () => {
    const parsed = parseSource({ path: "c.json", text: '{"password": "hunter2",\n "x" 1}' })
    expect(parsed).toEqual({
      _tag: "Invalid",
      issues: [
        { file: "c.json", path: "", message: "invalid JSON: Expected ':' after property name", line: 2, column: 6 }
      ]
    })
    const quoted = parseSource({ path: "c.json", text: '{"password": "hunter2" }}' })
    expect(JSON.stringify(quoted)).not.toContain("hunter2")
  })

  it("refuses unresolved aliases and unknown extensions", () => {
    expect(parseSource({ path: "a.yaml", text: "a: *nope" })).toMatchObject({ _tag: "Invalid" })
    expect(parseSource({ path: "a.toml", text: "" })).toEqual({
      _tag: "Invalid",
      issues: [{ file: "a.toml", path: "", message: "unsupported file type: use .yaml, .yml or .json" }]
    })
  })
})
