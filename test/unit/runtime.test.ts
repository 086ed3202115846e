import { describe, expect, it } from "vitest"

describe("runtime", () => {
  it("runs on the Node 22 pinned in devDependencies", () => {
    expect(process.versions.node.split(".")[0]).toBe("22")
    const [, minor] = process.versions.node.split(".").map(Number)
    expect(minor).toBeGreaterThanOrEqual(19)
  })
})
