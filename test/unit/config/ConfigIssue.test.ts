import { describe, expect, it } from "vitest"
import { ConfigErrors, formatIssue, sortIssues } from "../../../src/config/ConfigIssue.ts"

describe("config issues", () => {
  it("sort by file, then path with numeric segments compared as numbers", () => {
    const sorted = sortIssues([
      { file: "b.yaml", path: "id", message: "m" },
      { file: "a.yaml", path: "chain.10.id", message: "m" },
      { file: "a.yaml", path: "chain.2.id", message: "m" },
      { file: "a.yaml", path: "", message: "m", line: 3, column: 1 },
      { file: "a.yaml", path: "chain", message: "m" }
    ])
    expect(sorted.map((i) => `${i.file}:${i.path}`)).toEqual([
      "a.yaml:",
      "a.yaml:chain",
      "a.yaml:chain.2.id",
      "a.yaml:chain.10.id",
      "b.yaml:id"
    ])
  })

  it("format as <file>:<path>: <reason>, or <file>:<line>:<col>: <reason> without a path", () => {
    expect(formatIssue({ file: "s.yaml", path: "chain.1.retry.max_attempts", message: "bad" })).toBe(
      "s.yaml:chain.1.retry.max_attempts: bad"
    )
    expect(formatIssue({ file: "s.yaml", path: "", message: "bad", line: 3, column: 7 })).toBe("s.yaml:3:7: bad")
    expect(formatIssue({ file: "s.yaml", path: "", message: "bad" })).toBe("s.yaml: bad")
  })

  it("ConfigErrors carries every issue and says them all in its message", () => {
    const error = new ConfigErrors({
      issues: [
        { file: "a.yaml", path: "x", message: "one" },
        { file: "b.yaml", path: "y", message: "two" }
      ]
    })
    expect(error._tag).toBe("ConfigErrors")
    expect(error.message).toBe("2 problems in the stream configuration:\na.yaml:x: one\nb.yaml:y: two")
  })
})
