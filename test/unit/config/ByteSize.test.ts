import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { formatByteSize, parseByteSize } from "../../../src/config/ByteSize.ts"

describe("sizes", () => {
  it("reads bytes and binary or decimal units", () => {
    expect(parseByteSize(65_536)).toBe(65_536)
    expect(parseByteSize("512KiB")).toBe(524_288)
    expect(parseByteSize("1MiB")).toBe(1_048_576)
    expect(parseByteSize("1 MiB")).toBe(1_048_576)
    expect(parseByteSize("1MB")).toBe(1_000_000)
    expect(parseByteSize("10KB")).toBe(10_000)
    expect(parseByteSize("100B")).toBe(100)
    expect(parseByteSize("4096")).toBe(4096)
  })

  it("rejects fractions of bytes, booleans, negative numbers and unknown units", () => {
    for (const bad of [true, 1.5, -1, "1.5", "1 mb", "1TB", "MiB", null]) expect(parseByteSize(bad)).toBeUndefined()
  })

  it("formats sizes so that they read back the same", () => {
    expect(formatByteSize(1_048_576)).toBe("1MiB")
    expect(formatByteSize(524_288)).toBe("512KiB")
    expect(formatByteSize(1000)).toBe("1000 bytes")
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 * 1_048_576 }), (bytes) => {
        const text = formatByteSize(bytes).replace(" bytes", "")
        return parseByteSize(text) === bytes
      })
    )
  })
})
